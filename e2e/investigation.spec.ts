/**
 * The investigation screens end to end in browser mode against the simulator: import a config,
 * the demo server, clients, a collection with results, the VFS browser with a verified download,
 * a notebook cell with a VQL error, a hunt from the wizard whose stats change, and hostile strings
 * from the dataset staying inert. Screenshots of each main screen go to docs/screenshots/.
 * Each test connects what it needs itself (the demo server when this file's server lacks it), so
 * any test runs alone or in any order.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { HuntsPage } from './pages/HuntsPage';
import { saveScreenshot } from './pages/screenshots';
import type { ShellPage } from './pages/ShellPage';
import { startSimWithConfig, type SimWithConfig } from './sim';

let sim: SimWithConfig;

test.beforeAll(async () => {
  // A second, separate simulator process to import a real API config from (not the demo server).
  sim = await startSimWithConfig({ role: 'investigator', name: 'e2e-investigator' });
});

test.afterAll(() => sim?.stop());

test.beforeEach(({ page }) => {
  // Any dialog means endpoint data ran as script.
  page.on('dialog', (d) => {
    throw new Error(`Unexpected dialog "${d.message()}": hostile data executed`);
  });
});

/** The demo server connected, then `path` open. */
async function withDemo(shell: ShellPage, page: Page, path: string): Promise<void> {
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open(path);
}

test('an invalid config is refused with a specific error; a real one imports and passes the connection test', async ({
  shell,
  page,
}) => {
  const connections = new ConnectionsPage(page);
  await shell.open('/connections');
  await connections.configYaml.fill('ca_certificate: nope\n');
  await connections.configName.fill('broken');
  await connections.importSubmit.click();
  await expect(connections.importError).toContainText(/CONFIG_/);

  await connections.configYaml.fill('');
  await connections.importFile(sim.apiConfigFile, 'lab server');
  await connections.expectTestPassed('lab server');
});

test('the demo server starts, tests green, and becomes the active server', async ({ shell, page }) => {
  const connections = new ConnectionsPage(page);
  await shell.open('/connections');
  await connections.ensureDemo();
  await connections.expectTestPassed('demo-simulator');
  await expect(connections.demo).toContainText('simulator');
  await saveScreenshot(page, 'connections');
});

test('clients: search, online status, open a client, edit labels', async ({ shell, page }) => {
  const clients = new ClientsPage(page);
  await withDemo(shell, page, '/clients');
  await expect(clients.table).toBeVisible();
  expect(await clients.rows.count()).toBeGreaterThanOrEqual(50);
  await expect(page.getByText('online', { exact: true }).first()).toBeVisible();
  await saveScreenshot(page, 'clients');
  await clients.openFirstClient('linux');
  const labels = clients.labelsInput;
  await labels.getByRole('combobox').fill('e2e-mark');
  await labels.getByRole('combobox').press('Enter');
  await expect(labels).toContainText('e2e-mark');
  await page.reload();
  await shell.waitReady();
  await expect(clients.labelsInput).toContainText('e2e-mark');
});

test('collect an artifact and see its results; hostile strings stay text', async ({ shell, page }) => {
  const clients = new ClientsPage(page);
  await withDemo(shell, page, '/clients');
  await clients.search.fill('all');
  await clients.openFirstClient('linux');
  await clients.collect('Linux.Sys.Services', 'Linux.Sys.Serv');
  const grid = clients.grid(clients.flowView);
  await expect(grid.getByRole('gridcell').first()).toBeVisible();
  await expect(
    grid
      .getByRole('gridcell', { name: '<script>alert("megaraptor-xss")</script>' })
      .or(grid.getByText('<script>alert("megaraptor-xss")</script>')),
  ).toBeVisible();
  expect(await page.locator('main script').count()).toBe(0);
  await saveScreenshot(page, 'flow-results');
});

test('VFS: list a directory from the client and download a file with its sha256', async ({ shell, page }) => {
  const clients = new ClientsPage(page);
  await withDemo(shell, page, '/clients');
  const id = await clients.openFirstClient('linux');
  await page.goto(new URL(`/clients?client=${id}&tab=vfs`, page.url()).toString());
  await shell.waitReady();
  await clients.vfsRefresh.click();
  await expect(clients.vfsTable).toBeVisible({ timeout: 45_000 });
  await clients.download('notes.txt').click();
  const done = clients.downloadDone('notes.txt');
  await expect(done).toBeVisible({ timeout: 45_000 });
  const sha = await clients.downloadedSha256(done);
  const path = await clients.downloadedPath(done);
  expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(sha);
  await saveScreenshot(page, 'vfs');
});

test('notebook: a VQL error shows beside the cell; Markdown stays inert', async ({ shell, page }) => {
  // Monaco is a large lazy chunk; on a loaded two-core machine its first parse can take a while.
  test.setTimeout(150_000);
  await withDemo(shell, page, '/notebooks');
  await page.getByTestId('new-notebook').click();
  await expect(page.getByTestId('notebook-view')).toBeVisible();
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
  await saveScreenshot(page, 'notebook');
});

test('hunt: create with the wizard, start it, and watch its stats change', async ({ shell, page }) => {
  const hunts = new HuntsPage(page);
  await withDemo(shell, page, '/hunts');
  await hunts.newHunt.click();
  await hunts.pickArtifact('Generic.Client.Info');
  for (let i = 0; i < 4; i++) await hunts.next.click();
  await expect(hunts.review).toContainText('Generic.Client.Info');
  await hunts.create.click();
  await expect(hunts.dashboard).toBeVisible();
  await expect(hunts.state).toHaveText('PAUSED');
  await hunts.start.click();
  await expect(hunts.state).toHaveText('RUNNING');
  await expect
    .poll(async () => Number(await hunts.stat('scheduled').textContent()), { timeout: 45_000 })
    .toBeGreaterThan(0);
  await expect
    .poll(async () => Number(await hunts.stat('finished').textContent()), { timeout: 60_000 })
    .toBeGreaterThan(0);
  await saveScreenshot(page, 'hunt-dashboard');
});
