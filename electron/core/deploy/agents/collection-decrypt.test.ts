/**
 * Password collections opened here: a container the real Velociraptor 0.77.2 wrote
 * (fixtures/README.md says how), one the simulator's collector wrote, the wrong password (a specific
 * error, the file unchanged, nothing left behind), a damaged file, and files that are not password
 * containers.
 */
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, asError } from '../../../../shared/errors';
import { buildZip, passwordContainer, readZipEntries } from '../../files/index';
import { sha256File } from '../releases/cache';
import { decryptPasswordCollection } from './collection-decrypt';
import { inspectCollectionZip } from './collection-zip';

const REAL = join(__dirname, 'fixtures', 'vr-0.77.2-password-collection.zip');
const REAL_PASSWORD = 'correct horse battery';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-decrypt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<AppError> {
  const e: unknown = await p.then(
    () => new Error('it succeeded'),
    (x: unknown) => x,
  );
  if (!(e instanceof AppError)) throw asError(e);
  return e;
}

describe('decryptPasswordCollection', () => {
  it('opens the real 0.77.2 container into the plain collection', async () => {
    expect((await inspectCollectionZip(REAL)).encryption).toBe('password');
    const out = join(dir, 'real.zip');
    await decryptPasswordCollection(REAL, REAL_PASSWORD, out);
    const inner = readZipEntries(await readFile(out));
    const ctx = JSON.parse(inner.get('collection_context.json')?.toString() ?? '{}') as Record<
      string,
      unknown
    >;
    expect(ctx.artifacts_with_results).toEqual(['Custom.Megaraptor.Fixture']);
    expect(ctx.total_collected_rows).toBe(3);
    const rows = (inner.get('results/Custom.Megaraptor.Fixture.json')?.toString() ?? '')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(rows).toEqual([
      { Index: 0, Text: 'row 0' },
      { Index: 1, Text: 'row 1' },
      { Index: 2, Text: 'row 2' },
    ]);
    expect(await inspectCollectionZip(out)).toMatchObject({ encryption: 'none', hostname: 'vm' });
  });

  it('refuses the wrong password: a specific error, the file unchanged, nothing written', async () => {
    const copy = join(dir, 'wrong-in.zip');
    await copyFile(REAL, copy);
    const before = await sha256File(copy);
    const out = join(dir, 'wrong-out.zip');
    const e = await failure(decryptPasswordCollection(copy, 'correct horse', out, 'Collection-vm.zip'));
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toMatchObject({ reason: 'wrong-password' });
    expect(e.message).toBe(
      'The password does not open Collection-vm.zip. Choose the keychain entry the collector was built with and import again; the file is unchanged.',
    );
    expect(e.message).not.toContain('correct horse');
    expect(await sha256File(copy)).toBe(before);
    expect(await readdir(dir)).not.toContain('wrong-out.zip');
  });

  it('catches a changed byte with the authentication code and removes what it wrote', async () => {
    const data = Buffer.from(await readFile(REAL));
    // A byte in the middle of data.zip's encrypted data (after the 30-byte header, name, extra, salt).
    data[600] = (data[600] ?? 0) ^ 0x20;
    const bad = join(dir, 'changed.zip');
    await writeFile(bad, data);
    const out = join(dir, 'changed-out.zip');
    const e = await failure(decryptPasswordCollection(bad, REAL_PASSWORD, out, 'changed.zip'));
    expect(e.details).toMatchObject({ reason: 'wrong-password-or-damaged' });
    expect(await readdir(dir)).not.toContain('changed-out.zip');
  });

  it('opens what the simulator’s collector writes, and never writes over a file', async () => {
    const inner = buildZip([{ name: 'collection_context.json', data: Buffer.from('{"session_id":"F.2"}') }]);
    const sim = join(dir, 'sim.zip');
    await writeFile(sim, passwordContainer(inner, 's3cret'));
    const out = join(dir, 'sim-out.zip');
    await decryptPasswordCollection(sim, 's3cret', out);
    expect(await readFile(out)).toEqual(inner);
    const again = await failure(decryptPasswordCollection(sim, 's3cret', out)).catch((x: unknown) => x);
    expect(String(again)).toMatch(/EEXIST/);
    expect(await readFile(out)).toEqual(inner);
  });

  it('says when a file is not a password container', async () => {
    const plain = join(dir, 'plain.zip');
    await writeFile(plain, buildZip([{ name: 'collection_context.json', data: Buffer.from('{}') }]));
    const e = await failure(decryptPasswordCollection(plain, 'x', join(dir, 'p-out.zip'), 'plain.zip'));
    expect(e.details).toMatchObject({ reason: 'not-encrypted' });
  });
});
