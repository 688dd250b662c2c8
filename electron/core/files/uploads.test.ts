/**
 * The chunked upload handler, through the contract's handlers (what IPC and the socket call): limits,
 * bad input, order, ownership, the kind's checks, and that no temp file outlives its upload.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError, asError, isAppError } from '../../../shared/errors';
import { uploadHandlers } from './upload-handlers';
import { UploadStore, type UploadKind } from './uploads';

let root: string;
let dir: string;
let now: number;

const kinds: Record<string, UploadKind> = {
  // The store is tested with kinds of its own; the contract's name for the checkless one.
  collection: { what: 'a file' },
  zip: {
    what: 'a ZIP',
    maxBytes: 64,
    head: (b) => (b.subarray(0, 2).toString() === 'PK' ? null : 'is not a ZIP.'),
    check: async (path, name) => {
      const text = await readFile(path, 'latin1');
      if (!text.includes('good')) throw new AppError('INVALID_ARGUMENT', `${name} is not good.`);
      return { good: true, name };
    },
  },
};

function store(
  limits: Partial<{ chunkBytes: number; maxOpen: number; idleMs: number; maxBytes: number }> = {},
) {
  return new UploadStore(dir, kinds, { chunkBytes: 8, maxOpen: 3, idleMs: 1000, ...limits }, () => now);
}

const ctx = (owner: string) => ({ owner, signal: new AbortController().signal });

/** The handlers as the dispatcher calls them, with the contract's output types. */
function handlers(s: UploadStore) {
  const h = uploadHandlers(s);
  return {
    begin: async (i: { kind: 'collection'; name: string; size: number }, owner: string) =>
      (await h['uploads:begin'](i, ctx(owner))) as { id: string; chunkBytes: number },
    chunk: async (i: { id: string; offset: number; base64: string }, owner: string) =>
      (await h['uploads:chunk'](i, ctx(owner))) as {
        received: number;
        size: number;
        checked: Record<string, unknown> | null;
      },
    cancel: async (id: string, owner: string) =>
      (await h['uploads:cancel']({ id }, ctx(owner))) as { removed: boolean },
  };
}
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

async function failure(p: unknown): Promise<AppError> {
  const e: unknown = await Promise.resolve(p).then(
    () => new Error('resolved'),
    (x: unknown) => x,
  );
  if (!(e instanceof AppError)) throw asError(e);
  return e;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'mr-uploads-'));
  dir = join(root, 'tmp', 'uploads');
  now = 1_000_000;
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('uploads', () => {
  it('writes the chunks in order to one temp file and hands it to its consumer once', async () => {
    const s = store({ chunkBytes: 1024 });
    const h = handlers(s);
    const data = randomBytes(2500);
    const { id, chunkBytes } = await h.begin({ kind: 'collection', name: 'x.bin', size: 2500 }, 'w1');
    expect(chunkBytes).toBe(1024);
    const answers = [];
    for (let off = 0; off < data.length; off += chunkBytes)
      answers.push(
        await h.chunk({ id, offset: off, base64: b64(data.subarray(off, off + chunkBytes)) }, 'w1'),
      );
    expect(answers.map((a) => [a.received, a.checked])).toEqual([
      [1024, null],
      [2048, null],
      [2500, {}],
    ]);
    const seen = await s.consume('w1', id, 'collection', async (f) => {
      expect(f.name).toBe('x.bin');
      expect(f.path.startsWith(s.dir)).toBe(true);
      return readFile(f.path);
    });
    expect(seen).toEqual(data);
    expect(await readdir(s.dir)).toEqual([]);
    // Used once: the id is gone.
    expect((await failure(s.consume('w1', id, 'collection', async () => 1))).code).toBe('NOT_FOUND');
  });

  it('removes the file when the consumer fails too', async () => {
    const s = store();
    const { id } = await s.begin('w1', { kind: 'collection', name: 'a', size: 3 });
    await s.append('w1', id, 0, Buffer.from('abc'));
    const e = await failure(
      s.consume('w1', id, 'collection', () =>
        Promise.reject(new AppError('DEPLOY_FAILED', 'server refused')),
      ),
    );
    expect(e.message).toBe('server refused');
    expect(await readdir(s.dir)).toEqual([]);
  });

  it('refuses sizes past the limits, empty files and unknown kinds before a byte is sent', async () => {
    const s = store({ maxBytes: 100 });
    const h = handlers(s);
    const big = await failure(h.begin({ kind: 'collection', name: 'big.zip', size: 101 }, 'w'));
    expect(big.code).toBe('INVALID_ARGUMENT');
    expect(big.message).toBe('big.zip is 101 B; the app takes a file up to 100 B.');
    // The kind's own limit is lower.
    expect((await failure(s.begin('w', { kind: 'zip', name: 'z', size: 65 }))).details).toMatchObject({
      reason: 'too-large',
      maxBytes: 64,
    });
    expect((await failure(s.begin('w', { kind: 'collection', name: 'e', size: 0 }))).message).toContain(
      'empty',
    );
    expect((await failure(s.begin('w', { kind: 'exe', name: 'e', size: 1 }))).message).toContain('"exe"');
    expect(await readdir(s.dir)).toEqual([]);
  });

  it('refuses chunks out of order, too large, past the size, or not base64', async () => {
    const s = store();
    const h = handlers(s);
    const { id } = await s.begin('w', { kind: 'collection', name: 'f', size: 10 });
    const skipped = await failure(h.chunk({ id, offset: 4, base64: b64('abcd') }, 'w'));
    expect(skipped.message).toBe('The chunk starts at byte 4, but 0 bytes of f arrived so far.');
    const tooBig = await failure(h.chunk({ id, offset: 0, base64: b64('123456789') }, 'w'));
    expect(tooBig.message).toContain('1 to 8 bytes; this one held 9');
    const notB64 = await failure(h.chunk({ id, offset: 0, base64: 'ab$d' }, 'w'));
    expect(notB64.message).toContain('not base64');
    await h.chunk({ id, offset: 0, base64: b64('12345678') }, 'w');
    const again = await failure(h.chunk({ id, offset: 0, base64: b64('12345678') }, 'w'));
    expect(again.message).toContain('8 bytes of f arrived');
    const past = await failure(h.chunk({ id, offset: 8, base64: b64('abc') }, 'w'));
    expect(past.message).toContain('announced as 10 bytes');
    // Nothing of that was written: the file is still whole up to byte 8.
    const last = await h.chunk({ id, offset: 8, base64: b64('90') }, 'w');
    expect(last).toEqual({ received: 10, size: 10, checked: {} });
    expect(await s.consume('w', id, 'collection', (f) => readFile(f.path, 'utf8'))).toBe('1234567890');
  });

  it('an upload is only its owner’s; a closed window or dropped socket removes its uploads', async () => {
    const s = store();
    const { id } = await s.begin('w1', { kind: 'collection', name: 'f', size: 4 });
    expect((await failure(s.append('w2', id, 0, Buffer.from('abcd')))).code).toBe('NOT_FOUND');
    expect(await s.discard('w2', id)).toBe(false);
    const other = await s.begin('w2', { kind: 'collection', name: 'g', size: 4 });
    await s.release('w1');
    expect(await readdir(s.dir)).toEqual([`${other.id}.part`]);
    expect((await failure(s.append('w1', id, 0, Buffer.from('abcd')))).code).toBe('NOT_FOUND');
  });

  it('bounds the uploads open at once and sweeps idle ones', async () => {
    const s = store();
    for (let i = 0; i < 3; i++) await s.begin('w', { kind: 'collection', name: `f${i}`, size: 4 });
    expect((await failure(s.begin('w', { kind: 'collection', name: 'f3', size: 4 }))).code).toBe('CONFLICT');
    now += 1001;
    // begin sweeps first: the three idle ones are gone, this one fits.
    const { id } = await s.begin('w', { kind: 'collection', name: 'f4', size: 4 });
    expect(await readdir(s.dir)).toEqual([`${id}.part`]);
  });

  it('cancel removes what arrived; a consumer cannot take a partial file', async () => {
    const s = store();
    const h = handlers(s);
    const { id } = await s.begin('w', { kind: 'collection', name: 'f', size: 16 });
    await s.append('w', id, 0, Buffer.from('12345678'));
    expect((await failure(s.consume('w', id, 'collection', async () => 1))).message).toContain(
      '8 of 16 bytes',
    );
    expect(await h.cancel(id, 'w')).toEqual({ removed: true });
    expect(await h.cancel(id, 'w')).toEqual({ removed: false });
    expect(await readdir(s.dir)).toEqual([]);
  });

  it('runs the kind’s checks: the first bytes at once, the whole file at the end; a failure removes it', async () => {
    const s = store();
    const wrong = await s.begin('w', { kind: 'zip', name: 'notes.txt', size: 5 });
    const e1 = await failure(s.append('w', wrong.id, 0, Buffer.from('hello')));
    expect(e1.message).toBe('notes.txt is not a ZIP.');
    const bad = await s.begin('w', { kind: 'zip', name: 'bad.zip', size: 6 });
    const e2 = await failure(s.append('w', bad.id, 0, Buffer.from('PK bad')));
    expect(e2.message).toBe('bad.zip is not good.');
    expect(await readdir(s.dir)).toEqual([]);
    const good = await s.begin('w', { kind: 'zip', name: 'ok.zip', size: 7 });
    const done = await s.append('w', good.id, 0, Buffer.from('PK good'));
    expect(done.finished?.checked).toEqual({ good: true, name: 'ok.zip' });
    // Taken as another kind: refused, and kept for the right consumer.
    expect((await failure(s.consume('w', good.id, 'collection', async () => 1))).message).toContain(
      'not sent as a file',
    );
    expect(
      isAppError(await failure(s.consume('w', 'u' + '0'.repeat(24), 'zip', async () => 1)), 'NOT_FOUND'),
    ).toBe(true);
  });

  it('starts clean of what dead processes left, keeps a live one’s, removes its own on dispose', async () => {
    mkdirSync(join(dir, '999999999'), { recursive: true });
    writeFileSync(join(dir, '999999999', 'u111111111111111111111111.part'), 'left over');
    writeFileSync(join(dir, 'stray.part'), 'left over');
    // Another app process sharing the data folder (the desktop app beside `megaraptor serve`).
    mkdirSync(join(dir, String(process.ppid)));
    const s = store();
    expect((await readdir(dir)).sort()).toEqual([String(process.pid), String(process.ppid)].sort());
    expect(await readdir(s.dir)).toEqual([]);
    await s.begin('w', { kind: 'collection', name: 'f', size: 4 });
    await s.dispose();
    expect(existsSync(s.dir)).toBe(false);
    expect(existsSync(join(dir, String(process.ppid)))).toBe(true);
  });

  it('a 3 MiB file in 48 chunks arrives whole', async () => {
    const s = store({ chunkBytes: 64 * 1024, maxBytes: 8 * 1024 ** 2 });
    const size = 3 * 1024 ** 2;
    const { id } = await s.begin('w', { kind: 'collection', name: 'big', size });
    const chunk = Buffer.alloc(64 * 1024, 7);
    for (let off = 0; off < size; off += chunk.length) await s.append('w', id, off, chunk);
    const read = await s.consume('w', id, 'collection', (f) => readFile(f.path));
    expect(read.length).toBe(size);
    expect(read.every((b) => b === 7)).toBe(true);
  });

  it('takes one chunk of an upload at a time', async () => {
    const s = store();
    const { id } = await s.begin('w', { kind: 'collection', name: 'f', size: 16 });
    const first = s.append('w', id, 0, Buffer.from('12345678'));
    const second = await failure(s.append('w', id, 8, Buffer.from('12345678')));
    expect(second.message).toContain('one at a time');
    await first;
  });
});
