/**
 * Bench gRPC server: Velociraptor's Query wire format over mTLS. Every batch is serialized ONCE at
 * start; a query streams them (log line + data message per batch, as Velociraptor does) so the
 * server spends its CPU on I/O, not on building rows. Prints its port and API config path.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { descriptor } from '../../proto/gen/descriptor';
import { api } from '../../proto/load';
import type { VQLCollectorArgs__Output } from '../../proto/gen/proto/VQLCollectorArgs';
import { createTestPki, mintApiConfigFields, toYaml } from '../../electron/core/velociraptor/testing/mint';
import { DISTINCT_BATCHES, ROWS_PER_BATCH, makeBatch } from './data';

const root = protobuf.Root.fromJSON(descriptor as unknown as protobuf.INamespace);
const VQLResponse = root.lookupType('proto.VQLResponse');
const enc = (o: Record<string, unknown>): Buffer =>
  Buffer.from(VQLResponse.encode(VQLResponse.fromObject(o)).finish());

const COLUMNS = [
  'Pid',
  'Ppid',
  'Name',
  'Username',
  'CommandLine',
  'CreateTime',
  'MemoryUsage',
  'Hash',
  'FileId',
  'Online',
];

function prebuilt(big: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < DISTINCT_BATCHES; i++) {
    out.push(
      enc({
        Response: makeBatch(i, big),
        Columns: COLUMNS,
        Query: { Name: 'bench', VQL: 'SELECT * FROM bench()' },
      }),
    );
  }
  return out;
}

async function main(): Promise<void> {
  const batches = { plain: prebuilt(false), big: prebuilt(true) };
  const pki = await createTestPki();
  const reqDef = api().proto.API.service.Query;
  const service: grpc.ServiceDefinition = {
    Query: {
      path: '/proto.API/Query',
      requestStream: false,
      responseStream: true,
      requestSerialize: reqDef.requestSerialize,
      requestDeserialize: reqDef.requestDeserialize,
      // Messages are already bytes: header fields (part, timestamp) + the prebuilt body.
      responseSerialize: (b: Buffer) => b,
      responseDeserialize: (b: Buffer) => b,
    },
  };
  const server = new grpc.Server({ 'grpc-node.flow_control_window': 8 * 1024 * 1024 });
  server.addService(service, {
    Query: (call: grpc.ServerWritableStream<VQLCollectorArgs__Output, Buffer>) => {
      const vql = call.request.Query[0]?.VQL ?? '';
      const rows = Number(/rows=(\d+)/.exec(vql)?.[1] ?? 1_000_000);
      const set = vql.includes('big') ? batches.big : batches.plain;
      const total = Math.ceil(rows / ROWS_PER_BATCH);
      let part = 0;
      let cancelled = false;
      call.on('cancelled', () => (cancelled = true));
      call.write(enc({ log: 'Starting query execution.\n', timestamp: Date.now() * 1000 }));
      const pump = (): void => {
        while (part < total && !cancelled) {
          const ts = Date.now() * 1000;
          call.write(
            enc({ log: `Time 0: bench: Sending response part ${part} 300 kB (1000 rows).\n`, timestamp: ts }),
          );
          const body = set[part % set.length]!;
          const ok = call.write(Buffer.concat([enc({ timestamp: ts, part, query_id: 0 }), body]));
          part++;
          if (!ok) {
            call.once('drain', pump);
            return;
          }
        }
        if (!cancelled) call.end();
      };
      pump();
    },
  });
  const creds = grpc.ServerCredentials.createSsl(
    Buffer.from(pki.ca.certificatePem),
    [
      {
        cert_chain: Buffer.from(pki.server.certificatePem),
        private_key: Buffer.from(pki.server.privateKeyPem),
      },
    ],
    true,
  );
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? rej(e) : res(p))),
  );
  const dir = mkdtempSync(join(tmpdir(), 'mr-bench-'));
  const configPath = join(dir, 'api.yaml');
  writeFileSync(configPath, toYaml(await mintApiConfigFields(pki, 'bench', `127.0.0.1:${port}`)), {
    mode: 0o600,
  });
  process.stdout.write(JSON.stringify({ port, configPath, dir }) + '\n');
}

void main();
