import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tarBuffer, tarSize, tarStream, type TarEntry } from './tar';

const run = promisify(execFile);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-tar-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ustar writer', () => {
  it('writes what GNU tar reads: owners, modes, long paths, streamed files', async () => {
    const source = join(dir, 'src.bin');
    await writeFile(source, Buffer.alloc(1500, 7));
    const long = `opt/${'d'.repeat(120)}/file.txt`;
    const entries: TarEntry[] = [
      { path: 'etc/velociraptor', type: 'dir', mode: 0o700, uid: 65532, gid: 65532 },
      {
        path: 'etc/velociraptor/server.config.yaml',
        type: 'file',
        mode: 0o600,
        uid: 65532,
        gid: 65532,
        data: 'a: 1\n',
      },
      { path: 'usr/local/bin/velociraptor', type: 'file', mode: 0o755, source },
      { path: long, type: 'file', mode: 0o644, data: 'long' },
      { path: 'usr/bin/vr', type: 'symlink', mode: 0o777, linkname: '/usr/local/bin/velociraptor' },
    ];
    const buf = await tarBuffer(entries);
    expect(buf.length).toBe(await tarSize(entries));
    const file = join(dir, 'a.tar');
    await writeFile(file, buf);
    const { stdout } = await run('tar', ['--numeric-owner', '-tvf', file]);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^drwx------ 65532\/65532\s+0 2000-01-01 \d\d:\d\d etc\/velociraptor\/$/);
    expect(lines[1]).toMatch(/^-rw------- 65532\/65532\s+5 .* etc\/velociraptor\/server\.config\.yaml$/);
    expect(lines[2]).toMatch(/^-rwxr-xr-x 0\/0\s+1500 .* usr\/local\/bin\/velociraptor$/);
    expect(lines[3]).toContain(long);
    expect(lines[4]).toMatch(/usr\/bin\/vr -> \/usr\/local\/bin\/velociraptor$/);
    const out = join(dir, 'out');
    await run('mkdir', [out]);
    await run('tar', ['-xf', file, '-C', out]);
    expect(await readFile(join(out, long), 'utf8')).toBe('long');
    expect(await readFile(join(out, 'usr/local/bin/velociraptor'))).toEqual(Buffer.alloc(1500, 7));

    // Streamed, the same bytes.
    const parts: Buffer[] = [];
    let counted = 0;
    for await (const c of tarStream(entries, (n) => (counted = n))) parts.push(c as Buffer);
    expect(Buffer.concat(parts)).toEqual(buf);
    expect(counted).toBe(buf.length);
  });
});
