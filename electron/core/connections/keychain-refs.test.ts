import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../credentials/memory-store';
import { SECRET_REF_PATTERN } from '../credentials/secret-store';
import { connectionSecretRefs, SavedConfigs } from './keychain-refs';

/**
 * How versions before the connections domain reached a keychain account, in two steps: the registry
 * wrote `velociraptor:<base64url name>:<what>`, then an adapter spelled every byte outside
 * [A-Za-z0-9.:-] as `_xx`. Servers they saved must stay readable, so the accounts must not move.
 */
function legacyAccount(server: string, what: string): string {
  const registryRef = `velociraptor:${Buffer.from(server, 'utf8').toString('base64url')}:${what}`;
  return Array.from(registryRef)
    .map((ch) =>
      /[A-Za-z0-9.:-]/.test(ch)
        ? ch
        : Array.from(Buffer.from(ch, 'utf8'))
            .map((b) => `_${b.toString(16).padStart(2, '0')}`)
            .join(''),
    )
    .join('');
}

const serverName = fc.stringMatching(/^[\p{L}\p{N}_.@ -]{1,64}$/u);

describe('keychain references of saved servers', () => {
  it('are the accounts earlier versions wrote', () => {
    expect(connectionSecretRefs('lab').apiConfig).toBe('velociraptor:bGFi:api-config');
    // 'lab ÿ' is "bGFiIMO_" in base64url: its '_' is spelled '_5f'.
    expect(connectionSecretRefs('lab ÿ')).toEqual({
      apiConfig: 'velociraptor:bGFiIMO_5f:api-config',
      passphrase: 'velociraptor:bGFiIMO_5f:passphrase',
    });
    fc.assert(
      fc.property(serverName, (name) => {
        const refs = connectionSecretRefs(name);
        expect(refs.apiConfig).toBe(legacyAccount(name, 'api-config'));
        expect(refs.passphrase).toBe(legacyAccount(name, 'passphrase'));
      }),
    );
  });

  it('fit the keychain alphabet and never collide between two names', () => {
    fc.assert(
      fc.property(serverName, serverName, (a, b) => {
        expect(connectionSecretRefs(a).apiConfig).toMatch(SECRET_REF_PATTERN);
        expect(connectionSecretRefs(a).passphrase).toMatch(SECRET_REF_PATTERN);
        if (a !== b) expect(connectionSecretRefs(a).apiConfig).not.toBe(connectionSecretRefs(b).apiConfig);
      }),
    );
  });
});

describe('SavedConfigs', () => {
  it('saves a config with its passphrase, loads both, and deletes both', async () => {
    const store = new MemorySecretStore();
    const saved = new SavedConfigs(store);
    await saved.save('lab server', 'yaml-text', 'pw');
    expect(await saved.load('lab server')).toEqual({ yaml: 'yaml-text', passphrase: 'pw' });
    expect([...store.data.keys()].sort()).toEqual(Object.values(connectionSecretRefs('lab server')).sort());
    await saved.save('lab server', 'yaml-2', undefined);
    expect(await saved.load('lab server')).toEqual({ yaml: 'yaml-2', passphrase: undefined });
    await saved.delete('lab server');
    expect(store.data.size).toBe(0);
    await expect(saved.load('lab server')).rejects.toMatchObject({ code: 'CONNECTION_NOT_FOUND' });
  });
});
