/**
 * Our PKI against the simulator started with OUR server config: the API identity we mint and create
 * on the server (user_create through an administrator identity) is accepted with its roles, and
 * refused once its roles are removed — also as the last step of an API client rotation.
 * Talks gRPC through proto/load.ts (the simulator's plain test client), in-process on loopback.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../credentials/memory-store';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { connect, query } from '../sim/test-client';
import type { BuiltQuery } from '../velociraptor/vql/builder';
import { DEFAULT_API_ROLES, serverAdmin } from '../velociraptor/operations/users';
import { issueApiClientCertificate } from './certificates';
import { writeApiClientConfig, writeServerConfig } from './config-files';
import { RotationService, type ServerAdmin } from './rotation/rotation-service';
import { testChain } from './testing/fixtures';

let sim: RunningSimulator;
let dir: string;
let connection: string;

async function apiConfig(name: string): Promise<string> {
  const { ca } = await testChain(2048);
  const client = await issueApiClientCertificate(ca, name);
  return writeApiClientConfig({
    caCertificatePem: ca.certificatePem,
    client,
    name,
    apiConnectionString: connection,
  });
}

async function run(configYaml: string, q: BuiltQuery | string) {
  const client = connect(configYaml);
  try {
    const built = typeof q === 'string' ? { vql: q, env: {} } : q;
    return await query(client, {
      Query: [{ Name: 'q', VQL: built.vql }],
      env: Object.entries(built.env).map(([key, value]) => ({ key, value })),
      max_row: 1000,
      max_wait: 1,
    });
  } finally {
    client.close();
  }
}

/**
 * Accepted = the Query RPC runs (it checks ANY_QUERY). info() itself needs MACHINE_STATE, which the
 * least-privilege roles (api + investigator) lack, so for them it yields no row — as on Velociraptor.
 */
async function canQuery(configYaml: string): Promise<{ ok: boolean; rows: number; detail: string }> {
  const r = await run(configYaml, 'SELECT * FROM info()');
  return {
    ok: r.error === null,
    rows: r.rows.length,
    detail: r.error ? `${r.error.code} ${r.error.details}` : `${r.rows.length} rows; ${r.logs.join(' | ')}`,
  };
}

let adminYaml: string;
const admin: ServerAdmin = serverAdmin(async (q) => {
  const r = await run(adminYaml, q);
  if (r.error) throw new Error(`admin query failed: ${r.error.details}`);
  const failures = r.logs.filter((l) => /error|denied|invalid/i.test(l));
  if (failures.length) throw new Error(`admin query logged: ${failures.join('; ')}`);
});
const leastPrivilege = { allowAdministrator: false };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-sim-identity-'));
  const { ca, frontend, gateway } = await testChain(2048);
  // Our deployable server config: no CA key; an admin API identity provisioned "at deploy time".
  const { yaml } = writeServerConfig({
    caCertificatePem: ca.certificatePem,
    frontend,
    gateway,
    frontendHostname: 'localhost',
    placement: 'host',
    datastoreDir: dir,
  });
  sim = await startSimulator({
    serverConfig: yaml,
    apiPort: 0,
    guiPort: 0,
    frontendPort: 0,
    datastoreDir: dir,
    users: [{ name: 'deploy-admin', roles: ['administrator'] }],
  });
  connection = `127.0.0.1:${sim.apiPort}`;
  expect(sim.caCertificatePem.trim()).toBe(ca.certificatePem.trim());
  adminYaml = await apiConfig('deploy-admin');
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('API identities on the simulator started with our server config', () => {
  it('accepts our identity once created with its roles, refuses it after the roles are removed', async () => {
    const yaml = await apiConfig('responder');
    expect(await canQuery(adminYaml)).toMatchObject({ ok: true, rows: 1 });
    expect((await canQuery(yaml)).ok).toBe(false); // a certificate alone lets no one in
    await admin.createUser('responder', DEFAULT_API_ROLES, leastPrivilege);
    const created = await canQuery(yaml);
    expect(created.ok, created.detail).toBe(true);
    await admin.revokeRoles('responder');
    const after = await canQuery(yaml);
    expect(after.ok).toBe(false);
    expect(after.detail).toMatch(/^7 /); // PERMISSION_DENIED
  });

  it('API client rotation: both identities work until confirm, then only the new one', async () => {
    const { ca } = await testChain(2048);
    const oldYaml = await apiConfig('mcp-bot');
    await admin.createUser('mcp-bot', DEFAULT_API_ROLES, leastPrivilege);
    const rotations = new RotationService({
      journalPath: join(dir, 'rotations.jsonl'),
      secrets: new MemorySecretStore(),
    });
    const r = await rotations.rotateApiClient({
      ca,
      admin,
      oldName: 'mcp-bot',
      newName: 'mcp-bot-2',
      roles: DEFAULT_API_ROLES,
      apiConnectionString: connection,
    });
    expect((await canQuery(oldYaml)).ok).toBe(true);
    expect((await canQuery(r.apiConfigYaml)).ok).toBe(true);
    await rotations.confirm(r.rotationId, { admin });
    expect((await canQuery(oldYaml)).ok).toBe(false);
    expect((await canQuery(r.apiConfigYaml)).ok).toBe(true);
  });
});
