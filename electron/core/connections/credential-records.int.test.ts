/**
 * Saved connections in the credential index, against the real Secret Service (gnome-keyring; `npm
 * test` runs integration tests inside a private D-Bus session with an unlocked keyring,
 * MEGARAPTOR_TEST_KEYRING=1; in CI a missing keyring fails), wired as the composition root does
 * (createCredentialService + a ConnectionManager listing into it):
 * - a data folder an earlier version used (configs in the keychain under the shared legacy service,
 *   no credential index) keeps that service, and its servers are listed when the app starts, once;
 * - a new data folder gets its own keychain service, and what it saves is listed once across restarts.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyringSession } from '../../../test/real-parts';
import { createCredentialService } from '../credentials/index';
import { keychainServiceFor, LEGACY_KEYCHAIN_SERVICE } from '../credentials/keychain-namespace';
import { probeKeychain } from '../credentials/keychain-probe';
import { KeychainSecretStore } from '../credentials/keychain-store';
import { createTestPki, mintApiConfigFields, toYaml } from '../velociraptor/testing/mint';
import { connectionCredentials } from './credential-records';
import { connectionSecretRefs } from './keychain-refs';
import { ConnectionManager } from './manager';

const keyring = keyringSession();
// A space and a dot: encoded into the keychain reference, as the app does.
const NAME = `legacy lab.${process.pid}`;
const FRESH = `fresh lab.${process.pid}`;

const probe = () => probeKeychain({ timeoutMs: 10_000 });
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'mr-cred-records-int-'));
  dirs.push(d);
  return d;
};

let yaml = '';
let cert: X509Certificate;

beforeAll(async () => {
  const fields = await mintApiConfigFields(await createTestPki(), 'records-int', '127.0.0.1:8001');
  yaml = toYaml(fields);
  cert = new X509Certificate(fields.client_cert);
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The app's core as the composition root wires it, on `dataDir`. */
function startApp(dataDir: string) {
  const credentials = createCredentialService(dataDir, { probe });
  const connections = new ConnectionManager({
    dataDir,
    secrets: async () => ((await probe()).available ? credentials.store : null),
    demo: () => Promise.reject(new Error('no demo here')),
    credentials: connectionCredentials(credentials),
  });
  return {
    credentials,
    connections,
    async stop() {
      await connections.dispose();
      credentials.dispose();
    },
  };
}

describe('saved connections in the credential index (real keychain)', () => {
  it(`runs inside ${keyring.name} (required in CI)`, () => keyring.check());

  it.runIf(keyring.run)(
    'a server saved by an earlier version (no index) is listed at start, once, under the legacy service',
    async () => {
      const dataDir = tempDir();
      const legacyStore = new KeychainSecretStore({ timeoutMs: 10_000 });
      // The earlier version: the shared service name, no credential index, no namespace file.
      const old = new ConnectionManager({
        dataDir,
        secrets: () => Promise.resolve(legacyStore),
        demo: () => Promise.reject(new Error('no demo')),
      });
      await old.import({ name: NAME, yaml, storage: 'keychain' });
      await old.dispose();
      const id = connectionSecretRefs(NAME).apiConfig;
      expect(await legacyStore.listRefs()).toContain(id);

      const app = startApp(dataDir);
      try {
        expect(keychainServiceFor(dataDir)).toBe(LEGACY_KEYCHAIN_SERVICE);
        await app.connections.ready();
        const item = await app.credentials.get(id);
        expect(item).toMatchObject({
          kind: 'api-config',
          owner: { serverName: NAME },
          expiresAt: new Date(cert.validTo).toISOString(),
          fingerprint: cert.fingerprint256,
        });
        expect((await app.credentials.reveal(id, true)).value).toBe(yaml);
        // Other tests may leave entries under the shared legacy service; this one is consistent.
        expect((await app.credentials.repair({ dryRun: true })).findings.filter((f) => f.id === id)).toEqual(
          [],
        );
      } finally {
        await app.stop();
      }

      // Next start: already listed, nothing is written.
      const index = join(dataDir, 'credentials.json');
      const written = statSync(index).ino;
      const again = startApp(dataDir);
      try {
        await again.connections.ready();
        expect(statSync(index).ino).toBe(written);
        expect(
          (await again.credentials.list()).items.filter((i) => i.owner.serverName === NAME),
        ).toHaveLength(1);
        // Removing the connection deletes its keychain entry and its index entry.
        expect(await again.connections.remove(NAME)).toBe(true);
        expect(await legacyStore.listRefs()).not.toContain(id);
        expect((await again.credentials.list()).items.filter((i) => i.owner.serverName === NAME)).toEqual([]);
      } finally {
        await again.stop();
      }
    },
  );

  it.runIf(keyring.run)(
    'a new data folder keeps its secrets under its own service, listed once across restarts',
    async () => {
      const dataDir = tempDir();
      const id = connectionSecretRefs(FRESH).apiConfig;
      const app = startApp(dataDir);
      const service = keychainServiceFor(dataDir);
      expect(service).toMatch(/^megaraptor-desktop:[0-9a-f-]{36}$/);
      try {
        await app.connections.import({ name: FRESH, yaml, storage: 'keychain' });
      } finally {
        await app.stop();
      }
      const own = new KeychainSecretStore({ service, timeoutMs: 10_000 });
      expect(await own.listRefs()).toEqual([id]);
      expect(await new KeychainSecretStore({ timeoutMs: 10_000 }).listRefs()).not.toContain(id);

      const again = startApp(dataDir);
      try {
        const listed = await again.connections.list();
        expect(listed.connections.map((c) => c.name)).toEqual([FRESH]);
        expect(listed.problems).toEqual([]);
        const items = (await again.credentials.list()).items;
        expect(items.map((i) => [i.id, i.kind, i.fingerprint])).toEqual([
          [id, 'api-config', cert.fingerprint256],
        ]);
        expect((await again.credentials.repair({ dryRun: true })).findings).toEqual([]);
        expect(await again.connections.remove(FRESH)).toBe(true);
        expect(await own.listRefs()).toEqual([]);
      } finally {
        await again.stop();
      }
    },
  );
});
