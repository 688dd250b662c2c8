/**
 * The small things of issue 14 (item 12), each its own test: errors marked in the editor where they
 * point; a Clients page that lost its server says so with a retry; an imported server (its name with
 * parentheses) becomes the active one; the org picker and counts read right; Escape closes one layer
 * at a time; no console error on any area.
 */
import type { ConsoleMessage, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { NotebookPage } from './pages/NotebookPage';
import type { ShellPage } from './pages/ShellPage';
import { startSimWithConfig } from './sim';

async function withDemo(shell: ShellPage, page: Page, path: string): Promise<void> {
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open(path);
}

test('a VQL error is marked in the query where it points', async ({ shell, page }) => {
  test.setTimeout(150_000);
  await withDemo(shell, page, '/notebooks');
  const nb = new NotebookPage(page);
  await nb.createNotebook('markers');
  const cell = nb.vqlCells.first();
  await nb.setSource(cell, 'SELECT * FROM no_such_plugin()');
  await nb.runButton(cell).click();
  await expect(nb.error(cell)).toContainText('no_such_plugin');
  const squiggle = cell.locator('.squiggly-error');
  await expect(squiggle).toHaveCount(1);
  await nb.setSource(cell, 'SELECT * FROM info() WHERE WHERE');
  await nb.runButton(cell).click();
  await expect(nb.error(cell)).toContainText(/unexpected token/);
  await expect(squiggle).toHaveCount(1);
});

test('an imported server with parentheses in its name becomes the active server', async ({ shell, page }) => {
  const sim = await startSimWithConfig({ role: 'investigator', name: 'e2e-small' });
  try {
    await shell.open('/connections');
    const connections = new ConnectionsPage(page);
    await connections.importFile(sim.apiConfigFile, 'lab (IR-7)');
    await expect(connections.connection('lab (IR-7)').getByText('active', { exact: true })).toBeVisible();
  } finally {
    sim.stop();
  }
});

test('a Clients page whose server went away says so and offers a retry', async ({ shell, page }) => {
  const sim = await startSimWithConfig({ role: 'investigator', name: 'e2e-lost' });
  await shell.open('/connections');
  const connections = new ConnectionsPage(page);
  await connections.importFile(sim.apiConfigFile, 'lost');
  await connections.use('lost');
  sim.stop();
  await shell.open('/clients');
  const clients = new ClientsPage(page);
  await expect(page.getByTestId('clients-error')).toContainText('The server did not answer', {
    timeout: 30_000,
  });
  await page.getByTestId('clients-retry').click();
  await expect(page.getByTestId('clients-error')).toBeVisible();
  await expect(clients.table).toHaveCount(0);
});

test('the org picker shows names only; Escape closes a dropdown first, then its dialog', async ({
  shell,
  page,
}) => {
  await withDemo(shell, page, '/clients');
  const orgs = page.getByRole('combobox', { name: 'Org' });
  if (await orgs.isVisible()) await expect(orgs).not.toHaveValue(/\(.*\)/);
  const clients = new ClientsPage(page);
  await clients.openFirstClient('windows');
  await clients.collectButton.click();
  await clients.pickArtifact('Windows.Search.FileFinder', 'FileFinder');
  await clients.collectNext.click();
  const accessor = clients.parameterStep.getByRole('combobox', { name: 'Accessor' });
  await accessor.click();
  await expect(page.getByRole('option', { name: 'ntfs', exact: true })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('option', { name: 'ntfs', exact: true })).toBeHidden();
  await expect(clients.parameterStep).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(clients.parameterStep).toBeHidden();
});

test('no console error or failed request on any area', async ({ shell, page }) => {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request: ${r.url()}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
  });
  await withDemo(shell, page, '/clients');
  for (const area of [
    'clients',
    'notebooks',
    'hunts',
    'deployments',
    'credentials',
    'assistants',
    'settings',
    'connections',
  ])
    await shell.goTo(area);
  await shell.open('/clients');
  await new ClientsPage(page).openFirstClient('linux');
  expect(problems).toEqual([]);
});

test('state badges are never cut short', async ({ shell, page }) => {
  await page.setViewportSize({ width: 1024, height: 720 });
  await withDemo(shell, page, '/clients');
  await expect(new ClientsPage(page).table).toBeVisible();
  const cut = await page
    .locator('.mantine-Badge-label')
    .evaluateAll((els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
  expect(cut).toEqual([]);
});
