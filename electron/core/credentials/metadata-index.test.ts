import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CredentialMeta } from '../../../shared/contracts/credentials';
import { isAppError } from '../../../shared/errors';
import { CredentialIndex, parseIndex, serializeIndex } from './metadata-index';

const entry = (id: string, extra: Partial<CredentialMeta> = {}): CredentialMeta => ({
  id,
  name: `name of ${id}`,
  kind: 'private-key',
  owner: { serverName: 'srv' },
  createdAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2027-01-01T00:00:00.000Z',
  fingerprint: 'AA:BB',
  ...extra,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-index-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function corruptError(index: CredentialIndex) {
  const err = await index.read().catch((e: unknown) => e);
  expect(isAppError(err, 'STORE_CORRUPT')).toBe(true);
  return err as { details: { quarantinedPath: string; recoverable: Array<{ id: string }>; reason: string } };
}

describe('CredentialIndex', () => {
  it('starts empty and round-trips entries through an update', async () => {
    const index = new CredentialIndex(join(dir, 'credentials.json'));
    expect(await index.read()).toEqual([]);
    await index.update((es) => ({
      entries: [...es, entry('b'), entry('a', { expiresAt: null })],
      result: undefined,
    }));
    expect((await index.read()).map((e) => e.id)).toEqual(['a', 'b']);
    expect(await readdir(dir)).toEqual(['credentials.json']); // no temp or lock file left
  });

  it('refuses duplicate ids and writes nothing', async () => {
    const index = new CredentialIndex(join(dir, 'credentials.json'));
    await index.update(() => ({ entries: [entry('a')], result: undefined }));
    await expect(
      index.update((es) => ({ entries: [...es, entry('a')], result: undefined })),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await index.read()).toHaveLength(1);
  });

  it('detects a truncated file, keeps it aside byte for byte, and lists what can be recovered', async () => {
    const path = join(dir, 'credentials.json');
    const index = new CredentialIndex(path);
    await index.update(() => ({ entries: ['a', 'b', 'c', 'd'].map((id) => entry(id)), result: undefined }));
    const full = await readFile(path, 'utf8');
    const cut = full.slice(0, full.indexOf('"id":"d"') + 5); // d's line is broken
    await writeFile(path, cut);
    const err = await corruptError(index);
    expect(err.details.reason).toMatch(/not valid JSON/);
    expect(err.details.recoverable.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(await readFile(err.details.quarantinedPath, 'utf8')).toBe(cut);
    // The damaged file is never overwritten: a fresh index starts beside it.
    expect(await index.read()).toEqual([]);
    await index.update(() => ({ entries: [entry('z')], result: undefined }));
    expect(await readFile(err.details.quarantinedPath, 'utf8')).toBe(cut);
    const q = await index.quarantined();
    expect(q.map((x) => x.recoverable.map((r) => r.id))).toEqual([['a', 'b', 'c']]);
  });

  it('detects a changed value that still parses (checksum) and refuses to write over it', async () => {
    const path = join(dir, 'credentials.json');
    const index = new CredentialIndex(path);
    await index.update(() => ({ entries: [entry('a'), entry('b')], result: undefined }));
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('name of b', 'name of c'));
    await expect(index.update((es) => ({ entries: es, result: undefined }))).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
    const [q] = await index.quarantined();
    expect(await readFile(q!.path, 'utf8')).toContain('name of c');
  });

  it('detects every single bit flip', () => {
    const text = serializeIndex([
      entry('a'),
      entry('b', { kind: 'password', expiresAt: null, fingerprint: null }),
    ]);
    const original = parseIndex(text);
    expect(original.ok).toBe(true);
    const bytes = Buffer.from(text, 'utf8');
    let detected = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length * 8 - 1 }), (bit) => {
        const flipped = Buffer.from(bytes);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        const result = parseIndex(flipped.toString('utf8'));
        // Either the damage is detected, or (a flip in insignificant whitespace) the content is unchanged.
        if (result.ok) expect(result).toEqual(original);
        else detected++;
      }),
      { numRuns: 2000 },
    );
    expect(detected).toBeGreaterThan(1900);
  });

  it('serializes in-process concurrent updates (no lost write)', async () => {
    const index = new CredentialIndex(join(dir, 'credentials.json'));
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        index.update((es) => ({ entries: [...es, entry(`e${i}`)], result: undefined })),
      ),
    );
    expect(await index.read()).toHaveLength(25);
  });
});
