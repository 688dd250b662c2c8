/**
 * The Query response read for throughput. The generated client decodes `Response` into a JS string
 * first; a 300 kB string costs more to allocate than JSON.parse costs to read it (measured: 2–5 ms
 * vs ~1 ms). So this view of VQLResponse reads field 1 as bytes (wire-identical: both are
 * length-delimited) and rows are parsed from the bytes in row-aligned slices (batch-parse.ts).
 * Built at run time from the generated descriptor, so field numbers never drift from the .proto.
 */
import {
  makeGenericClientConstructor,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientReadableStream,
  type CallOptions,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { Long } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { descriptor } from '../../../../proto/gen/descriptor';
import { api } from '../../../../proto/load';
import type { APIClient } from '../../../../proto/gen/proto/API';
import type { VQLCollectorArgs } from '../../../../proto/gen/proto/VQLCollectorArgs';
import type { VQLResponse__Output } from '../../../../proto/gen/proto/VQLResponse';

type Uint64 = number | Long;

/**
 * VQLResponse with `Response` as bytes and 64-bit fields as protobufjs decodes them. Fields absent
 * on the wire may be undefined (no defaults are filled in: that is part of the saving).
 */
export type RawVQLResponse = Partial<
  Omit<VQLResponse__Output, 'Response' | 'timestamp' | 'query_id' | 'part'>
> & {
  Response?: Buffer;
  timestamp?: Uint64;
  query_id?: Uint64;
  part?: Uint64;
};

/** The generated client, with Query returning the raw view. */
export type ApiStub = Pick<APIClient, 'VFSGetBuffer' | 'Check' | 'close'> & {
  Query(argument: VQLCollectorArgs, options?: CallOptions): ClientReadableStream<RawVQLResponse>;
};

function rawResponseType(): protobuf.Type {
  const json = JSON.parse(JSON.stringify(descriptor)) as {
    nested: { proto: { nested: { VQLResponse: { fields: { Response: { type: string } } } } } };
  };
  json.nested.proto.nested.VQLResponse.fields.Response.type = 'bytes';
  return protobuf.Root.fromJSON(json as unknown as protobuf.INamespace).lookupType('proto.VQLResponse');
}

export function toNumber(v: Uint64 | undefined): number {
  return v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber();
}

let definition: ServiceDefinition | undefined;

function serviceDefinition(): ServiceDefinition {
  if (definition) return definition;
  const service = api().proto.API.service;
  const raw = rawResponseType();
  definition = {
    ...service,
    Query: {
      ...service.Query,
      responseDeserialize: (buf: Buffer): RawVQLResponse => raw.decode(buf) as unknown as RawVQLResponse,
    },
  };
  return definition;
}

export function createStub(target: string, creds: ChannelCredentials, options: ChannelOptions): ApiStub {
  const Ctor = makeGenericClientConstructor(serviceDefinition(), 'API');
  // The constructor is typed generically by grpc-js; its methods are exactly the service's.
  return new Ctor(target, creds, options) as unknown as ApiStub;
}
