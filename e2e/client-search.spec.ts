/**
 * Finding hosts fast on the Clients page, in browser mode against the simulator: os: narrows to one
 * OS, a bare client id or a host-name prefix finds the client, the hint names every prefix, host
 * names complete, the columns sort, and the keyboard walks the rows with one tab stop per row.
 */
import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';

test.describe.configure({ timeout: 120_000 });

async function hostsOf(rows: Locator): Promise<string[]> {
  return rows.locator('td:nth-child(3)').allTextContents();
}

test('os:, a bare client id and a host-name prefix find their clients; the hint names every prefix', async ({
  shell,
  page,
}) => {
  const clients = new ClientsPage(page);
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open('/clients');

  for (const prefix of ['host:', 'label:', 'os:', 'ip:', 'mac:', 'client:', 'recent', 'all'])
    await expect(clients.searchHint).toContainText(prefix);

  await clients.searchFor('os:linux');
  const linux = await clients.rows.count();
  expect(linux).toBeGreaterThan(0);
  await expect(clients.rows.filter({ hasNotText: 'linux' })).toHaveCount(0);

  const id = await clients.idOf(clients.rows.nth(1));
  const host = (await hostsOf(clients.rows.nth(1)))[0]!;
  await clients.searchFor(id);
  await expect(clients.rows).toHaveCount(1);
  await expect(clients.row(id)).toBeVisible();

  // A prefix of a host name completes to the name and finds the host.
  await clients.searchFor('all');
  const prefix = host.slice(0, host.length - 1);
  await clients.search.fill(prefix);
  await expect(page.getByRole('option', { name: host, exact: true })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(clients.row(id)).toBeVisible();

  await clients.search.fill('os:beos');
  await expect(
    page.getByText('os: takes windows, linux or darwin (macos), not "beos".', { exact: false }),
  ).toBeVisible();
  await expect(page.getByTestId('clients-error')).toHaveCount(0);
});

test('columns sort both ways; arrow keys move through rows and Tab stops once per row', async ({
  shell,
  page,
}) => {
  const clients = new ClientsPage(page);
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open('/clients');
  await clients.searchFor('all');

  const byHost = (a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase());
  await clients.sortBy('host').click();
  await expect(clients.sortHeader('host')).toHaveAttribute('aria-sort', 'ascending');
  const up = await hostsOf(clients.rows);
  expect(up.length).toBeGreaterThan(3);
  expect(up).toEqual([...up].sort(byHost));
  await clients.sortBy('host').click();
  await expect(clients.sortHeader('host')).toHaveAttribute('aria-sort', 'descending');
  expect(await hostsOf(clients.rows)).toEqual([...up].sort(byHost).reverse());

  const first = clients.rows.nth(0);
  const second = clients.rows.nth(1);
  await first.focus();
  await page.keyboard.press('ArrowDown');
  await expect(second).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(first).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(second).toBeFocused();
  await page.keyboard.press('End');
  await expect(clients.rows.last()).toBeFocused();
});
