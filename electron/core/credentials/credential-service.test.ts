import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { credentialsContract } from '../../../shared/contracts/credentials';
import { CredentialService } from './credential-service';
import { credentialHandlers } from './handlers';
import { MemorySecretStore } from './memory-store';

const NOW = new Date('2026-03-01T00:00:00Z');
const days = (n: number) => new Date(NOW.getTime() + n * 86_400_000);

let dir: string;
let store: MemorySecretStore;
let service: CredentialService;
let keychainAvailable = true;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-creds-'));
  store = new MemorySecretStore();
  keychainAvailable = true;
  service = new CredentialService({
    indexPath: join(dir, 'credentials.json'),
    vaultPath: join(dir, 'vault.json'),
    keychain: store,
    probe: async () =>
      keychainAvailable
        ? { available: true, backend: 'Secret Service' }
        : { available: false, backend: 'Secret Service', detail: 'No Secret Service answered.' },
    clock: () => NOW,
  });
});
afterEach(async () => {
  service.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('CredentialService', () => {
  it('keeps secrets out of the index and out of list output', async () => {
    const meta = await service.add({
      name: 'api key',
      kind: 'private-key',
      secret: 'PRIVATE-KEY-MATERIAL',
      expiresAt: days(100),
    });
    expect(store.data.get(meta.id)).toBe('PRIVATE-KEY-MATERIAL');
    expect(await readFile(join(dir, 'credentials.json'), 'utf8')).not.toContain('PRIVATE-KEY-MATERIAL');
    const listed = await service.list();
    expect(JSON.stringify(listed)).not.toContain('PRIVATE-KEY-MATERIAL');
    expect(credentialsContract['credentials:list'].output.parse(listed).items).toHaveLength(1);
  });

  it('paginates in a stable order and flags expiring and expired items', async () => {
    for (let i = 0; i < 7; i++) {
      await service.add({
        id: `c${i}`,
        name: `cred ${i}`,
        kind: 'token',
        secret: `s${i}`,
        expiresAt: i === 0 ? days(-1) : i === 1 ? days(10) : null,
      });
    }
    const p1 = await service.list({ page: 1, pageSize: 3, expiringWithinDays: 30 });
    const p3 = await service.list({ page: 3, pageSize: 3, expiringWithinDays: 30 });
    expect(p1.items.map((i) => i.id)).toEqual(['c0', 'c1', 'c2']);
    expect(p3.items.map((i) => i.id)).toEqual(['c6']);
    expect(p1.total).toBe(7);
    expect(p1.expiringCount).toBe(2);
    expect(p1.items[0]).toMatchObject({ expired: true, expiringSoon: true });
    expect(p1.items[1]).toMatchObject({ expired: false, expiringSoon: true });
    expect(p1.items[2]).toMatchObject({ expired: false, expiringSoon: false });
    const only = await service.list({ onlyExpiring: true, expiringWithinDays: 5 });
    expect(only.items.map((i) => i.id)).toEqual(['c0']);
  });

  it('reveals only with an explicit confirmation, and says SECRET_MISSING when the keychain lost it', async () => {
    const meta = await service.add({ name: 'pw', kind: 'password', secret: 'pa55' });
    await expect(service.reveal(meta.id, false)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await service.reveal(meta.id, true)).toEqual({ id: meta.id, value: 'pa55' });
    expect(() =>
      credentialsContract['credentials:reveal'].input.parse({ id: meta.id, confirm: false }),
    ).toThrow();
    store.data.delete(meta.id);
    await expect(service.secret(meta.id)).rejects.toMatchObject({ code: 'SECRET_MISSING' });
    await expect(service.secret('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('deletes the secret together with its entry', async () => {
    const meta = await service.add({ name: 'pw', kind: 'password', secret: 'pa55' });
    expect(await service.delete(meta.id)).toEqual({ deleted: true });
    expect(store.data.size).toBe(0);
    expect((await service.list()).total).toBe(0);
    expect(await service.delete(meta.id)).toEqual({ deleted: false });
  });

  it('register lists a secret another service stored (index only, createdAt kept on replace); repair then finds nothing', async () => {
    await store.set('velociraptor:bGFi:api-config', 'API-CONFIG-YAML');
    const first = await service.register({
      id: 'velociraptor:bGFi:api-config',
      name: 'lab',
      kind: 'api-config',
      owner: { serverName: 'lab' },
      expiresAt: days(10),
      fingerprint: 'AA:BB',
    });
    expect(store.data.get(first.id)).toBe('API-CONFIG-YAML');
    expect((await service.repair({ dryRun: true })).findings).toEqual([]);
    const listed = await service.list();
    expect(listed.items).toMatchObject([
      {
        id: first.id,
        name: 'lab',
        kind: 'api-config',
        owner: { serverName: 'lab' },
        expiringSoon: true,
        expired: false,
        fingerprint: 'AA:BB',
      },
    ]);
    const again = await service.register({
      id: first.id,
      name: 'lab',
      kind: 'api-config',
      expiresAt: days(400),
      fingerprint: 'CC:DD',
    });
    expect(again.createdAt).toBe(first.createdAt);
    expect((await service.list()).items.map((i) => [i.fingerprint, i.expiringSoon])).toEqual([
      ['CC:DD', false],
    ]);
    expect(await service.unregister(first.id)).toBe(true);
    expect(await service.unregister(first.id)).toBe(false);
    expect((await service.list()).total).toBe(0);
    // unregister leaves the secret to its owner
    expect(store.data.has(first.id)).toBe(true);
  });

  it('register of an entry already listed exactly so, and unregister of an unknown id, write nothing', async () => {
    const path = join(dir, 'credentials.json');
    expect(await service.unregister('never-listed')).toBe(false);
    await expect(readFile(path, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });

    const input = {
      id: 'velociraptor:bGFi:api-config',
      name: 'lab',
      kind: 'api-config' as const,
      owner: { serverName: 'lab' },
      expiresAt: days(10),
      fingerprint: 'AA:BB',
    };
    const first = await service.register(input);
    // Every index write is an atomic rename of a new file: the inode shows whether a call wrote.
    const written = (await stat(path)).ino;
    expect(await service.register(input)).toEqual(first);
    expect(await service.register({ ...input, owner: { serverName: 'lab' } })).toEqual(first);
    expect(await service.unregister('still-never-listed')).toBe(false);
    expect((await stat(path)).ino).toBe(written);
    // Any difference is written: here a renewed certificate.
    const renewed = await service.register({ ...input, expiresAt: days(400) });
    expect(renewed).toMatchObject({ createdAt: first.createdAt, expiresAt: days(400).toISOString() });
    expect((await stat(path)).ino).not.toBe(written);
    expect((await service.list()).total).toBe(1);
  });

  it('repair reports first (dry run), then fixes both directions', async () => {
    await service.add({ id: 'keep', name: 'keep', kind: 'token', secret: 'k' });
    await service.add({ id: 'lost', name: 'lost secret', kind: 'token', secret: 'l' });
    store.data.delete('lost');
    store.data.set('orphan', 'o');
    const dry = await service.repair({ dryRun: true });
    expect(dry.findings).toEqual(
      expect.arrayContaining([
        { kind: 'missing-secret', id: 'lost', name: 'lost secret', action: 'none' },
        { kind: 'orphan-secret', id: 'orphan', action: 'none' },
      ]),
    );
    expect((await service.list()).items.map((i) => i.id).sort()).toEqual(['keep', 'lost']);
    const fixed = await service.repair({ dryRun: false });
    expect(fixed.findings).toHaveLength(2);
    expect(fixed.findings.map((f) => f.action).sort()).toEqual(['added-to-index', 'removed-from-index']);
    expect((await service.list()).items.map((i) => [i.id, i.kind])).toEqual([
      ['keep', 'token'],
      ['orphan', 'other'],
    ]);
    expect((await service.repair({ dryRun: false })).findings).toEqual([]);
  });

  it('after index corruption, repair restores the recoverable entries whose secrets exist', async () => {
    for (const id of ['a', 'b', 'c'])
      await service.add({ id, name: `cred ${id}`, kind: 'private-key', secret: id, expiresAt: days(200) });
    const path = join(dir, 'credentials.json');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.indexOf('"id":"c"'))); // c's line lost
    await expect(service.list()).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    expect((await service.status()).quarantinedIndexes).toBe(1);
    const report = await service.repair({ dryRun: false });
    expect(report.quarantined).toHaveLength(1);
    const byKind = report.findings.map((f) => `${f.kind}:${f.id}`).sort();
    expect(byKind).toEqual(['orphan-secret:c', 'recovered-from-quarantine:a', 'recovered-from-quarantine:b']);
    const items = (await service.list()).items;
    expect(items.find((i) => i.id === 'a')).toMatchObject({ name: 'cred a', kind: 'private-key' });
  });

  it('without a keychain says so and offers the vault; the vault then becomes the store', async () => {
    keychainAvailable = false;
    const status = await service.status();
    expect(status).toMatchObject({ store: 'none', available: false, vaultOffered: true, vaultLocked: false });
    expect(status.detail).toMatch(/file vault/);
    const handlers = credentialHandlers(service);
    const opened = await handlers['credentials:vault-open']({
      passphrase: 'a long passphrase',
      create: true,
    });
    expect(opened).toMatchObject({ store: 'vault', available: true });
    const meta = await service.add({ name: 'in vault', kind: 'password', secret: 'vaulted' });
    expect(store.data.has(meta.id)).toBe(false);
    expect(await readFile(join(dir, 'vault.json'), 'utf8')).not.toContain('vaulted');
    expect(await service.secret(meta.id)).toBe('vaulted');
    service.dispose();
    await expect(service.openVault('wrong passphrase!', false)).rejects.toMatchObject({
      code: 'VAULT_WRONG_PASSPHRASE',
    });
  });
});
