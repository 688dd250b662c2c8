/**
 * Transport details against a local mTLS gRPC server: unix sockets, TLS failures as their own
 * step, the pinned server name.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VQLCollectorArgs__Output } from '../../../proto/gen/proto/VQLCollectorArgs';
import type { VQLResponse } from '../../../proto/gen/proto/VQLResponse';
import { api } from '../../../proto/load';
import { isAppError } from '../../../shared/errors';
import { loadApiConfig } from './config/api-config';
import { ConnectionRegistry } from './registry';
import { testConnection } from './test-connection';
import { createTestPki, mintApiConfigFields, toYaml, type TestPki } from './testing/mint';
import { userQuery } from './vql/builder';

let pki: TestPki;
let server: grpc.Server;
let dir: string;
let tcpPort: number;
const socket = (): string => join(dir, 'api.sock');

beforeAll(async () => {
  pki = await createTestPki();
  dir = mkdtempSync(join(tmpdir(), 'mr-transport-'));
  server = new grpc.Server();
  server.addService(api().proto.API.service, {
    Query: (call: grpc.ServerWritableStream<VQLCollectorArgs__Output, VQLResponse>) => {
      const user = call.getAuthContext().sslPeerCertificate?.subject.CN ?? '?';
      call.write({ Response: JSON.stringify([{ whoami: user }]), Columns: ['whoami'], timestamp: 1 });
      call.end();
    },
    VFSGetBuffer: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}),
    Check: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { status: 'SERVING' }),
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
  tcpPort = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? rej(e) : res(p))),
  );
  await new Promise<number>((res, rej) =>
    server.bindAsync(`unix://${socket()}`, creds, (e, p) => (e ? rej(e) : res(p))),
  );
});

afterAll(() => {
  server.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('transport', () => {
  it('queries over a unix:// socket with mTLS', async () => {
    const reg = new ConnectionRegistry();
    reg.add('sock', toYaml(await mintApiConfigFields(pki, 'sock-user', `unix://${socket()}`)));
    const r = await reg.connection('sock').queryRows(userQuery('SELECT whoami() FROM scope()'));
    reg.close();
    expect(r.rows).toEqual([{ whoami: 'sock-user' }]);
  });

  it('testConnection reports a foreign CA as a failed TLS step', async () => {
    const other = await createTestPki();
    const fields = await mintApiConfigFields(other, 'stranger', `127.0.0.1:${tcpPort}`);
    const report = await testConnection(loadApiConfig(toYaml(fields)), { timeoutMs: 5_000 });
    expect(report.steps.map((s) => s.status)).toEqual(['ok', 'failed', 'skipped', 'skipped']);
    expect(report.steps[1]?.errorCode).toBe('TLS_HANDSHAKE_FAILED');
  });

  it('a wrong pinned_server_name fails the handshake with a typed error', async () => {
    const reg = new ConnectionRegistry();
    const fields = {
      ...(await mintApiConfigFields(pki, 'pin', `127.0.0.1:${tcpPort}`)),
      pinned_server_name: 'SomeOtherName',
    };
    reg.add('pin', toYaml(fields));
    const e = await reg
      .connection('pin')
      .queryRows(userQuery('SELECT 1 FROM scope()'), { deadlineMs: 5_000 })
      .catch((x: unknown) => x);
    reg.close();
    expect(isAppError(e, 'TLS_HANDSHAKE_FAILED')).toBe(true);
  });
});
