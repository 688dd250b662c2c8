import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../credentials/index';
import { DEFAULT_POLICY, POLICY_KEY_REF, PolicyStore } from './policy-store';

const allowAll = {
  mode: 'allow-listed' as const,
  allowTools: ['label_client', 'quarantine_client'],
  approvalTimeoutSeconds: 60,
};

function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'mr-policy-'));
  const keychain = new MemorySecretStore();
  const store = new PolicyStore(dir, async () => keychain);
  return { dir, keychain, store, path: join(dir, 'mcp-policy.json') };
}

describe('the signed assistant policy', () => {
  it('reads back what the app wrote; no file is the default', async () => {
    const { store } = fresh();
    expect(await store.get()).toEqual(DEFAULT_POLICY);
    await store.set(allowAll);
    expect(await store.get()).toEqual(allowAll);
  });

  it('refuses a file changed outside the app, saying why, and applies the default', async () => {
    const { store, path } = fresh();
    await store.set({ ...allowAll, allowTools: [] });
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { policy: { allowTools: string[] } };
    doc.policy.allowTools = ['label_client'];
    writeFileSync(path, JSON.stringify(doc));
    const p = await store.get();
    expect(p).toMatchObject(DEFAULT_POLICY);
    expect(p.notice).toMatch(/was refused \(its signature does not match: it was changed outside the app\)/);
  });

  it('refuses a file without a signature (an older version, or one written by hand)', async () => {
    const { store, path } = fresh();
    writeFileSync(path, JSON.stringify(allowAll));
    const p = await store.get();
    expect(p.mode).toBe('ask');
    expect(p.notice).toMatch(/not a policy the app wrote/);
  });

  it('refuses an older signed policy put back in place', async () => {
    const { store, path } = fresh();
    await store.set(allowAll);
    const old = readFileSync(path, 'utf8');
    await store.set({ ...DEFAULT_POLICY, mode: 'read-only' });
    writeFileSync(path, old);
    const p = await store.get();
    expect(p.mode).toBe('ask');
    expect(p.notice).toMatch(/older policy \(number 1, the current one is 2\)/);
  });

  it('refuses a file signed with another key, or when the keychain has none', async () => {
    const a = fresh();
    await a.store.set(allowAll);
    const b = fresh();
    writeFileSync(b.path, readFileSync(a.path));
    expect((await b.store.get()).notice).toMatch(/holds no signing key/);
    await b.store.set(DEFAULT_POLICY);
    writeFileSync(b.path, readFileSync(a.path));
    expect((await b.store.get()).notice).toMatch(/signature does not match/);
    await a.keychain.delete(POLICY_KEY_REF);
    expect((await a.store.get()).notice).toMatch(/holds no signing key/);
  });

  it('without a keychain: a policy file is refused and none can be set', async () => {
    const { dir, store, path } = fresh();
    await store.set(allowAll);
    const blind = new PolicyStore(dir, async () => null);
    expect((await blind.get()).notice).toMatch(/no OS keychain answers/);
    await expect(blind.set(allowAll)).rejects.toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ version: 1, serial: 1 });
  });
});
