import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, FileVaultSecretStore, kdfProblem, type ScryptParams } from './file-vault';

// Low cost for speed; the production default is exercised once below.
const FAST: ScryptParams = { N: 2 ** 10, r: 8, p: 1 };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-vault-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileVaultSecretStore', () => {
  it('stores secrets encrypted and opens again with the right passphrase', async () => {
    const path = join(dir, 'vault.json');
    const vault = await FileVaultSecretStore.create(path, 'correct horse battery', FAST);
    await vault.set('cred-1', '-----BEGIN RSA PRIVATE KEY-----SECRETBODY');
    await vault.set('cred-2', 'hunter2-password');
    const onDisk = await readFile(path, 'utf8');
    expect(onDisk).not.toContain('SECRETBODY');
    expect(onDisk).not.toContain('hunter2');
    const again = await FileVaultSecretStore.open(path, 'correct horse battery');
    expect(await again.get('cred-1')).toBe('-----BEGIN RSA PRIVATE KEY-----SECRETBODY');
    expect(await again.listRefs()).toEqual(['cred-1', 'cred-2']);
    await again.delete('cred-2');
    expect(await again.get('cred-2')).toBeUndefined();
  });

  it('says VAULT_WRONG_PASSPHRASE for a wrong passphrase (never an empty vault)', async () => {
    const path = join(dir, 'vault.json');
    const vault = await FileVaultSecretStore.create(path, 'correct horse battery', FAST);
    await vault.set('cred-1', 'x');
    await expect(FileVaultSecretStore.open(path, 'wrong horse battery')).rejects.toMatchObject({
      code: 'VAULT_WRONG_PASSPHRASE',
    });
  });

  it('detects an altered entry and an entry moved under another name', async () => {
    const path = join(dir, 'vault.json');
    const vault = await FileVaultSecretStore.create(path, 'correct horse battery', FAST);
    await vault.set('a', 'secret-a');
    await vault.set('b', 'secret-b');
    const file = JSON.parse(await readFile(path, 'utf8')) as { entries: Record<string, { ct: string }> };
    file.entries.b = file.entries.a!; // swap: AAD binds each ciphertext to its name
    await writeFile(path, JSON.stringify(file));
    await expect(vault.get('b')).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    const ct = Buffer.from(file.entries.a!.ct, 'base64');
    ct[0]! ^= 1;
    file.entries.a!.ct = ct.toString('base64');
    await writeFile(path, JSON.stringify(file));
    await expect(vault.get('a')).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  });

  it('reports a damaged vault file as STORE_CORRUPT, not as a wrong passphrase', async () => {
    const path = join(dir, 'vault.json');
    await FileVaultSecretStore.create(path, 'correct horse battery', FAST);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.length / 2));
    await expect(FileVaultSecretStore.open(path, 'correct horse battery')).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
  });

  it('refuses to replace an existing vault, and locks', async () => {
    const path = join(dir, 'vault.json');
    const vault = await FileVaultSecretStore.create(path, 'correct horse battery');
    await expect(FileVaultSecretStore.create(path, 'another passphrase', FAST)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    vault.lock();
    await expect(vault.get('a')).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED' });
  });

  it('makes new vaults with scrypt N = 2^17 (and refuses weaker or absurd parameters to create one)', async () => {
    expect(DEFAULT_SCRYPT.N).toBeGreaterThanOrEqual(2 ** 17);
    const path = join(dir, 'vault.json');
    await FileVaultSecretStore.create(path, 'correct horse battery');
    const kdf = (JSON.parse(await readFile(path, 'utf8')) as { kdf: ScryptParams }).kdf;
    expect(kdf).toMatchObject({ N: 2 ** 17, r: 8, p: 1 });
    await expect(
      FileVaultSecretStore.create(join(dir, 'b.json'), 'correct horse battery', { N: 3000, r: 8, p: 1 }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('opens a vault made with weaker parameters and re-keys it on the next write', async () => {
    const path = join(dir, 'vault.json');
    const old = await FileVaultSecretStore.create(path, 'correct horse battery', FAST);
    await old.set('a', 'alpha');
    await old.set('b', 'bravo');
    const before = JSON.parse(await readFile(path, 'utf8')) as { kdf: { N: number; salt: string } };
    const vault = await FileVaultSecretStore.open(path, 'correct horse battery');
    expect(vault.upgradePending).toBe(true);
    expect(await vault.get('a')).toBe('alpha');
    await vault.set('c', 'charlie');
    expect(vault.upgradePending).toBe(false);
    const after = JSON.parse(await readFile(path, 'utf8')) as { kdf: { N: number; salt: string } };
    expect(after.kdf.N).toBe(2 ** 17);
    expect(after.kdf.salt).not.toBe(before.kdf.salt);
    // The same instance keeps working, a fresh open reads everything, the old key is gone.
    expect(await vault.get('b')).toBe('bravo');
    const again = await FileVaultSecretStore.open(path, 'correct horse battery');
    expect(again.upgradePending).toBe(false);
    expect([await again.get('a'), await again.get('b'), await again.get('c')]).toEqual([
      'alpha',
      'bravo',
      'charlie',
    ]);
    // The instance opened before the upgrade is told to open the vault again.
    await expect(old.get('a')).rejects.toMatchObject({ code: 'KEYCHAIN_LOCKED' });
  }, 30_000);

  it('keeps weaker parameters when opened with upgrade: false, so processes sharing it stay in', async () => {
    const path = join(dir, 'vault.json');
    const first = await FileVaultSecretStore.create(path, 'correct horse battery', FAST);
    const second = await FileVaultSecretStore.open(path, 'correct horse battery', { upgrade: false });
    expect(second.upgradePending).toBe(false);
    await second.set('a', 'alpha');
    const after = JSON.parse(await readFile(path, 'utf8')) as { kdf: { N: number } };
    expect(after.kdf.N).toBe(FAST.N);
    expect(await first.get('a')).toBe('alpha');
  });

  it('bounds the KDF parameters it reads before deriving anything', async () => {
    const path = join(dir, 'vault.json');
    await FileVaultSecretStore.create(path, 'correct horse battery', FAST);
    const doc = JSON.parse(await readFile(path, 'utf8')) as { kdf: Record<string, unknown> };
    for (const bad of [
      { N: 2 ** 30 },
      { N: 1000 },
      { r: 0 },
      { p: 1000 },
      { N: 2 ** 20, r: 32 },
      { salt: Buffer.alloc(4).toString('base64') },
    ]) {
      await writeFile(path, JSON.stringify({ ...doc, kdf: { ...doc.kdf, ...bad } }));
      await expect(
        FileVaultSecretStore.open(path, 'correct horse battery'),
        JSON.stringify(bad),
      ).rejects.toMatchObject({
        code: 'STORE_CORRUPT',
        message: expect.stringContaining('key-derivation parameters'),
      });
    }
    expect(kdfProblem({ N: 2 ** 17, r: 8, p: 1 })).toBeNull();
  });
});
