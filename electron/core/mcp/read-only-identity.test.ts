/**
 * Read-only identities against the simulator started from a server config we wrote (with its CA
 * key, as `velociraptor config generate` writes one): created with the responder's administrator
 * identity, checked as themselves, refused when they hold more than `api`, kept in a secret store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../pki/certificates';
import { writeServerConfig } from '../pki/config-files';
import { testChain } from '../pki/testing/fixtures';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { loadApiConfig } from '../velociraptor/config/api-config';
import { ConnectionRegistry } from '../velociraptor/registry';
import { MemorySecretStore } from '../credentials/index';
import { VelociraptorService } from '../velociraptor/service';
import {
  caFromServerConfig,
  checkReadOnlyConfig,
  createReadOnlyIdentity,
  readOnlyProblem,
  ReadOnlyIdentities,
  StoredReadOnlyIdentities,
  VERIFY_TTL_MS,
} from './read-only-identity';
import { ReadOnlySetup } from './read-only-setup';

let dir: string;
let sim: RunningSimulator;
let serverConfig: string;
let registry: ConnectionRegistry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-ro-identity-'));
  const { ca, frontend, gateway } = await testChain(2048);
  serverConfig = writeServerConfig({
    caCertificatePem: ca.certificatePem,
    caPrivateKeyPem: ca.privateKeyPem,
    frontend,
    gateway,
    frontendHostname: 'localhost',
    placement: 'host',
    datastoreDir: dir,
  }).yaml;
  sim = await startSimulator({ serverConfig, apiPort: 0, guiPort: 0, frontendPort: 0, datastoreDir: dir });
  registry = new ConnectionRegistry();
  registry.addConfig('lab', loadApiConfig(await sim.mintApiConfig('responder', ['administrator'])));
  registry.addConfig('analyst', loadApiConfig(await sim.mintApiConfig('analyst', ['investigator'])));
}, 120_000);

afterAll(async () => {
  registry?.close();
  await sim?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const admin = () => new VelociraptorService(registry.connection('lab'));

describe('creating a read-only identity', () => {
  it('creates the user with the api role alone, mints its certificate, and it checks out', async () => {
    const yaml = await createReadOnlyIdentity({
      admin: admin(),
      adminConfig: registry.config('lab'),
      ca: await caFromServerConfig(serverConfig),
      userName: 'responder-assistant-ro',
    });
    const cfg = loadApiConfig(yaml);
    expect(cfg.commonName).toBe('responder-assistant-ro');
    expect(cfg.connectionString).toBe(registry.config('lab').connectionString);
    expect(await checkReadOnlyConfig(yaml)).toBe('responder-assistant-ro');
    const users = await admin().listUsers();
    expect(users.find((u) => u.name === 'responder-assistant-ro')?.roles).toEqual(['api']);
  });

  it("refuses a CA that is not the server's", async () => {
    await expect(
      createReadOnlyIdentity({
        admin: admin(),
        adminConfig: registry.config('lab'),
        ca: await createCertificateAuthority(),
        userName: 'x-ro',
      }),
    ).rejects.toMatchObject({ code: 'CERT_NOT_SIGNED_BY_CA' });
  });

  it('needs an administrator connection: an investigator cannot create users', async () => {
    await expect(
      createReadOnlyIdentity({
        admin: new VelociraptorService(registry.connection('analyst')),
        adminConfig: registry.config('analyst'),
        ca: await caFromServerConfig(serverConfig),
        userName: 'y-ro',
      }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('reads the CA from a server config, and says what is missing otherwise', async () => {
    await expect(caFromServerConfig('Client: {}\n')).rejects.toMatchObject({ code: 'CONFIG_MISSING_KEY' });
    await expect(caFromServerConfig(': : :')).rejects.toMatchObject({ code: 'CONFIG_NOT_YAML' });
  });
});

describe('checking an identity', () => {
  it('accepts api alone; names extra roles or permissions', () => {
    expect(readOnlyProblem({ roles: ['api'] })).toBeNull();
    expect(
      readOnlyProblem({
        roles: ['api'],
        effectivePolicy: { any_query: true, read_results: true, roles: ['api'] },
      }),
    ).toBeNull();
    expect(readOnlyProblem({ roles: ['api', 'investigator'] })).toMatch(/api, investigator/);
    expect(readOnlyProblem({ roles: [] })).toMatch(/\(none\)/);
    expect(readOnlyProblem({ roles: ['api'], effectivePolicy: { any_query: true, execve: true } })).toMatch(
      /execve/,
    );
  });

  it('re-checks after the TTL: a role added on the server stops its use', async () => {
    const yaml = await sim.mintApiConfig('ttl-ro', ['api']);
    let now = 1_000_000;
    const ids = new ReadOnlyIdentities({
      source: { get: async (s) => (s === 'lab' ? yaml : undefined) },
      defaultServer: () => 'lab',
      now: () => now,
    });
    try {
      expect((await ids.decide({})).kind).toBe('identity');
      sim.grantRoles('ttl-ro', ['api', 'administrator']);
      expect((await ids.decide({})).kind).toBe('identity'); // still within the TTL
      now += VERIFY_TTL_MS + 1;
      const d = await ids.decide({});
      expect(d).toMatchObject({ kind: 'none' });
      expect(d.kind === 'none' && d.reason).toMatch(/administrator/);
      expect(await ids.decide({ server: 'nothing-set-up' })).toMatchObject({
        kind: 'none',
        reason: expect.stringMatching(/no least-privilege identity/),
      });
    } finally {
      ids.close();
    }
  });
});

describe('the Assistants page setup', () => {
  it('imports, lists, refuses a too-wide config, records every change, forgets', async () => {
    const store = new MemorySecretStore();
    const audit: string[] = [];
    const registered: string[] = [];
    const setup = new ReadOnlySetup({
      registry: () => registry,
      stored: new StoredReadOnlyIdentities(async () => store),
      credentials: {
        register: async (i) => registered.push(i.id),
        unregister: async (id) => registered.splice(registered.indexOf(id), 1),
      },
      audit: async (action, server) => void audit.push(`${action}: ${server}`),
    });
    const wide = await sim.mintApiConfig('wide-ro', ['api', 'investigator']);
    await expect(setup.import({ server: 'lab', yaml: wide })).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
    });
    const ok = await sim.mintApiConfig('import-ro', ['api']);
    expect(await setup.import({ server: 'lab', yaml: ok })).toEqual({
      server: 'lab',
      state: 'saved',
      user: 'import-ro',
    });
    expect((await setup.list()).identities).toContainEqual({
      server: 'lab',
      state: 'saved',
      user: 'import-ro',
    });
    expect(await setup.source.get('lab')).toBe(ok);
    expect(registered).toHaveLength(1);
    expect(await setup.remove({ server: 'lab' })).toEqual({ server: 'lab', state: 'none' });
    expect(registered).toHaveLength(0);
    expect(audit).toEqual(['read-only identity imported: lab', 'read-only identity removed: lab']);
  });
});
