/**
 * The investigation screens end to end in browser mode against the simulator: import a config,
 * the demo server, clients, a collection with results, the VFS browser with a verified download,
 * a notebook cell with a VQL error, a hunt from the wizard whose stats change, and hostile strings
 * from the dataset staying inert. Screenshots of each main screen go to docs/screenshots/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { InvestigationPage } from './pages/InvestigationPage';
import { CLI } from './serve';

// Tests run in file order on one server (the demo started by the second one serves the rest).

let sim: ChildProcess | undefined;
let apiConfigFile = '';

test.beforeAll(async () => {
  // A second, separate simulator process to import a real API config from (not the demo server).
  apiConfigFile = join(mkdtempSync(join(tmpdir(), 'mr-inv-')), 'api.config.yaml');
  sim = spawn(
    process.execPath,
    [CLI, 'sim', '--write-api-config', apiConfigFile, '--role', 'investigator', '--name', 'e2e-investigator'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const deadline = Date.now() + 20_000;
  while (!existsSync(apiConfigFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(apiConfigFile)).toBe(true);
});

test.afterAll(() => {
  sim?.kill('SIGTERM');
});

test.beforeEach(({ page }) => {
  // Any dialog means endpoint data ran as script.
  page.on('dialog', (d) => {
    throw new Error(`Unexpected dialog "${d.message()}": hostile data executed`);
  });
});

test('an invalid config is refused with a specific error; a real one imports and passes the connection test', async ({
  shell,
  page,
}) => {
  const inv = new InvestigationPage(page);
  await shell.open('/connections');
  await inv.testId('config-yaml').fill('ca_certificate: nope\n');
  await inv.testId('config-name').fill('broken');
  await inv.testId('import-submit').click();
  await expect(inv.testId('import-error')).toContainText(/CONFIG_/);

  await inv.testId('config-yaml').fill('');
  await page.locator('input[type="file"]').setInputFiles(apiConfigFile);
  await expect(inv.testId('config-yaml')).toHaveValue(/api_connection_string/);
  await inv.testId('config-name').fill('lab server');
  await inv.testId('import-submit').click();
  await expect(inv.testId('connection-lab server')).toBeVisible();
  await inv.expectTestPassed('lab server');
});

test('the demo server starts, tests green, and becomes the active server', async ({ shell, page }) => {
  const inv = new InvestigationPage(page);
  await shell.open('/connections');
  await inv.startDemo();
  await inv.expectTestPassed('demo-simulator');
  await expect(inv.testId('connection-demo-simulator')).toContainText('simulator');
  await inv.screenshot('connections');
});

test('clients: search, online status, open a client, edit labels', async ({ shell, page }) => {
  const inv = new InvestigationPage(page);
  await shell.open('/connections');
  await inv.ensureDemo();
  await shell.open('/clients');
  await expect(inv.testId('client-table')).toBeVisible();
  expect(await page.locator('[data-testid^="client-row-"]').count()).toBeGreaterThanOrEqual(50);
  await expect(page.getByText('online', { exact: true }).first()).toBeVisible();
  await inv.screenshot('clients');
  await inv.openFirstClient('linux');
  const labels = inv.testId('labels-input');
  await labels.getByRole('combobox').fill('e2e-mark');
  await labels.getByRole('combobox').press('Enter');
  await expect(labels).toContainText('e2e-mark');
  await page.reload();
  await shell.waitReady();
  await expect(inv.testId('labels-input')).toContainText('e2e-mark');
});

test('collect an artifact and see its results; hostile strings stay text', async ({ shell, page }) => {
  const inv = new InvestigationPage(page);
  await shell.open('/connections');
  await inv.ensureDemo();
  await shell.open('/clients');
  await inv.testId('client-search').getByRole('combobox').fill('all');
  await inv.openFirstClient('linux');
  await inv.collect('Linux.Sys.Services', 'Linux.Sys.Serv');
  const grid = inv.grid(inv.testId('flow-view'));
  await expect(grid.getByRole('gridcell').first()).toBeVisible();
  await expect(
    grid
      .getByRole('gridcell', { name: '<script>alert("megaraptor-xss")</script>' })
      .or(grid.getByText('<script>alert("megaraptor-xss")</script>')),
  ).toBeVisible();
  expect(await page.locator('main script').count()).toBe(0);
  await inv.screenshot('flow-results');
});

test('VFS: list a directory from the client and download a file with its sha256', async ({ shell, page }) => {
  const inv = new InvestigationPage(page);
  await shell.open('/connections');
  await inv.ensureDemo();
  await shell.open('/clients');
  const id = await inv.openFirstClient('linux');
  await page.goto(new URL(`/clients?client=${id}&tab=vfs`, page.url()).toString());
  await shell.waitReady();
  await inv.testId('vfs-refresh').click();
  await expect(inv.testId('vfs-table')).toBeVisible({ timeout: 45_000 });
  await inv.testId('download-notes.txt').click();
  const done = inv.testId('download-done-notes.txt');
  await expect(done).toBeVisible({ timeout: 45_000 });
  const sha = (await done.getByTestId('download-sha256').textContent())!.trim();
  const path = (await done.getByTestId('download-path').textContent())!.trim();
  expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(sha);
  await inv.screenshot('vfs');
});

test('notebook: a VQL error shows beside the cell; Markdown stays inert', async ({ shell, page }) => {
  // Monaco is a large lazy chunk; on a loaded two-core machine its first parse can take a while.
  test.setTimeout(150_000);
  const inv = new InvestigationPage(page);
  await shell.open('/connections');
  await inv.ensureDemo();
  await shell.open('/notebooks');
  await inv.testId('new-notebook').click();
  await expect(inv.testId('notebook-view')).toBeVisible();
  await expect(page.locator('[data-testid^="editor-"] .view-lines').first()).toBeVisible({ timeout: 60_000 });
  // The seeded VQL cell: SELECT * FROM info(); run it with the keyboard shortcut.
  const cell = page
    .locator('[data-testid^="cell-"]')
    .filter({ has: page.locator('[data-testid^="editor-"]') })
    .first();
  await cell.locator('[data-testid^="editor-"] .view-lines').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('SELECT * FROM no_such_plugin()');
  await page.keyboard.press('Control+Enter');
  await expect(cell.getByTestId('cell-error')).toBeVisible({ timeout: 20_000 });
  await expect(cell.getByTestId('cell-error')).toContainText(/no_such_plugin/);

  await cell.locator('[data-testid^="editor-"] .view-lines').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('SELECT client_id, os_info FROM clients()');
  await cell.getByTestId('cell-run').click();
  await expect(cell.getByTestId('cell-stats')).toContainText('rows', { timeout: 20_000 });
  await expect(cell.getByRole('gridcell').first()).toBeVisible();

  await page.getByRole('button', { name: 'Add Markdown cell' }).click();
  const md = page.locator('[data-testid^="markdown-"]').last();
  await md.getByRole('button', { name: 'Edit' }).click();
  await page
    .getByRole('textbox', { name: 'Markdown' })
    .fill(
      'Hostile: <img src="http://198.51.100.23/x.png" onerror="alert(1)"> <script>alert(2)</script> [click](http://evil.example/)',
    );
  await page.getByRole('button', { name: 'Done' }).click();
  const rendered = page.locator('[data-testid^="markdown-"]').last();
  await expect(rendered).toContainText('Hostile:');
  expect(await rendered.locator('script').count()).toBe(0);
  expect(await rendered.locator('[onerror]').count()).toBe(0);
  expect(await rendered.locator('img[src]').count()).toBe(0);
  expect(await rendered.locator('a[href]').count()).toBe(0);
  await inv.screenshot('notebook');
});

test('hunt: create with the wizard, start it, and watch its stats change', async ({ shell, page }) => {
  const inv = new InvestigationPage(page);
  await shell.open('/connections');
  await inv.ensureDemo();
  await shell.open('/hunts');
  await inv.testId('new-hunt').click();
  await page.getByRole('textbox', { name: 'Search artifacts' }).fill('Generic.Client.Info');
  await inv.testId('artifact-Generic.Client.Info').click();
  for (let i = 0; i < 4; i++) await inv.testId('hunt-next').click();
  await expect(inv.testId('hunt-review')).toContainText('Generic.Client.Info');
  await inv.testId('hunt-create').click();
  await expect(inv.testId('hunt-dashboard')).toBeVisible();
  await expect(inv.testId('hunt-state')).toHaveText('PAUSED');
  await inv.testId('hunt-start').click();
  await expect(inv.testId('hunt-state')).toHaveText('RUNNING');
  await expect
    .poll(async () => Number(await inv.testId('stat-scheduled').textContent()), { timeout: 45_000 })
    .toBeGreaterThan(0);
  await expect
    .poll(async () => Number(await inv.testId('stat-finished').textContent()), { timeout: 60_000 })
    .toBeGreaterThan(0);
  await inv.screenshot('hunt-dashboard');
});
