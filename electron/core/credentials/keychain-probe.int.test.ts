/**
 * Against the real Secret Service: `npm test` runs the integration project inside a private D-Bus
 * session with an unlocked gnome-keyring (MEGARAPTOR_TEST_KEYRING=1). Outside it the probe must
 * answer "unavailable" with advice, never hang or throw.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { keyringSession } from '../../../test/real-parts';
import { probeKeychain } from './keychain-probe';

const run = promisify(execFile);
const keyring = keyringSession();

describe('probeKeychain (real @napi-rs/keyring)', () => {
  it(`runs inside ${keyring.name} (required in CI)`, () => keyring.check());

  it.runIf(keyring.run)('finds the unlocked gnome-keyring of the test session', async () => {
    const status = await probeKeychain({ timeoutMs: 10_000 });
    expect(status).toEqual({ available: true, backend: 'Secret Service' });
  });

  it('answers without a D-Bus session as unavailable, with advice', async () => {
    // The keyring library keeps its D-Bus connection per process, so the "no bus" case runs in a
    // child process: the probe bundled with esbuild, @napi-rs/keyring resolved from node_modules.
    const root = resolve(import.meta.dirname, '../../..');
    const dir = join(root, 'test-results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `probe-${process.pid}.mjs`);
    await build({
      stdin: {
        contents:
          "import { probeKeychain } from './keychain-probe'; console.log(JSON.stringify(await probeKeychain({ timeoutMs: 10000 })));",
        resolveDir: import.meta.dirname,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      external: ['@napi-rs/keyring'],
      outfile: file,
      logLevel: 'silent',
    });
    try {
      const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/megaraptor-bus' };
      const { stdout } = await run(process.execPath, [file], { env, timeout: 30_000 });
      const status = JSON.parse(stdout) as { available: boolean; detail?: string };
      expect(status.available).toBe(false);
      expect(status.detail).toMatch(/Secret Service|keyring/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
