import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../connections/index';
import { InvestigationService } from './service';

let dir: string;
let svc: InvestigationService;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-saved-'));
  // Reading a saved file needs no server: no connection manager is used.
  svc = new InvestigationService({} as ConnectionManager, join(dir, 'data'));
  mkdirSync(join(dir, 'data', 'downloads', 'lab', 'C.1'), { recursive: true });
  mkdirSync(join(dir, 'data', 'exports'), { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function read(path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of svc.readSaved(path, new AbortController().signal))
    parts.push(Buffer.from(c.base64, 'base64'));
  return Buffer.concat(parts);
}

describe('readSaved (browser mode hands saved files to the browser)', () => {
  it('reads back a downloaded or exported file in chunks, whole', async () => {
    const big = Buffer.alloc(700_000, 7);
    big[699_999] = 9;
    const file = join(dir, 'data', 'downloads', 'lab', 'C.1', 'F.1-big.bin');
    writeFileSync(file, big);
    expect((await read(file)).equals(big)).toBe(true);
    writeFileSync(join(dir, 'data', 'exports', 'empty.zip'), '');
    expect(await read(join(dir, 'data', 'exports', 'empty.zip'))).toHaveLength(0);
  });

  it('reads nothing outside downloads/ and exports/, by .. or by a symbolic link', async () => {
    writeFileSync(join(dir, 'secret.txt'), 'no');
    writeFileSync(join(dir, 'data', 'connections.json'), '{}');
    symlinkSync(join(dir, 'secret.txt'), join(dir, 'data', 'downloads', 'link.txt'));
    for (const p of [
      join(dir, 'secret.txt'),
      join(dir, 'data', 'connections.json'),
      join(dir, 'data', 'downloads', '..', 'connections.json'),
      join(dir, 'data', 'downloads', 'link.txt'),
    ])
      await expect(read(p), p).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(read(join(dir, 'data', 'downloads', 'gone.txt'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
