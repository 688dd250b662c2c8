import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { closestFlag, parseFlags, UsageError } from './args';
import { main } from './megaraptor';

const dir = mkdtempSync(join(tmpdir(), 'mr-cli-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, {
    stdout: new PassThrough(),
    stderr,
    stdin: new PassThrough(),
    env: { MEGARAPTOR_DATA_DIR: dir },
    cwd: dir,
  });
  return { code, err };
}

describe('flags', () => {
  it('parses values (both spellings), switches, repeats and positionals', () => {
    const f = parseFlags(
      ['--a', '1', '--b=2', '--s', '--r', 'x', '--r', 'y', 'pos'],
      { '--a': { value: true }, '--b': { value: true }, '--s': {}, '--r': { value: true, repeat: true } },
      { positionals: true },
    );
    expect([f.get('--a'), f.get('--b'), f.has('--s'), f.all('--r'), f.positionals]).toEqual([
      '1',
      '2',
      true,
      ['x', 'y'],
      ['pos'],
    ]);
  });

  it('refuses what it does not know, naming the closest flag', () => {
    const spec = { '--read-only-api-config': { value: true }, '--api-config': { value: true } };
    expect(() => parseFlags(['--read-only-api-confg', 'x'], spec)).toThrow(
      /unknown option --read-only-api-confg \(did you mean --read-only-api-config\?\)/,
    );
    expect(() => parseFlags(['--zzz'], spec)).toThrow(/^unknown option --zzz$/);
    expect(() => parseFlags(['--api-config'], spec)).toThrow(/needs a value/);
    expect(() => parseFlags(['--api-config', 'a', '--api-config', 'b'], spec)).toThrow(/more than once/);
    expect(() => parseFlags(['stray'], spec)).toThrow(UsageError);
    expect(closestFlag('--prot', ['--port', '--host'])).toBe('--port');
  });
});

describe('every megaraptor subcommand refuses an unknown flag (exit 2, closest known flag)', () => {
  it.each([
    [['mcp', '--stdio', '--read-only-api-confg', 'ro.yaml'], '--read-only-api-config'],
    [['vql', '--api-confg', 'x.yaml', 'SELECT 1 FROM scope()'], '--api-config'],
    [['serve', '--prot', '0'], '--port'],
    [['sim', '--gui-prot', '1'], '--gui-port'],
    [['sim', 'agent', '--confg', 'c.yaml'], '--config'],
  ])('%j', async (argv, near) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`(did you mean ${near}?)`);
    expect(r.err).toContain('Usage: megaraptor');
  });
});

describe('config files', () => {
  it('refuses one larger than 1 MiB before reading it', async () => {
    const big = join(dir, 'huge.yaml');
    writeFileSync(big, 'x');
    truncateSync(big, 8 * 1024 ** 3); // sparse: reading it would take long, a stat does not
    for (const argv of [
      ['vql', '--api-config', big, 'SELECT 1 FROM scope()'],
      ['mcp', '--stdio', '--api-config', big],
      ['sim', '--config', big],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toMatch(/is 8589934592 bytes; a config is at most 1048576 bytes \(1 MiB\)/);
    }
  });
});
