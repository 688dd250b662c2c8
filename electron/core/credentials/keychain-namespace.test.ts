import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMcpDomain } from '../mcp/app';
import { McpService, TOKEN_REF } from '../mcp/service';
import { noConnections } from '../mcp/testing/harness';
import { createCredentialService } from './index';
import {
  keychainServiceFor,
  LEGACY_KEYCHAIN_SERVICE,
  LEGACY_MARKERS,
  NAMESPACE_FILE,
} from './keychain-namespace';
import type { KeychainBackend } from './keychain-store';

/** One shared in-memory "OS keychain": entries keyed by service and account, like the real one. */
function sharedKeychain(): KeychainBackend & { services(): string[] } {
  const entries = new Map<string, Map<string, string>>();
  const svc = (service: string) => entries.get(service) ?? entries.set(service, new Map()).get(service)!;
  return {
    services: () => [...entries.keys()].filter((s) => svc(s).size > 0),
    async entry(service, account) {
      return {
        setPassword: async (v: string) => void svc(service).set(account, v),
        getPassword: async () => svc(service).get(account) ?? null,
        deletePassword: async () => svc(service).delete(account),
      };
    },
    async accounts(service) {
      return [...svc(service).keys()];
    },
  };
}

const probe = async () => ({ available: true, backend: 'Secret Service' });
const dir = () => mkdtempSync(join(tmpdir(), 'mr-ns-'));

describe('keychain namespace per data folder', () => {
  it("keeps two data folders apart: repair in one does not list the other one's secrets", async () => {
    const keychain = sharedKeychain();
    const [a, b] = [dir(), dir()];
    const credA = createCredentialService(a, { probe, backend: keychain });
    const credB = createCredentialService(b, { probe, backend: keychain });
    await credA.add({ id: 'cred-a', name: 'A password', kind: 'password', secret: 'sa' });
    await credB.add({ id: 'cred-b', name: 'B password', kind: 'password', secret: 'sb' });
    expect(keychain.services()).toHaveLength(2);
    expect(keychainServiceFor(a)).not.toBe(keychainServiceFor(b));

    for (const [cred, own] of [
      [credA, 'cred-a'],
      [credB, 'cred-b'],
    ] as const) {
      const report = await cred.repair({ dryRun: true });
      expect(report.findings).toEqual([]);
      expect((await cred.list()).items.map((i) => i.id)).toEqual([own]);
    }
    // A secret lost from B's index is an orphan of B only.
    await credB.unregister('cred-b');
    const orphans = (await credB.repair({ dryRun: true })).findings;
    expect(orphans.map((f) => f.id)).toEqual(['cred-b']);
    expect((await credA.repair({ dryRun: true })).findings).toEqual([]);
  });

  it('stores a stable namespace in the folder; a folder with existing credentials keeps the legacy name', () => {
    const fresh = dir();
    const first = keychainServiceFor(fresh);
    expect(first).toMatch(/^megaraptor-desktop:[0-9a-f-]{36}$/);
    expect(keychainServiceFor(fresh)).toBe(first);
    expect(readFileSync(join(fresh, NAMESPACE_FILE), 'utf8').trim()).toBe(first);

    const old = dir();
    writeFileSync(join(old, 'credentials.json'), '{"version":1,"entries":[]}');
    expect(keychainServiceFor(old)).toBe(LEGACY_KEYCHAIN_SERVICE);
    expect(readFileSync(join(old, NAMESPACE_FILE), 'utf8').trim()).toBe(LEGACY_KEYCHAIN_SERVICE);
  });

  it.each(LEGACY_MARKERS)(
    'a folder an earlier version used (%s) keeps the legacy name, so its MCP token stays valid',
    (marker) => {
      const old = dir();
      if (marker === 'notebooks') mkdirSync(join(old, marker));
      else writeFileSync(join(old, marker), '{}');
      expect(keychainServiceFor(old)).toBe(LEGACY_KEYCHAIN_SERVICE);
      // Decided once: files written later do not change it, nor does a fresh folder become legacy later.
      const fresh = dir();
      const first = keychainServiceFor(fresh);
      writeFileSync(join(fresh, 'credentials.json'), '{}');
      expect(keychainServiceFor(fresh)).toBe(first);
    },
  );

  it('a damaged namespace file is replaced once, so the name stays stable afterwards', () => {
    const d = dir();
    writeFileSync(join(d, NAMESPACE_FILE), 'not-a-service-name\n');
    const replaced = keychainServiceFor(d);
    expect(replaced).toMatch(/^megaraptor-desktop:[0-9a-f-]{36}$/);
    expect(keychainServiceFor(d)).toBe(replaced);
    expect(readFileSync(join(d, NAMESPACE_FILE), 'utf8').trim()).toBe(replaced);
    expect(readdirSync(d)).toEqual([NAMESPACE_FILE]); // no temp file left
  });

  it('lists the MCP HTTP token in the index, so repair does not report it as an orphan', async () => {
    const keychain = sharedKeychain();
    const dataDir = dir();
    const cred = createCredentialService(dataDir, { probe, backend: keychain });
    const mcp = new McpService({
      dataDir,
      version: 't',
      servers: noConnections(),
      secrets: cred.store,
      stdioCommand: ['node'],
      tokenRecord: cred,
    });
    const { token } = await mcp.getToken();
    const item = await cred.get(TOKEN_REF);
    expect(item).toMatchObject({ kind: 'token', expiresAt: null, name: 'MCP HTTP endpoint bearer token' });
    expect((await cred.repair({ dryRun: true })).findings).toEqual([]);

    const rotated = await mcp.rotateToken();
    expect(rotated.token).not.toBe(token);
    expect(await cred.get(TOKEN_REF)).toEqual(item);
    expect((await cred.list()).total).toBe(1);
    await expect(cred.reveal(TOKEN_REF, false)).rejects.toThrow(/confirmation/);
    expect((await cred.reveal(TOKEN_REF, true)).value).toBe(rotated.token);
    await mcp.dispose();
  });

  it('a token an earlier version stored without an index entry is listed at the next start', async () => {
    const keychain = sharedKeychain();
    const dataDir = dir();
    const cred = createCredentialService(dataDir, { probe, backend: keychain });
    await cred.store.set(TOKEN_REF, 'token-from-an-earlier-version');
    expect((await cred.repair({ dryRun: true })).findings.map((f) => f.kind)).toEqual(['orphan-secret']);
    const mcp = new McpService({
      dataDir,
      version: 't',
      servers: noConnections(),
      secrets: cred.store,
      stdioCommand: ['node'],
      tokenRecord: cred,
    });
    expect((await mcp.getToken()).token).toBe('token-from-an-earlier-version');
    expect(await cred.get(TOKEN_REF)).toMatchObject({ kind: 'token', expiresAt: null, owner: {} });
    expect((await cred.repair({ dryRun: true })).findings).toEqual([]);
    await mcp.dispose();
  });

  it('the app domain lists the token only while it lives in the keychain; a run-only token is not listed', async () => {
    const keychain = sharedKeychain();
    const withKeychain = dir();
    const cred = createCredentialService(withKeychain, { probe, backend: keychain });
    const domain = createMcpDomain({
      dataDir: withKeychain,
      version: 't',
      mode: 'browser',
      env: {},
      keychain: () => Promise.resolve(cred.store),
      credentials: cred,
    });
    await domain.service.getToken();
    expect((await cred.list()).items.map((i) => [i.id, i.kind, i.expiresAt])).toEqual([
      [TOKEN_REF, 'token', null],
    ]);
    await domain.dispose();

    const without = dir();
    const credNone = createCredentialService(without, {
      probe: async () => ({ available: false, backend: 'Secret Service' }),
      backend: keychain,
    });
    // A stale entry from a run that had a keychain is dropped.
    await credNone.register({
      id: TOKEN_REF,
      name: 'MCP HTTP endpoint bearer token',
      kind: 'token',
      owner: {},
      expiresAt: null,
    });
    const runOnly = createMcpDomain({
      dataDir: without,
      version: 't',
      mode: 'browser',
      env: {},
      keychain: () => Promise.resolve(null),
      credentials: credNone,
    });
    await runOnly.service.getToken();
    expect((await credNone.list()).total).toBe(0);
    await runOnly.dispose();
  });
});
