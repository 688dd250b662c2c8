import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAppError } from '../../../shared/errors';
import { JsonFile } from './json-file';

const Doc = z.object({ n: z.number().int(), text: z.string() });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-json-file-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const caught = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('JsonFile', () => {
  it('reads nothing before the first write, then what was written, owner-only', async () => {
    const file = new JsonFile(join(dir, 'sub', 'doc.json'), Doc);
    expect(await file.read()).toBeUndefined();
    expect(await file.write({ n: 1, text: 'one' })).toEqual({ n: 1, text: 'one' });
    expect(await file.read()).toEqual({ n: 1, text: 'one' });
    expect(file.readSync()).toEqual({ n: 1, text: 'one' });
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
  });

  it('reports a damaged file as STORE_CORRUPT, with the caller’s words when given', async () => {
    const path = join(dir, 'doc.json');
    writeFileSync(path, '{oops');
    const e = await caught(new JsonFile(path, Doc).read());
    expect(isAppError(e, 'STORE_CORRUPT')).toBe(true);
    expect((e as Error).message).toBe(`The file ${path} is not JSON. Fix or delete it.`);
    writeFileSync(path, JSON.stringify({ n: 'one' }));
    const named = new JsonFile(path, Doc, { damaged: (d) => `The test document is ${d}.` });
    expect(await caught(named.read())).toMatchObject({
      code: 'STORE_CORRUPT',
      message: 'The test document is invalid.',
    });
    expect(() => named.readSync()).toThrow('The test document is invalid.');
  });

  it('refuses a value that does not match the schema without touching the file', async () => {
    const file = new JsonFile(join(dir, 'doc.json'), Doc);
    await file.write({ n: 1, text: 'kept' });
    await expect(file.write({ n: 1.5, text: 'bad' })).rejects.toThrow();
    expect(() => file.writeSync({ n: 2, text: 7 as unknown as string })).toThrow();
    expect(await file.read()).toEqual({ n: 1, text: 'kept' });
  });

  it('many writers at once: every write succeeds, the file holds one whole document, no temp file is left', async () => {
    // A fixed temp name (`<file>.tmp`, or one per process) made the writers share one temp file:
    // one renamed it away and the others failed with ENOENT, or renamed a mix of two documents.
    const file = new JsonFile(join(dir, 'doc.json'), Doc);
    const docs = Array.from({ length: 40 }, (_, n) => ({ n, text: 'x'.repeat(2_000 + n * 50) }));
    const reads: unknown[] = [];
    await Promise.all([
      ...docs.map((d) => file.write(d)),
      ...docs.map(() =>
        file.read().then(
          (r) => reads.push(r),
          (e: unknown) => reads.push(e),
        ),
      ),
    ]);
    const final = await file.read();
    expect(docs).toContainEqual(final);
    // Readers during the writes saw nothing yet or a whole document, never half of one.
    for (const r of reads)
      expect(r === undefined || docs.some((d) => d.n === (r as { n: number }).n)).toBe(true);
    expect(readdirSync(dir)).toEqual(['doc.json']);
  });

  it('writes blocking too, with the same checks', () => {
    const file = new JsonFile(join(dir, 'sync', 'doc.json'), Doc);
    expect(file.readSync()).toBeUndefined();
    file.writeSync({ n: 3, text: 'three' });
    expect(JSON.parse(readFileSync(file.path, 'utf8'))).toEqual({ n: 3, text: 'three' });
    expect(readdirSync(join(dir, 'sync'))).toEqual(['doc.json']);
  });
});
