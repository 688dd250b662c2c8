/**
 * Loads the Velociraptor API definition from the generated descriptor (no .proto file at run time)
 * with the options the generated types assume: field names as written (VQL, Response...), 64-bit
 * integers as strings (exact), enums as names.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { descriptor } from './gen/descriptor';
import type { ProtoGrpcType } from './gen/velociraptor';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: ProtoGrpcType | undefined;

/** The `proto` package: `api().proto.API` is the service client constructor and definition. */
export function api(): ProtoGrpcType {
  cached ??= grpc.loadPackageDefinition(
    protoLoader.fromJSON(descriptor as unknown as protobuf.INamespace, LOADER_OPTIONS),
  ) as unknown as ProtoGrpcType;
  return cached;
}

import type * as protobuf from 'protobufjs';
