/**
 * Actions on many clients from the Clients search results, in browser mode against the simulator:
 * select clients (mouse and keyboard) and collect on them, select every match and be steered to a
 * prefilled hunt, add and remove a label on several clients, and the VFS hex view showing exactly
 * the bytes of a downloaded file. The multi-select screen's screenshot goes to docs/screenshots/.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { HuntsPage } from './pages/HuntsPage';
import { saveScreenshot } from './pages/screenshots';
import type { ShellPage } from './pages/ShellPage';

// Starting the demo server and waiting for simulated collections take a while on a loaded machine.
test.describe.configure({ timeout: 180_000 });

/**
 * Every test starts the same way, whatever ran before it: the demo server connected, the Clients
 * page listing all clients.
 */
async function allClients(shell: ShellPage, page: Page): Promise<ClientsPage> {
  const clients = new ClientsPage(page);
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open('/clients');
  await clients.searchFor('all');
  return clients;
}

test.beforeEach(({ page }) => {
  page.on('dialog', (d) => {
    throw new Error(`Unexpected dialog "${d.message()}": hostile data executed`);
  });
});

test('select clients with mouse and keyboard, collect on them, and follow their flows', async ({
  shell,
  page,
}) => {
  const bulk = await allClients(shell, page);
  const rows = bulk.onlineRows('linux');
  expect(await rows.count()).toBeGreaterThanOrEqual(3);
  const ids = [await bulk.idOf(rows.nth(0)), await bulk.idOf(rows.nth(1)), await bulk.idOf(rows.nth(2))];
  await bulk.expectSelected(0);
  await bulk.selectBox(ids[0]!).check();
  await bulk.selectBox(ids[1]!).check();
  // Keyboard: focus the third row and press Space.
  await bulk.row(ids[2]!).focus();
  await page.keyboard.press('Space');
  await bulk.expectSelected(3);
  await expect(bulk.row(ids[2]!)).toHaveAttribute('aria-selected', 'true');
  await expect(bulk.selectShown).not.toBeChecked();

  await bulk.bulkCollect.click();
  await expect(page.getByRole('dialog')).toContainText('Collect artifacts on 3 clients');
  await bulk.pickArtifact('Generic.Client.Info');
  await bulk.collectNext.click();
  await expect(bulk.parameterStep).toBeVisible();
  await bulk.collectNext.click();
  for (const id of ids) await expect(bulk.collectReview).toContainText(id);
  await bulk.collectLaunch.click();

  await expect(bulk.launchResult).toBeVisible();
  for (const id of ids) await expect(bulk.launchFlow(id)).toBeVisible();
  await expect(bulk.launchSummary).toContainText('3 of 3 finished', { timeout: 45_000 });
  await expect(bulk.launchFlowStates).toHaveText(['FINISHED', 'FINISHED', 'FINISHED']);

  const flowId = (await bulk.launchFlowLink(ids[1]!).textContent())!.trim();
  expect(flowId).toMatch(/^F\./);
  await bulk.launchFlowLink(ids[1]!).click();
  await expect(bulk.flowView).toBeVisible();
  await expect(bulk.flowState).toHaveText('FINISHED');
  expect(page.url()).toContain(`flow=${flowId}`);
  // Back to the list: selection and launch result are still there.
  await page.goBack();
  await expect(bulk.launchResult).toBeVisible();
  await bulk.expectSelected(3);
});

test('select every matching client: the count, the hunt suggestion, and a prefilled hunt', async ({
  shell,
  page,
}) => {
  const bulk = await allClients(shell, page);
  const hunts = new HuntsPage(page);
  const shown = await bulk.rows.count();
  await expect(bulk.selectAllMatching).toHaveText(`Select all ${shown} matching “all”`);
  await bulk.selectAllMatching.click();
  await bulk.expectSelected(shown);
  await expect(bulk.allMatchingSelected).toContainText(`All ${shown} clients matching “all” are selected.`);
  await expect(bulk.selectShown).toBeChecked();
  await saveScreenshot(page, 'clients-multiselect');

  await bulk.bulkCollect.click();
  await expect(bulk.huntSuggestion).toContainText(`${shown} clients: a hunt scales better`);
  await expect(bulk.collectHuntInstead).toBeDisabled();
  await bulk.pickArtifact('Generic.Client.Info');
  await bulk.collectHuntInstead.click();
  await expect(bulk.huntScope).toBeVisible();
  await expect(bulk.huntScopeAll).toBeChecked();
  await bulk.huntScopeNext.click();
  // The hunt wizard opens on its parameters step with the artifact chosen.
  await expect(bulk.parameterStep).toBeVisible();
  for (let i = 0; i < 3; i++) await hunts.next.click();
  await expect(hunts.review).toContainText('Generic.Client.Info');
  await expect(hunts.review).toContainText(`Clients: all (≈${shown})`);
  await hunts.create.click();
  await expect(hunts.dashboard).toBeVisible();
  await expect(hunts.state).toHaveText('PAUSED');
});

test('bulk labels: add a label on several clients, see it per client and in the list, then remove it', async ({
  shell,
  page,
}) => {
  const bulk = await allClients(shell, page);
  const rows = bulk.rows;
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(await bulk.idOf(rows.nth(i * 3)));
  for (const id of ids) await bulk.selectBox(id).check();
  await bulk.expectSelected(4);

  await bulk.bulkLabel.click();
  const input = bulk.labelInput;
  await input.fill('bad label!');
  await input.press('Enter');
  await expect(bulk.labelApply).toBeDisabled();
  await input.press('Backspace'); // removes the invalid one
  await input.fill('IR-2026-bulk');
  await input.press('Enter');
  await page.getByRole('dialog').getByText('Labels on 4 clients').click(); // closes the suggestions
  await bulk.labelApply.click();
  await expect(bulk.labelSummary).toContainText('Added IR-2026-bulk on 4 of 4 clients');
  for (const id of ids) {
    await expect(bulk.labelOutcome(id)).toHaveAttribute('data-ok', 'true');
    await expect(bulk.labelOutcome(id)).toContainText('IR-2026-bulk');
  }
  await bulk.labelClose.click();
  // The list refreshed: the label shows in each row.
  for (const id of ids) await expect(bulk.labelsOf(bulk.row(id))).toContainText('IR-2026-bulk');

  await bulk.searchFor('label:IR-2026-bulk');
  await expect(bulk.rows).toHaveCount(4);
  await bulk.bulkClear.click();
  await bulk.selectShown.check();
  await bulk.expectSelected(4);
  await bulk.bulkLabel.click();
  await page.getByText('Remove labels').click();
  await input.fill('IR-2026-bulk');
  await input.press('Enter');
  await page.getByRole('dialog').getByText('Labels on 4 clients').click();
  await bulk.labelApply.click();
  await expect(bulk.labelSummary).toContainText('Removed IR-2026-bulk on 4 of 4 clients');
  await bulk.labelClose.click();
  await expect(bulk.noClients).toBeVisible();
});

test('hex view: the downloaded file’s bytes, paged from the server copy, with jump to offset', async ({
  shell,
  page,
}) => {
  const bulk = await allClients(shell, page);
  const id = await bulk.idOf(bulk.onlineRows('linux').first());
  await page.goto(new URL(`/clients?client=${id}&tab=vfs`, page.url()).toString());
  await shell.waitReady();
  await bulk.vfsRefresh.click();
  await expect(bulk.vfsTable).toBeVisible({ timeout: 45_000 });
  await expect(bulk.hexButton('notes.txt')).toHaveCount(0); // not downloaded yet
  await bulk.download('notes.txt').click();
  const done = bulk.downloadDone('notes.txt');
  await expect(done).toBeVisible({ timeout: 45_000 });
  const file = readFileSync(await bulk.downloadedPath(done));
  expect(file.subarray(0, 31).toString('latin1')).toBe('Simulated content of /notes.txt');

  await bulk.hexButton('notes.txt').click();
  const hex = bulk.hex;
  await expect(hex.range).toContainText(`of ${file.length.toLocaleString('en-US')}`);
  const hexOf = (b: Buffer) =>
    [...b].map((x, i) => (i === 8 ? ' ' : '') + x.toString(16).padStart(2, '0')).join(' ');
  const asciiOf = (b: Buffer) =>
    [...b].map((x) => (x >= 0x20 && x <= 0x7e ? String.fromCharCode(x) : '.')).join('');
  const first = hex.row(0);
  await expect(hex.bytesOf(first)).toHaveText(hexOf(file.subarray(0, 16)));
  await expect(hex.asciiOf(first)).toHaveText('Simulated conten');
  // Every row of the first page equals the file.
  const pageBytes = file.subarray(0, Math.min(4096, file.length));
  await expect(hex.rows).toHaveCount(Math.ceil(pageBytes.length / 16));
  const shownHex = await hex.bytesOf(hex.rows).allTextContents();
  const shownAscii = await hex.asciiOf(hex.rows).allTextContents();
  for (let i = 0; i < shownHex.length; i++) {
    expect(shownHex[i]).toBe(hexOf(pageBytes.subarray(i * 16, i * 16 + 16)));
    expect(shownAscii[i]).toBe(asciiOf(pageBytes.subarray(i * 16, i * 16 + 16)));
  }
  // The last line of the file ends with "A…A\n": the newline byte shows as a dot, never as markup.
  const lastOffset = Math.floor((file.length - 1) / 16) * 16;
  await hex.jump(`0x${lastOffset.toString(16)}`);
  const last = hex.row(lastOffset);
  await expect(last).toHaveAttribute('data-marked', 'true');
  await expect(hex.bytesOf(last)).toHaveText(hexOf(file.subarray(lastOffset)));
  await expect(hex.asciiOf(last)).toHaveText(asciiOf(file.subarray(lastOffset)));
  await hex.jump('0x40');
  await expect(hex.row(0x40)).toHaveAttribute('data-marked', 'true');
  await saveScreenshot(page, 'vfs-hex');
  await hex.jump(String(file.length + 100));
  await expect(hex.root).toContainText(`The file has ${file.length.toLocaleString('en-US')} bytes`);
});
