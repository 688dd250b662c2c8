import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contract } from '../../../shared/contracts/index';
import { Dispatcher } from '../rpc/dispatcher';
import { createCoreServices } from '../services';
import { platformUserDataDir, resolveDataDir } from './data-dir';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'megaraptor-appinfo-'));
  dirs.push(d);
  return d;
}

describe('data dir', () => {
  it('prefers MEGARAPTOR_DATA_DIR and creates it owner-only', () => {
    const base = tmp();
    const dir = resolveDataDir({
      env: { MEGARAPTOR_DATA_DIR: 'sub/data' },
      cwd: base,
      fallback: '/nonexistent',
    });
    expect(dir).toBe(join(base, 'sub', 'data'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('falls back to Electron userData, then the platform folder', () => {
    const fb = join(tmp(), 'user-data');
    expect(resolveDataDir({ env: {}, fallback: fb })).toBe(fb);
    expect(platformUserDataDir('linux', { XDG_CONFIG_HOME: '/x/cfg' }, '/home/u')).toBe(
      '/x/cfg/Megaraptor Desktop',
    );
    expect(platformUserDataDir('linux', {}, '/home/u')).toBe('/home/u/.config/Megaraptor Desktop');
    expect(platformUserDataDir('darwin', {}, '/Users/u')).toBe(
      '/Users/u/Library/Application Support/Megaraptor Desktop',
    );
    expect(platformUserDataDir('win32', { APPDATA: 'C:\\AppData' }, 'C:\\u')).toContain('Megaraptor Desktop');
  });
});

describe('app:info through the composition root', () => {
  it('answers with the data dir, mode and probed keychain, probing once', async () => {
    const dataDir = tmp();
    let probes = 0;
    const core = createCoreServices({
      mode: 'browser',
      version: '9.9.9',
      env: { MEGARAPTOR_DATA_DIR: dataDir },
      probeKeychain: async () => {
        probes++;
        return { available: false, backend: 'Secret Service', detail: 'no bus' };
      },
    });
    const d = new Dispatcher(contract, core.handlers);
    const first = await d.call('app:info', {}, 'test');
    const second = await d.call('app:info', {}, 'test');
    expect(first).toEqual({
      ok: true,
      value: {
        name: 'Megaraptor Desktop',
        version: '9.9.9',
        platform: process.platform,
        arch: process.arch,
        nodeVersion: process.versions.node,
        mode: 'browser',
        dataDir,
        startedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        keychain: { available: false, backend: 'Secret Service', detail: 'no bus' },
      },
    });
    // One app start: the same start time on every call (the keychain notice is shown once by it).
    expect(second).toEqual(first);
    expect(probes).toBe(1);
    await core.dispose();
  });
});
