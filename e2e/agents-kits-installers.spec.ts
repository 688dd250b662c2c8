/**
 * Installers and the GPO kit from the kits page in browser mode, against the demo server: an MSI
 * shaped like Velociraptor's official one (built at run time by msitools, as in
 * installers.int.test.ts) is sent from the page with the simulator's launcher as the Velociraptor for
 * this machine (no release is fetched), repacked with the demo server's agent config and saved; the
 * page shows the file with its size, SHA-256 and the re-signing note. Then the GPO kit from that MSI.
 * Every file the page lists is checked on disk (exports/agent-kits) against the SHA-256 it shows, and
 * the browser's downloads against the same. A file that is not an MSI is refused with its reason, and
 * the collector's parameter rows are checked as the CLI checks --param.
 * Screenshots: docs/screenshots/agents-installer-msi.png, agents-installers.png.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestMsi, msiTools } from '../electron/core/deploy/agents/testing/test-msi';
import { velociraptorLauncher } from '../electron/core/sim/launcher';
import { expect, test } from './fixtures';
import { AgentsPage } from './pages/AgentsPage';
import { saveScreenshot } from './pages/screenshots';
import { CLI } from './serve';
import { callOver, openSocket } from './ws-client';

let dir: string;

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-e2e-installers-'));
});
test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('an MSI repacked and a GPO kit built from the kits page, saved with the sha256 shown', async ({
  shell,
  page,
  server,
}) => {
  msiTools().skipOrFail((skip, why) => test.skip(skip, why));
  test.setTimeout(180_000);
  const ws = await openSocket(server);
  const demo = await callOver(ws, 'connections:demo', {});
  ws.close();
  expect(demo.ok).toBe(true);
  const demoName = (demo as { ok: true; value: { name: string } }).value.name;

  const msi = await buildTestMsi(dir, 'velociraptor-v0.77.2-windows-amd64.msi', {
    exe: Buffer.from('MZ stand-in for Velociraptor.exe (e2e)'),
  });
  const runner = join(dir, 'velociraptor');
  writeFileSync(runner, velociraptorLauncher(CLI, process.execPath), { mode: 0o755 });
  const notMsi = join(dir, 'not-an.msi');
  writeFileSync(notMsi, 'PK\x03\x04 a zip named .msi');

  await shell.open();
  await shell.goTo('agents');
  const agents = new AgentsPage(page);
  await page.getByTestId('agents-tab-kits').click();
  await agents.choose('kit-server', demoName);
  const card = page.getByTestId('kit-installers');
  await card.getByText('My MSI', { exact: true }).first().click();
  const fileInput = card.getByTestId('kit-installer-file');

  // Not an MSI: refused by its first bytes, with the reason.
  await fileInput.setInputFiles(notMsi);
  await card.getByTestId('kit-installer-build').click();
  await expect(card.getByTestId('kit-installer-error')).toContainText('not-an.msi is not an MSI');

  // The MSI, with the simulator's launcher as the Velociraptor that runs here.
  await fileInput.setInputFiles(msi);
  await card.getByTestId('kit-installer-runner').setInputFiles(runner);
  await card.getByTestId('kit-installer-labels').fill('IR-2026-7, e2e');
  const msiDownload = page.waitForEvent('download');
  await card.getByTestId('kit-installer-build').click();
  const result = card.getByTestId('kit-installer-result');
  await expect(result).toBeVisible({ timeout: 120_000 });
  await expect(card.getByTestId('kit-installer-error')).toHaveCount(0);
  const row = result.getByTestId('kit-file');
  await expect(row).toHaveAttribute('data-name', 'velociraptor-v0.77.2-windows-amd64-repacked.msi');
  const shownSha = (await row.getAttribute('data-sha256')) ?? '';
  await expect(row).toContainText(shownSha);
  const savedTo = (await result.getAttribute('data-saved-to')) ?? '';
  expect(savedTo.startsWith(join(server.dataDir, 'exports', 'agent-kits'))).toBe(true);
  expect(sha256(savedTo)).toBe(shownSha);
  expect(sha256(msi)).not.toBe(shownSha);
  // Our config is inside: the placeholder's bytes were replaced by the demo server's client config.
  expect(readFileSync(savedTo).includes(Buffer.from('IR-2026-7'))).toBe(true);
  const downloaded = await (await msiDownload).path();
  expect(sha256(downloaded)).toBe(shownSha);
  await expect(card.getByTestId('kit-installer-notes')).toContainText('Authenticode signature');
  await expect(card.getByTestId('kit-installer-notes')).toContainText('osslsigncode sign');
  await result.scrollIntoViewIfNeeded();
  await saveScreenshot(page, 'agents-installer-msi');

  // The GPO kit from that MSI: folder + ZIP, every file as the page shows it.
  const gpo = card.getByTestId('kit-gpo');
  await expect(gpo.getByTestId('kit-gpo-built')).toHaveText(
    'velociraptor-v0.77.2-windows-amd64-repacked.msi',
  );
  await gpo.getByTestId('kit-gpo-share').fill('\\\\files01\\Velociraptor$');
  const zipDownload = page.waitForEvent('download');
  await gpo.getByTestId('kit-gpo-build').click();
  const kit = gpo.getByTestId('kit-gpo-result');
  await expect(kit).toBeVisible({ timeout: 60_000 });
  const zipPath = (await kit.getAttribute('data-saved-to')) ?? '';
  const files = await kit
    .getByTestId('kit-file')
    .evaluateAll((els) => els.map((e) => [e.getAttribute('data-name'), e.getAttribute('data-sha256')]));
  expect(files.map(([name]) => name)).toEqual([
    'velociraptor-v0.77.2-windows-amd64-repacked.msi',
    'README.md',
    'install-velociraptor.ps1',
    'SHA256SUMS',
    zipPath.split('/').pop(),
  ]);
  const folder = zipPath.replace(/\.zip$/, '');
  for (const [name, sha] of files.slice(0, -1)) {
    const path = join(folder, name ?? '');
    expect(existsSync(path)).toBe(true);
    expect(sha256(path)).toBe(sha);
  }
  expect(sha256(zipPath)).toBe(files.at(-1)?.[1]);
  expect(files[0]?.[1]).toBe(shownSha);
  expect(readFileSync(join(folder, 'README.md'), 'utf8')).toContain(
    '\\\\files01\\Velociraptor$\\velociraptor-v0.77.2-windows-amd64-repacked.msi',
  );
  expect(sha256(await (await zipDownload).path())).toBe(files.at(-1)?.[1]);
  await kit.scrollIntoViewIfNeeded();
  await saveScreenshot(page, 'agents-installers');

  // The collector's parameter rows: a name the CLI could not express is refused, the build waits.
  const collector = page.getByTestId('kit-collector');
  await collector.getByTestId('kit-collector-artifacts').fill('Generic.Client.Info, Linux.Sys.Users');
  await collector.getByTestId('kit-collector-param-add').click();
  const param = collector.getByTestId('kit-collector-param').first();
  await param.getByTestId('kit-collector-param-name').fill('a.b');
  await expect(param).toContainText('"a.b" is not a parameter name');
  await expect(collector.getByTestId('kit-collector-build')).toBeDisabled();
  await param.getByTestId('kit-collector-param-name').fill('Verbose');
  await param.getByTestId('kit-collector-param-value').fill('Y');
  await expect(collector.getByTestId('kit-collector-build')).toBeEnabled();
});
