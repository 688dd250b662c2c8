/**
 * The decision `npm start` / `npm run dist` take about Electron's binary: present (nothing to do),
 * missing (one download, with progress), download failing (an error that points to browser mode).
 * The download is the real @electron/get path (checksum verified, zip unpacked, path.txt written)
 * against a loopback HTTP mirror serving a small zip: the internet is not reachable here.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildZip } from '../electron/core/files/index';
import {
  BROWSER_MODE_HINT,
  downloadElectron,
  electronState,
  ensureElectron,
  platformPath,
} from './electron-binary.mjs';

const VERSION = '45.5.0';
const ZIP_NAME = `electron-v${VERSION}-linux-x64.zip`;
const zip = buildZip([
  { name: 'electron', data: Buffer.from('#!/bin/sh\necho electron\n') },
  { name: 'version', data: Buffer.from(`v${VERSION}`) },
]);

let dirs: string[] = [];
/** A node_modules/electron look-alike: package.json and checksums.json, no binary. */
function electronPackage(checksum = createHash('sha256').update(zip).digest('hex')): string {
  const dir = mkdtempSync(join(tmpdir(), 'mr-electron-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'electron', version: VERSION }));
  writeFileSync(join(dir, 'checksums.json'), JSON.stringify({ [ZIP_NAME]: checksum }));
  return dir;
}
function install(dir: string, version = VERSION): void {
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'version'), `v${version}`);
  writeFileSync(join(dir, 'dist', 'electron'), '');
  writeFileSync(join(dir, 'path.txt'), 'electron');
}

/** Collects what the step prints. */
function sink() {
  const lines: string[] = [];
  return {
    lines,
    log: (l: string) => lines.push(l),
    out: { isTTY: false, write: (s: string) => lines.push(s) },
  };
}

let server: Server;
let mirror = '';
const requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === `/v${VERSION}/${ZIP_NAME}`) {
      res.writeHead(200, { 'content-length': zip.length, 'content-type': 'application/zip' });
      res.end(zip);
    } else {
      res.writeHead(404);
      res.end('not here');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
  requests.length = 0;
});

describe('electronState', () => {
  it('is present when dist/version, path.txt and the executable agree with the package', () => {
    const dir = electronPackage();
    install(dir);
    expect(electronState(dir, { env: {}, platform: 'linux' })).toEqual({
      state: 'present',
      path: join(dir, 'dist', 'electron'),
      version: VERSION,
    });
  });

  it('is missing when the binary was never downloaded, is another version, or is gone', () => {
    const dir = electronPackage();
    expect(electronState(dir, { env: {}, platform: 'linux' })).toMatchObject({
      state: 'missing',
      reason: 'its binary was never downloaded',
    });
    install(dir, '44.0.0');
    expect(electronState(dir, { env: {}, platform: 'linux' })).toMatchObject({
      state: 'missing',
      reason: 'the binary installed is 44.0.0',
    });
    install(dir);
    rmSync(join(dir, 'dist', 'electron'));
    expect(electronState(dir, { env: {}, platform: 'linux' }).state).toBe('missing');
    expect(platformPath('darwin')).toBe('Electron.app/Contents/MacOS/Electron');
  });
});

describe('ensureElectron', () => {
  it('does nothing when the binary is present', async () => {
    const dir = electronPackage();
    install(dir);
    const s = sink();
    let fetched = 0;
    const r = await ensureElectron({
      dir,
      env: {},
      platform: 'linux',
      ...s,
      fetchBinary: async () => void fetched++,
    });
    expect(r.state).toBe('present');
    expect(fetched).toBe(0);
    expect(s.lines).toEqual([]);
  });

  it('downloads a missing binary once, with progress, verified against checksums.json, and unpacks it', async () => {
    const dir = electronPackage();
    const s = sink();
    const cacheRoot = mkdtempSync(join(tmpdir(), 'mr-electron-cache-'));
    dirs.push(cacheRoot);
    const r = await ensureElectron({
      dir,
      env: {},
      platform: 'linux',
      ...s,
      fetchBinary: (o) => downloadElectron({ ...o, mirror, cacheRoot, platform: 'linux', arch: 'x64' }),
    });
    expect(r).toEqual({ state: 'present', path: join(dir, 'dist', 'electron'), version: VERSION });
    expect(requests).toEqual([`/v${VERSION}/${ZIP_NAME}`]);
    expect(readFileSync(join(dir, 'path.txt'), 'utf8')).toBe('electron');
    expect(s.lines[0]).toMatch(/Electron 45\.5\.0 is not installed yet \(its binary was never downloaded\)/);
    expect(s.lines.some((l) => /Downloading Electron 45\.5\.0: 100% \(0\.0 of 0\.0 MB\)/.test(l))).toBe(true);
    expect(s.lines.at(-1)).toBe('Electron 45.5.0 is ready.');
  });

  it('refuses a download whose checksum does not match, and leaves nothing installed', async () => {
    const dir = electronPackage('0'.repeat(64));
    const cacheRoot = mkdtempSync(join(tmpdir(), 'mr-electron-cache-'));
    dirs.push(cacheRoot);
    const e = await ensureElectron({
      dir,
      env: {},
      platform: 'linux',
      ...sink(),
      fetchBinary: (o) => downloadElectron({ ...o, mirror, cacheRoot, platform: 'linux', arch: 'x64' }),
    }).catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/^Could not download Electron 45\.5\.0: .*checksum/i);
    expect(electronState(dir, { env: {}, platform: 'linux' }).state).toBe('missing');
  });

  it('a failing download says what failed and points to browser mode', async () => {
    const dir = electronPackage();
    const cacheRoot = mkdtempSync(join(tmpdir(), 'mr-electron-cache-'));
    dirs.push(cacheRoot);
    const e = await ensureElectron({
      dir,
      env: {},
      platform: 'linux',
      ...sink(),
      // A mirror that has no such file: the server answers 404, as an unreachable release would fail.
      fetchBinary: (o) =>
        downloadElectron({ ...o, mirror: `${mirror}nothing/`, cacheRoot, platform: 'linux', arch: 'x64' }),
    }).catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(Error);
    const msg = (e as Error).message;
    expect(msg).toMatch(/^Could not download Electron 45\.5\.0: .*404/);
    expect(msg).toContain(BROWSER_MODE_HINT);
    expect(msg).toContain('node out/cli/megaraptor.mjs serve');
  });
});
