/** Imported connections appear in the credential index under the keychain entry the registry wrote. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialService } from '../credentials/credential-service';
import { MemorySecretStore } from '../credentials/memory-store';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { ConnectionManager } from './manager';
import {
  clientCertFingerprint,
  connectionCredentials,
  type ConnectionCredentials,
} from './credential-records';

let sim: RunningSimulator;
let dir: string;
let yaml: string;
let store: MemorySecretStore;
let creds: CredentialService;
let manager: ConnectionManager;

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1' });
  yaml = await sim.mintApiConfig('cred-user', ['investigator'], { validityDays: 20 });
  dir = await mkdtemp(join(tmpdir(), 'mr-conn-creds-'));
  store = new MemorySecretStore();
  creds = new CredentialService({
    indexPath: join(dir, 'credentials.json'),
    vaultPath: join(dir, 'vault.json'),
    keychain: store,
    probe: () => Promise.resolve({ available: true, backend: 'memory' }),
  });
  manager = new ConnectionManager({
    dataDir: dir,
    secrets: () => Promise.resolve(creds.store),
    demo: () => Promise.reject(new Error('no demo here')),
    credentials: connectionCredentials(creds),
  });
});

afterAll(async () => {
  await manager.dispose();
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('connection credentials', () => {
  it('a keychain import is listed: api-config, owner, cert notAfter (expiring soon), cert fingerprint, same keychain entry', async () => {
    const info = await manager.import({ name: 'lab server', yaml, storage: 'keychain' });
    const { items } = await creds.list();
    expect(items).toHaveLength(1);
    const item = items[0]!;
    const cert = new X509Certificate((parse(yaml) as { client_cert: string }).client_cert);
    expect(item).toMatchObject({
      kind: 'api-config',
      owner: { serverName: 'lab server' },
      expiresAt: info.certNotAfter,
      fingerprint: cert.fingerprint256,
      expiringSoon: true,
      expired: false,
    });
    expect(item.name).toContain('lab server');
    // The entry names the very keychain account holding the config: reveal returns it, repair has nothing to fix.
    expect(store.data.get(item.id)).toBe(yaml);
    expect((await creds.reveal(item.id, true)).value).toBe(yaml);
    expect((await creds.repair({ dryRun: true })).findings).toEqual([]);
  });

  it('a session import is not a stored credential', async () => {
    await manager.import({ name: 'temp', yaml, storage: 'session' });
    expect((await creds.list()).items.map((i) => i.owner.serverName)).toEqual(['lab server']);
  });

  it('removing the connection removes its secret and its entry', async () => {
    expect(await manager.remove('lab server')).toBe(true);
    expect((await creds.list()).total).toBe(0);
    expect(store.data.size).toBe(0);
    expect((await creds.repair({ dryRun: true })).findings).toEqual([]);
  });

  it('a connection saved before the index existed is listed when the app starts, once', async () => {
    const legacyDir = await mkdtemp(join(tmpdir(), 'mr-conn-legacy-'));
    const legacyStore = new MemorySecretStore();
    const legacyCreds = new CredentialService({
      indexPath: join(legacyDir, 'credentials.json'),
      vaultPath: join(legacyDir, 'vault.json'),
      keychain: legacyStore,
      probe: () => Promise.resolve({ available: true, backend: 'memory' }),
    });
    const start = (credentials?: ConnectionCredentials) =>
      new ConnectionManager({
        dataDir: legacyDir,
        secrets: () => Promise.resolve(legacyStore),
        demo: () => Promise.reject(new Error('no demo here')),
        ...(credentials ? { credentials } : {}),
      });
    // An earlier version: saves the config (key encrypted, passphrase kept) without listing anything.
    const doc = parse(yaml) as Record<string, string>;
    const encrypted = stringify({
      ...doc,
      client_private_key: createPrivateKey(doc.client_private_key!)
        .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
        .toString(),
    });
    const old = start();
    await old.import({ name: 'old lab', yaml: encrypted, passphrase: 'pw', storage: 'keychain' });
    await old.import({ name: 'plain lab', yaml, storage: 'keychain' });
    await old.dispose();
    expect((await legacyCreds.list()).total).toBe(0);
    expect((await legacyCreds.repair({ dryRun: true })).findings.map((f) => f.kind)).toEqual([
      'orphan-secret',
      'orphan-secret',
      'orphan-secret',
    ]);

    // This version starts: every re-opened server is listed with its certificate's expiry and fingerprint.
    const cert = new X509Certificate(doc.client_cert!);
    const next = start(connectionCredentials(legacyCreds));
    await next.ready();
    const items = (await legacyCreds.list()).items;
    expect(items.map((i) => [i.owner.serverName, i.kind])).toEqual([
      ['old lab', 'api-config'],
      ['old lab', 'passphrase'],
      ['plain lab', 'api-config'],
    ]);
    for (const i of items.filter((x) => x.kind === 'api-config')) {
      expect(i).toMatchObject({
        expiresAt: new Date(cert.validTo).toISOString(),
        fingerprint: cert.fingerprint256,
      });
      expect(legacyStore.data.get(i.id)).toContain('client_cert');
    }
    expect((await legacyCreds.repair({ dryRun: true })).findings).toEqual([]);
    await next.dispose();

    // The next start finds them listed: the index is not rewritten, createdAt stays.
    const indexFile = join(legacyDir, 'credentials.json');
    const written = (await stat(indexFile)).ino;
    const third = start(connectionCredentials(legacyCreds));
    await third.ready();
    expect((await stat(indexFile)).ino).toBe(written);
    expect((await legacyCreds.list()).items).toEqual(items);
    expect((await third.list()).connections.map((c) => c.name)).toEqual(['old lab', 'plain lab']);
    await third.dispose();
    await rm(legacyDir, { recursive: true, force: true });
  });

  it('a server that cannot be re-opened is reported and not listed', async () => {
    const d = await mkdtemp(join(tmpdir(), 'mr-conn-broken-'));
    const s = new MemorySecretStore();
    const c = new CredentialService({
      indexPath: join(d, 'credentials.json'),
      vaultPath: join(d, 'vault.json'),
      keychain: s,
      probe: () => Promise.resolve({ available: true, backend: 'memory' }),
    });
    const m = new ConnectionManager({
      dataDir: d,
      secrets: () => Promise.resolve(s),
      demo: () => Promise.reject(new Error('no demo here')),
    });
    await m.import({ name: 'gone', yaml, storage: 'keychain' });
    await m.dispose();
    s.data.clear(); // the keychain lost it
    const next = new ConnectionManager({
      dataDir: d,
      secrets: () => Promise.resolve(s),
      demo: () => Promise.reject(new Error('no demo here')),
      credentials: connectionCredentials(c),
    });
    expect((await next.list()).problems.map((p) => p.name)).toEqual(['gone']);
    expect((await c.list()).total).toBe(0);
    await next.dispose();
    await rm(d, { recursive: true, force: true });
  });

  it('fingerprint is null for a config without a readable client_cert', () => {
    expect(clientCertFingerprint('client_cert: nope\n')).toBeNull();
    expect(clientCertFingerprint(': : :')).toBeNull();
  });
});
