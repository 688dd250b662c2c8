import { describe, expect, it } from 'vitest';
import { KeychainOrMemory } from './keychain-or-memory';
import { MemorySecretStore } from './memory-store';

describe('KeychainOrMemory', () => {
  it('uses the keychain when the probe found one', async () => {
    const keychain = new MemorySecretStore('Secret Service');
    const store = new KeychainOrMemory(() => Promise.resolve(keychain));
    expect(store.backend).toBe('OS keychain (not checked yet)');
    await store.set('mcp:token', 'abc');
    expect(keychain.data.get('mcp:token')).toBe('abc');
    expect(await store.get('mcp:token')).toBe('abc');
    expect(store.backend).toBe('Secret Service');
  });

  it('holds secrets for this run when there is no keychain or the probe fails, and says so', async () => {
    for (const keychain of [() => Promise.resolve(null), () => Promise.reject(new Error('no bus'))]) {
      const store = new KeychainOrMemory(keychain);
      await store.set('mcp:token', 'abc');
      expect(await store.get('mcp:token')).toBe('abc');
      await store.delete('mcp:token');
      expect(await store.get('mcp:token')).toBeUndefined();
      expect(store.backend).toBe('memory (this run only: no OS keychain)');
    }
  });

  it('asks for the keychain once', async () => {
    let asked = 0;
    const store = new KeychainOrMemory(() => {
      asked += 1;
      return Promise.resolve(null);
    });
    await Promise.all([store.get('a'), store.set('b', '1'), store.get('b')]);
    expect(asked).toBe(1);
  });
});
