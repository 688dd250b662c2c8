/**
 * A minimal gRPC client for the simulator's own tests, built directly from proto/load.ts (not from the
 * app's Velociraptor client library, so that the two cannot share a mistake).
 */
import * as grpc from '@grpc/grpc-js';
import { parse } from 'yaml';
import { api } from '../../../proto/load';
import type { APIClient } from '../../../proto/gen/proto/API';
import type { VQLCollectorArgs } from '../../../proto/gen/proto/VQLCollectorArgs';
import type { VQLResponse__Output } from '../../../proto/gen/proto/VQLResponse';

export interface ApiConfig {
  ca_certificate: string;
  client_cert: string;
  client_private_key: string;
  api_connection_string: string;
  name: string;
}

export function connect(configYaml: string, withClientCert = true): APIClient {
  const cfg = parse(configYaml) as ApiConfig;
  const creds = withClientCert
    ? grpc.credentials.createSsl(
        Buffer.from(cfg.ca_certificate),
        Buffer.from(cfg.client_private_key),
        Buffer.from(cfg.client_cert),
      )
    : grpc.credentials.createSsl(Buffer.from(cfg.ca_certificate));
  return new (api().proto.API)(cfg.api_connection_string, creds, {
    'grpc.ssl_target_name_override': 'VelociraptorServer',
  });
}

export interface QueryResult {
  messages: VQLResponse__Output[];
  logs: string[];
  data: VQLResponse__Output[];
  rows: Array<Record<string, unknown>>;
  error: grpc.ServiceError | null;
}

export function query(
  client: APIClient,
  vql: string | VQLCollectorArgs,
  extra: Partial<VQLCollectorArgs> = {},
  onMessage?: (m: VQLResponse__Output, call: grpc.ClientReadableStream<VQLResponse__Output>) => void,
): Promise<QueryResult> {
  const args: VQLCollectorArgs =
    typeof vql === 'string'
      ? { Query: [{ Name: 'test', VQL: vql }], max_row: 1000, max_wait: 1, ...extra }
      : vql;
  return new Promise((resolve) => {
    const messages: VQLResponse__Output[] = [];
    const call = client.Query(args);
    const finish = (error: grpc.ServiceError | null): void => {
      const data = messages.filter((m) => m.log === '');
      resolve({
        messages,
        logs: messages.filter((m) => m.log !== '').map((m) => m.log),
        data,
        rows: data.flatMap((m) => JSON.parse(m.Response) as Array<Record<string, unknown>>),
        error,
      });
    };
    call.on('data', (m: VQLResponse__Output) => {
      messages.push(m);
      onMessage?.(m, call);
    });
    call.on('error', (e: grpc.ServiceError) => finish(e));
    call.on('end', () => finish(null));
  });
}
