import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors';
import { KeychainSecretStore, type KeychainBackend, type KeychainEntry } from './keychain-store';

function backendWith(
  entry: Partial<KeychainEntry>,
  accounts: string[] = [],
): KeychainBackend & { seen: Array<{ service: string; account: string }> } {
  const seen: Array<{ service: string; account: string }> = [];
  const never = () => new Promise<never>(() => undefined);
  return {
    seen,
    async entry(service, account) {
      seen.push({ service, account });
      return { getPassword: never, setPassword: never, deletePassword: never, ...entry };
    },
    async accounts() {
      return accounts;
    },
  };
}

describe('KeychainSecretStore', () => {
  it('turns a keyring that never answers into KEYCHAIN_LOCKED within the timeout, and aborts the call', async () => {
    let aborted = false;
    const backend = backendWith({
      getPassword: (signal) =>
        new Promise<never>(() => {
          signal?.addEventListener('abort', () => (aborted = true));
        }),
    });
    const store = new KeychainSecretStore({ backend, timeoutMs: 150, platform: 'linux' });
    const t0 = Date.now();
    const err = await store.get('cred-1').catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(isAppError(err, 'KEYCHAIN_LOCKED')).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
    expect(aborted).toBe(true);
  });

  it('classifies native failures and uses its own service name with the reference as account', async () => {
    const backend = backendWith({
      setPassword: () =>
        Promise.reject(new Error('Platform failure: DBus error: Failed to connect to socket /x')),
    });
    const store = new KeychainSecretStore({ backend, timeoutMs: 1000 });
    await expect(store.set('cred-2', 's3cret')).rejects.toMatchObject({ code: 'KEYCHAIN_UNAVAILABLE' });
    expect(backend.seen).toEqual([{ service: 'megaraptor-desktop', account: 'cred-2' }]);
  });

  it('reports a throwing entry constructor (no D-Bus) the same way', async () => {
    const backend: KeychainBackend = {
      entry: () =>
        Promise.reject(
          new Error('Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled'),
        ),
      accounts: async () => [],
    };
    await expect(new KeychainSecretStore({ backend }).get('x')).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
    });
  });

  it('never leaks the secret into errors', async () => {
    const backend = backendWith({
      setPassword: () => Promise.reject(new Error("Couldn't access platform storage: AccessDenied")),
    });
    const err = await new KeychainSecretStore({ backend })
      .set('cred-3', 'TOPSECRET-VALUE')
      .catch((e: unknown) => e);
    expect(
      JSON.stringify({ m: (err as Error).message, d: (err as { details: unknown }).details }),
    ).not.toContain('TOPSECRET');
  });

  it('rejects references that are not safe account names', async () => {
    const store = new KeychainSecretStore({ backend: backendWith({}) });
    await expect(store.get('../etc/passwd')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.get('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('passes values through when the keyring answers', async () => {
    const data = new Map<string, string>();
    const backend: KeychainBackend = {
      async entry(_s, account) {
        return {
          getPassword: async () => data.get(account) ?? null,
          setPassword: async (v) => void data.set(account, v),
          deletePassword: async () => data.delete(account),
        };
      },
      accounts: async () => [...data.keys()],
    };
    const store = new KeychainSecretStore({ backend });
    await store.set('a', 'one');
    expect(await store.get('a')).toBe('one');
    expect(await store.listRefs()).toEqual(['a']);
    await store.delete('a');
    await store.delete('a'); // absent: not an error
    expect(await store.get('a')).toBeUndefined();
  });
});

describe('KeychainSecretStore on the worker backend', () => {
  it('reports a missing native module as KEYCHAIN_UNAVAILABLE instead of crashing', async () => {
    const { WorkerKeychainBackend } = await import('./keychain-worker');
    const store = new KeychainSecretStore({
      backend: new WorkerKeychainBackend('/nonexistent/keyring/index.js'),
      timeoutMs: 10_000,
    });
    const err = await store.get('cred-1').catch((e: unknown) => e);
    expect(isAppError(err, 'KEYCHAIN_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/Cannot find module/);
  });
});
