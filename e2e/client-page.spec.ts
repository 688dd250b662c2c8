/**
 * The client page a responder expects, in browser mode against the simulator: Interrogate opens
 * its collection; Quarantine shows the plan (the OS's artifact, the message, the label, the exact
 * query) before anything runs, and Release undoes it; a collection and then the client itself are
 * deleted only after a confirmation.
 */
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { saveScreenshot } from './pages/screenshots';

test.describe.configure({ timeout: 180_000 });

test('interrogate, quarantine with its plan and release, delete a collection and the client', async ({
  shell,
  page,
}) => {
  const clients = new ClientsPage(page);
  const id = (t: string) => page.getByTestId(t);
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open('/clients');
  await clients.searchFor('os:windows');
  const clientId = await clients.openFirstClient('windows');
  const host = (await clients.hostname.textContent())!.trim();

  await id('interrogate-button').click();
  await expect(clients.flowView).toBeVisible();
  await expect(clients.flowView).toContainText('Generic.Client.Info');

  // Quarantine: nothing runs until the plan was seen and confirmed.
  await id('quarantine-button').click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`Quarantine ${host} (${clientId})`);
  await id('quarantine-message').fill('IR-7: stay off the network');
  await expect(id('quarantine-artifact')).toHaveText('Windows.Remediation.Quarantine');
  await expect(id('quarantine-parameters')).toContainText('"MessageBox":"IR-7: stay off the network"');
  await expect(id('quarantine-label')).toContainText('adds Quarantine');
  await expect(id('quarantine-query').first()).toContainText('collect_client(');
  await expect(id('quarantined-badge')).toHaveCount(0);
  await saveScreenshot(page, 'client-quarantine');
  await id('quarantine-confirm').click();
  await expect(dialog).toBeHidden();
  await expect(id('quarantined-badge')).toBeVisible();
  await expect(clients.flowView).toContainText('Windows.Remediation.Quarantine');

  await id('release-button').click();
  await expect(id('quarantine-parameters')).toContainText('"RemovePolicy":"Y"');
  await expect(id('quarantine-label')).toContainText('removes Quarantine');
  await id('quarantine-confirm').click();
  await expect(id('quarantined-badge')).toHaveCount(0);
  await expect(id('quarantine-button')).toBeVisible();

  // Delete one collection: asked first, then gone from the list.
  await page.getByRole('button', { name: 'All collections' }).click();
  const rows = id('flow-table').locator('tbody tr');
  const before = await rows.count();
  expect(before).toBeGreaterThanOrEqual(3);
  const flowId = (await rows.first().locator('code').first().textContent())!.trim();
  await id(`delete-flow-${flowId}`).click();
  await expect(dialog).toContainText(`Delete collection ${flowId}`);
  await expect(dialog).toContainText(`${host} (${clientId})`);
  await id('delete-flow-confirm').click();
  // By id, not by count: the demo's running hunt may schedule a new flow on this client meanwhile.
  await expect(id(`delete-flow-${flowId}`)).toHaveCount(0);
  await expect(rows.locator('code', { hasText: flowId })).toHaveCount(0);
  expect(await rows.count()).toBeGreaterThanOrEqual(before - 1);

  // Delete the client: the button stays disabled until the host name is typed.
  await id('delete-client-button').click();
  await expect(id('delete-client-confirm')).toBeDisabled();
  await id('delete-client-confirm-name').fill(host.slice(0, -1));
  await expect(id('delete-client-confirm')).toBeDisabled();
  await id('delete-client-confirm-name').fill(host);
  await id('delete-client-confirm').click();
  await expect(clients.detail).toBeHidden();
  await clients.searchFor(clientId);
  await expect(clients.noClients).toBeVisible();
});
