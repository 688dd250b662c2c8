/**
 * Hunts as a responder runs them, in browser mode against the simulator: the wizard offers the
 * server's labels and warns when a Windows artifact is scoped to any OS (one click scopes it), stop
 * asks first, the hunt exports as one zip handed to the browser, and a client row opens that
 * client's collection.
 */
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { HuntsPage } from './pages/HuntsPage';

test.describe.configure({ timeout: 180_000 });

test('labels offered, OS warning fixed, stop confirmed, zip exported, a row opens its flow', async ({
  shell,
  page,
}) => {
  const hunts = new HuntsPage(page);
  const id = (t: string) => page.getByTestId(t);
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open('/hunts');

  await hunts.newHunt.click();
  await hunts.pickArtifact('Windows.System.Pslist');
  await hunts.next.click();
  await hunts.next.click();
  await expect(id('hunt-os-warning')).toContainText('Windows.System.Pslist is written for Windows');
  await expect(id('hunt-os-warning')).toContainText('Scoped to any OS');
  await id('hunt-include-labels').click();
  await expect(page.getByRole('option', { name: 'Workstations', exact: true })).toBeVisible();
  await page.keyboard.press('Escape');
  await id('hunt-os-fix').click();
  await expect(id('hunt-os-warning')).toHaveCount(0);
  await hunts.next.click();
  await hunts.next.click();
  await expect(hunts.review).toContainText('OS windows');
  await hunts.create.click();
  await expect(hunts.dashboard).toBeVisible();
  await hunts.start.click();
  await expect(hunts.state).toHaveText('RUNNING');
  await expect
    .poll(async () => Number(await hunts.stat('finished').textContent()), { timeout: 60_000 })
    .toBeGreaterThan(0);
  const huntId = (await hunts.dashboard.locator('code').first().textContent())!.trim();
  // The chart's axis names the zone its times are in (the UTC/Local switch applies).
  await expect(id('hunt-chart')).toContainText(/time \((UTC|[+-]\d\d:\d\d)\)/);

  // Stop asks first; Cancel keeps it running.
  await hunts.stop.click();
  await expect(page.getByRole('dialog')).toContainText(`Stop hunt ${huntId}?`);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(hunts.state).toHaveText('RUNNING');
  await hunts.stop.click();
  await id('hunt-stop-confirm').click();
  await expect(hunts.state).toHaveText('STOPPED');

  const [zip] = await Promise.all([page.waitForEvent('download'), id('hunt-export').click()]);
  expect(zip.suggestedFilename()).toBe(`${huntId}_Windows.System.Pslist.zip`);
  await expect(id('hunt-export-done')).toContainText('.zip');

  const row = page.locator('[data-testid^="hunt-client-"]').first();
  const flowId = (await row.locator('code').nth(1).textContent())!.trim();
  await row.click();
  const clients = new ClientsPage(page);
  await expect(clients.flowView).toBeVisible();
  await expect(clients.flowView).toContainText(flowId);
  await expect(clients.flowView).toContainText('Windows.System.Pslist');
});
