/**
 * The simulator's `config repack --msi` on a synthetic MSI laid out as an official one (the cabinet
 * stream on a 4 KiB page: 75 bytes of cabinet headers, then the placeholder), so the page arithmetic
 * and the limits are exact: which pages change, the checksum, the padding, and where it refuses. The
 * same code on a real MSI built by msitools is in installers.int.test.ts.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PLACEHOLDER_BYTES, placeholderConfig } from '../deploy/agents/testing/test-msi';
import { MSI_MAGIC, MSI_PAGE, placeholderPages, repackMsi } from './msi-repack';
import { capturedIo } from './testing/captured-io';
import { runVelociraptorCommandLine } from './velociraptor-cli';

const STREAM = 3 * MSI_PAGE;
const HEADER = 75;
const CHECKSUM = HEADER - 8;

function fakeMsi(placeholder: Buffer | null = placeholderConfig()): Buffer {
  const msi = Buffer.alloc(10 * MSI_PAGE, 'Z');
  MSI_MAGIC.copy(msi, 0);
  msi.write('MSCF', STREAM, 'latin1');
  for (let i = 4; i < HEADER; i++) msi[STREAM + i] = (i * 7) & 0xff;
  placeholder?.copy(msi, STREAM + HEADER);
  return msi;
}

function repacked(msi: Buffer, config: Buffer): Buffer {
  const r = repackMsi(msi, config);
  if (r.kind !== 'repacked') throw new Error(`not repacked: ${JSON.stringify(r)}`);
  return r.data;
}

describe('repackMsi', () => {
  it('maps the official placeholder to six 4 KiB pages of the MSI', () => {
    const { pages, headerLength } = placeholderPages(fakeMsi());
    expect(headerLength).toBe(HEADER);
    expect([...pages]).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, STREAM + i * MSI_PAGE]));
    expect(PLACEHOLDER_BYTES).toBe(23_898);
  });

  it('writes the config after the cabinet headers, pads it, zeroes the checksum, touches one page', () => {
    const msi = fakeMsi();
    const config = Buffer.from('Client:\n  server_urls: [https://vr.example:8000/]\n');
    const out = repacked(msi, config);
    expect(out.length).toBe(msi.length);
    expect(out.subarray(0, STREAM + CHECKSUM)).toEqual(msi.subarray(0, STREAM + CHECKSUM));
    expect(out.subarray(STREAM + CHECKSUM, STREAM + CHECKSUM + 4)).toEqual(Buffer.alloc(4));
    expect(out.subarray(STREAM + CHECKSUM + 4, STREAM + HEADER)).toEqual(
      msi.subarray(STREAM + CHECKSUM + 4, STREAM + HEADER),
    );
    const text = out.subarray(STREAM + HEADER, STREAM + MSI_PAGE).toString('latin1');
    expect(text.startsWith(config.toString())).toBe(true);
    // Newlines up to 2000 bytes of config, the padding comment, then spaces to the page end.
    expect(text.slice(config.length, 2000)).toBe('\n'.repeat(2000 - config.length));
    expect(text.slice(2000, 2012)).toBe('\n\n\n# Padding');
    expect(text.slice(2012)).toBe(' '.repeat(MSI_PAGE - HEADER - 2012));
    expect(out.subarray(STREAM + MSI_PAGE)).toEqual(msi.subarray(STREAM + MSI_PAGE));
  });

  it('holds 24,488 bytes of config in the official placeholder and refuses one byte more', () => {
    const fits = Buffer.alloc(24_488, 'a');
    const out = repacked(fakeMsi(), fits);
    expect(out.subarray(STREAM + HEADER, STREAM + HEADER + fits.length)).toEqual(fits);
    expect(out.subarray(STREAM + HEADER + fits.length, STREAM + 6 * MSI_PAGE).toString()).toBe(
      '\n\n\n# Padding ',
    );
    expect(repackMsi(fakeMsi(), Buffer.alloc(24_489, 'a'))).toEqual({
      kind: 'too-big',
      message: 'Insufficient space reserved in MSI file! Can not locate page 6.',
    });
  });

  it('finds no placeholder in an MSI without one, or with its first marker on a page boundary', () => {
    expect(repackMsi(fakeMsi(null), Buffer.from('x'))).toEqual({ kind: 'no-placeholder' });
    const aligned = Buffer.alloc(8 * MSI_PAGE, ' ');
    placeholderConfig().copy(aligned, 2 * MSI_PAGE);
    expect(repackMsi(aligned, Buffer.from('x'))).toEqual({ kind: 'no-placeholder' });
  });

  it('uses the one page of a legacy placeholder (no offset markers)', () => {
    const legacy = Buffer.alloc(8000, ' ');
    legacy.write('## Velociraptor client configuration.\n', 0);
    const msi = fakeMsi(legacy);
    expect(repacked(msi, Buffer.alloc(3000, 'b')).subarray(STREAM + HEADER, STREAM + HEADER + 3000)).toEqual(
      Buffer.alloc(3000, 'b'),
    );
    expect(repackMsi(msi, Buffer.alloc(5000, 'b'))).toMatchObject({ kind: 'too-big' });
  });
});

describe('velociraptor config repack (simulator command line)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'megaraptor-repack-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function vr(args: string[]): Promise<{ code: number; out: string; err: string }> {
    const io = capturedIo(dir);
    const code = await runVelociraptorCommandLine(args, io);
    return { code, out: io.out(), err: io.err() };
  }

  const valid = 'Client:\n  server_urls: [https://vr.example:8000/]\n  ca_certificate: PEM\n  nonce: abc\n';

  it('writes the repacked MSI (mode 0700) and prints its RepackInfo row', async () => {
    await writeFile(join(dir, 'v.msi'), fakeMsi());
    await writeFile(join(dir, 'client.yaml'), valid);
    const r = await vr(['config', 'repack', '--msi', 'v.msi', 'client.yaml', 'out.msi']);
    expect(r).toMatchObject({ code: 0, err: '' });
    const out = await readFile(join(dir, 'out.msi'));
    expect(out).toEqual(repacked(fakeMsi(), Buffer.from(valid)));
    expect((await stat(join(dir, 'out.msi'))).mode & 0o777).toBe(0o700);
    const [row] = JSON.parse(r.out) as Array<{ RepackInfo: Record<string, unknown> }>;
    expect(row?.RepackInfo).toMatchObject({
      Path: join(dir, 'out.msi'),
      Size: out.length,
      UploadId: 0,
      Components: ['out.msi'],
    });
    expect(r.out.startsWith('[\n {\n  "RepackInfo": {\n   "Path"')).toBe(true);
  });

  it('without a placeholder: RepackInfo null, no file, exit 0 (as Velociraptor)', async () => {
    await writeFile(join(dir, 'v.msi'), fakeMsi(null));
    await writeFile(join(dir, 'client.yaml'), valid);
    const r = await vr(['config', 'repack', '--msi=v.msi', 'client.yaml', 'out.msi']);
    expect(r).toEqual({ code: 0, out: '[\n {\n  "RepackInfo": null\n }\n]', err: '' });
    await expect(stat(join(dir, 'out.msi'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a config too big, an invalid config and a file that is not an MSI', async () => {
    await writeFile(join(dir, 'v.msi'), fakeMsi());
    await writeFile(join(dir, 'big.yaml'), valid + `# ${'x'.repeat(30_000)}\n`);
    const big = await vr(['config', 'repack', '--msi', 'v.msi', 'big.yaml', 'out.msi']);
    expect(big.code).toBe(1);
    expect(big.err).toContain(
      'config repack: client_repack: Insufficient space reserved in MSI file! Can not locate page 6.',
    );
    await writeFile(join(dir, 'nonce.yaml'), 'Client:\n  ca_certificate: PEM\n');
    const invalid = await vr(['config', 'repack', '--msi', 'v.msi', 'nonce.yaml', 'out.msi']);
    expect(invalid.err).toContain('Provided config file not valid: No Client.nonce configured');
    await writeFile(join(dir, 'client.yaml'), valid);
    await writeFile(join(dir, 'v.exe'), Buffer.from('MZ not an MSI'));
    const exe = await vr(['config', 'repack', '--exe', 'v.exe', 'client.yaml', 'out.msi']);
    expect(exe.err).toContain('is not an MSI; the simulator does not repack executables');
    await expect(stat(join(dir, 'out.msi'))).rejects.toThrow(/ENOENT/);
  });
});
