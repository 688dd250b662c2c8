/**
 * The real desktop app, launched with Playwright's _electron. Runs wherever an Electron binary is
 * installed (`npm install` with network); on machines without one (CI here) every test is skipped
 * with the reason printed — the one documented exception to "missing parts fail in CI".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { IN_CI } from '../../test/real-parts';
import { ROOT } from '../serve';
import { electronBinary } from './electron-binary';

const binary = electronBinary();
if (!binary.path) console.log(`[electron specs] skipped: ${binary.reason}`);
test.skip(!binary.path, `skipped: ${binary.reason}`);

let app: ElectronApplication;
let dataDir: string;

test.beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'megaraptor-electron-'));
  app = await electron.launch({
    executablePath: binary.path!,
    args: [ROOT, ...(IN_CI ? ['--no-sandbox'] : [])],
    env: { ...process.env, MEGARAPTOR_DATA_DIR: dataDir },
  });
});

test.afterAll(async () => {
  await app?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('the window is hardened and reaches ready over IPC', async () => {
  const page = await app.firstWindow();
  await expect(page.locator('#root')).toHaveAttribute('data-app-state', 'ready');
  await expect(page.getByTestId('header-mode')).toHaveText('desktop');
  const url = await app.evaluate(({ BrowserWindow }) =>
    BrowserWindow.getAllWindows()[0]!.webContents.getURL(),
  );
  expect(url).toBe('app://megaraptor/index.html');
  // Sandboxed, isolated renderer: no Node globals, and the bridge holds only contract functions.
  expect(
    await page.evaluate(() => [
      typeof (globalThis as { require?: unknown }).require,
      typeof (globalThis as { process?: unknown }).process,
    ]),
  ).toEqual(['undefined', 'undefined']);
  const bridge = await page.evaluate(() =>
    Object.keys((window as unknown as { megaraptor: object }).megaraptor),
  );
  expect(bridge).toContain('app:info');
});

test('Settings shows the data dir the app was started with', async () => {
  const page = await app.firstWindow();
  await page.getByTestId('nav-settings').click();
  await expect(page.getByTestId('about-data-dir')).toHaveText(dataDir);
  await expect(page.getByTestId('about-mode')).toHaveText('Desktop app');
});

test('navigation away and new windows are refused', async () => {
  const page = await app.firstWindow();
  await page.evaluate(() => {
    window.location.href = 'https://example.com/';
  });
  await page.waitForTimeout(500);
  expect(page.url()).toMatch(/^app:\/\/megaraptor\//);
  await page.evaluate(() => {
    window.open('https://example.com/');
  });
  await page.waitForTimeout(500);
  expect(app.windows()).toHaveLength(1);
});
