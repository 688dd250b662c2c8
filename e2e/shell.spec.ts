import { expect, test } from './fixtures';
import { saveScreenshot } from './pages/screenshots';
import { SettingsPage } from './pages/SettingsPage';

const AREAS = [
  ['connections', 'Connections'],
  ['clients', 'Clients'],
  ['notebooks', 'Notebooks'],
  ['hunts', 'Hunts'],
  ['deployments', 'Deployments'],
  ['agents', 'Agents'],
  ['credentials', 'Credentials'],
  ['assistants', 'Assistants (MCP)'],
  ['settings', 'Settings'],
] as const;

test('the shell renders and reaches data-app-state=ready', async ({ shell, page }) => {
  await shell.open();
  await expect(page).toHaveTitle('Megaraptor Desktop');
  await expect(shell.headerMode).toHaveText('browser mode');
  // The token left the address bar once it was read.
  expect(page.url()).not.toContain('token=');
  // The default area is the first one.
  await expect(page).toHaveURL(/\/connections$/);
  await expect(shell.navLink('connections')).toHaveAttribute('data-active', 'true');
});

test('navigation reaches every area, with history and deep links', async ({ shell, page }) => {
  await shell.open();
  await expect(shell.navLinks).toHaveCount(AREAS.length);
  for (const [id, title] of AREAS) {
    const area = await shell.goTo(id);
    await expect(page).toHaveURL(new RegExp(`/${id}$`));
    await expect(area.getByRole('heading', { level: 2 })).toHaveText(title);
    await expect(shell.navLink(id)).toHaveAttribute('data-active', 'true');
    // Areas that are not built yet show an honest empty state; built ones show their own content.
    await expect(shell.errorBoundary(area)).toHaveCount(0);
  }
  await page.goBack();
  await expect(shell.area('assistants')).toBeVisible();
  // A reload of a deep link keeps the area (the token survives in this tab's session).
  await page.reload();
  await shell.waitReady();
  await expect(shell.area('assistants')).toBeVisible();
});

test('the theme toggles between light and dark and is remembered', async ({ shell, page }) => {
  await shell.open();
  const before = await shell.colorScheme();
  await shell.themeToggle.click();
  const after = await shell.colorScheme();
  expect(after).not.toBe(before);
  expect(['light', 'dark']).toContain(after);
  await page.reload();
  await shell.waitReady();
  expect(await shell.colorScheme()).toBe(after);
});

test('no CSP violations or page errors while the UI runs', async ({ shell, page }) => {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  await shell.open('/settings');
  await shell.goTo('hunts');
  expect(problems).toEqual([]);
});

test('screenshot of the running UI for the README', async ({ shell, page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await shell.open('/settings');
  await expect(new SettingsPage(page).version).toBeVisible();
  await saveScreenshot(page, 'shell');
});
