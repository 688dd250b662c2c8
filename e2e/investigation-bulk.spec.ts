/**
 * Actions on many clients from the Clients search results, in browser mode against the simulator:
 * select clients (mouse and keyboard) and collect on them, select every match and be steered to a
 * prefilled hunt, add and remove a label on several clients, and the VFS hex view showing exactly
 * the bytes of a downloaded file. The multi-select screen's screenshot goes to docs/screenshots/.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { ClientsBulkPage } from './pages/ClientsBulkPage';
import { InvestigationPage } from './pages/InvestigationPage';
import type { ShellPage } from './pages/ShellPage';

// Starting the demo server and waiting for simulated collections take a while on a loaded machine.
test.describe.configure({ timeout: 180_000 });

/** Every test starts the same way: the demo server connected, the Clients page listing all clients. */
async function allClients(
  shell: ShellPage,
  page: Page,
): Promise<{ inv: InvestigationPage; bulk: ClientsBulkPage }> {
  const inv = new InvestigationPage(page);
  const bulk = new ClientsBulkPage(page);
  await shell.open('/connections');
  await inv.ensureDemo();
  await shell.open('/clients');
  await bulk.search('all');
  return { inv, bulk };
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
  const { inv, bulk } = await allClients(shell, page);
  const rows = bulk.onlineRows('linux');
  expect(await rows.count()).toBeGreaterThanOrEqual(3);
  const ids = [await bulk.idOf(rows.nth(0)), await bulk.idOf(rows.nth(1)), await bulk.idOf(rows.nth(2))];
  await bulk.expectSelected(0);
  await bulk.testId(`select-${ids[0]}`).check();
  await bulk.testId(`select-${ids[1]}`).check();
  // Keyboard: focus the third row and press Space.
  await bulk.testId(`client-row-${ids[2]}`).focus();
  await page.keyboard.press('Space');
  await bulk.expectSelected(3);
  await expect(bulk.testId(`client-row-${ids[2]}`)).toHaveAttribute('aria-selected', 'true');
  await expect(bulk.testId('select-shown')).not.toBeChecked();

  await bulk.testId('bulk-collect').click();
  await expect(page.getByRole('dialog')).toContainText('Collect artifacts on 3 clients');
  await bulk.pickArtifact('Generic.Client.Info');
  await bulk.testId('collect-next').click();
  await expect(bulk.testId('parameter-step')).toBeVisible();
  await bulk.testId('collect-next').click();
  for (const id of ids) await expect(bulk.testId('collect-review')).toContainText(id);
  await bulk.testId('collect-launch').click();

  const result = bulk.testId('launch-result');
  await expect(result).toBeVisible();
  for (const id of ids) await expect(bulk.testId(`launch-flow-${id}`)).toBeVisible();
  await expect(bulk.testId('launch-summary')).toContainText('3 of 3 finished', { timeout: 45_000 });
  await expect(result.getByTestId('launch-flow-state')).toHaveText(['FINISHED', 'FINISHED', 'FINISHED']);

  const flowId = (await bulk.testId(`launch-flow-link-${ids[1]}`).textContent())!.trim();
  expect(flowId).toMatch(/^F\./);
  await bulk.testId(`launch-flow-link-${ids[1]}`).click();
  await expect(inv.testId('flow-view')).toBeVisible();
  await expect(inv.testId('flow-state')).toHaveText('FINISHED');
  expect(page.url()).toContain(`flow=${flowId}`);
  // Back to the list: selection and launch result are still there.
  await page.goBack();
  await expect(bulk.testId('launch-result')).toBeVisible();
  await bulk.expectSelected(3);
});

test('select every matching client: the count, the hunt suggestion, and a prefilled hunt', async ({
  shell,
  page,
}) => {
  const { inv, bulk } = await allClients(shell, page);
  const shown = await page.locator('[data-testid^="client-row-"]').count();
  await expect(bulk.testId('select-all-matching')).toHaveText(`Select all ${shown} matching “all”`);
  await bulk.testId('select-all-matching').click();
  await bulk.expectSelected(shown);
  await expect(bulk.testId('all-matching-selected')).toContainText(
    `All ${shown} clients matching “all” are selected.`,
  );
  await expect(bulk.testId('select-shown')).toBeChecked();
  await inv.screenshot('clients-multiselect');

  await bulk.testId('bulk-collect').click();
  await expect(bulk.testId('hunt-suggestion')).toContainText(`${shown} clients: a hunt scales better`);
  await expect(bulk.testId('collect-hunt-instead')).toBeDisabled();
  await bulk.pickArtifact('Generic.Client.Info');
  await bulk.testId('collect-hunt-instead').click();
  await expect(bulk.testId('hunt-scope')).toBeVisible();
  await expect(bulk.testId('hunt-scope-all')).toBeChecked();
  await bulk.testId('hunt-scope-next').click();
  // The hunt wizard opens on its parameters step with the artifact chosen.
  await expect(bulk.testId('parameter-step')).toBeVisible();
  for (let i = 0; i < 3; i++) await inv.testId('hunt-next').click();
  await expect(inv.testId('hunt-review')).toContainText('Generic.Client.Info');
  await expect(inv.testId('hunt-review')).toContainText(`Clients: all (≈${shown})`);
  await inv.testId('hunt-create').click();
  await expect(inv.testId('hunt-dashboard')).toBeVisible();
  await expect(inv.testId('hunt-state')).toHaveText('PAUSED');
});

test('bulk labels: add a label on several clients, see it per client and in the list, then remove it', async ({
  shell,
  page,
}) => {
  const { bulk } = await allClients(shell, page);
  const rows = page.locator('[data-testid^="client-row-"]');
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push(await bulk.idOf(rows.nth(i * 3)));
  for (const id of ids) await bulk.testId(`select-${id}`).check();
  await bulk.expectSelected(4);

  await bulk.testId('bulk-label').click();
  const input = bulk.testId('label-input').getByRole('combobox');
  await input.fill('bad label!');
  await input.press('Enter');
  await expect(bulk.testId('label-apply')).toBeDisabled();
  await input.press('Backspace'); // removes the invalid one
  await input.fill('IR-2026-bulk');
  await input.press('Enter');
  await page.getByRole('dialog').getByText('Labels on 4 clients').click(); // closes the suggestions
  await bulk.testId('label-apply').click();
  await expect(bulk.testId('label-summary')).toContainText('Added IR-2026-bulk on 4 of 4 clients');
  for (const id of ids) {
    await expect(bulk.testId(`label-outcome-${id}`)).toHaveAttribute('data-ok', 'true');
    await expect(bulk.testId(`label-outcome-${id}`)).toContainText('IR-2026-bulk');
  }
  await bulk.testId('label-close').click();
  // The list refreshed: the label shows in each row.
  for (const id of ids)
    await expect(bulk.testId(`client-row-${id}`).getByTestId('client-labels')).toContainText('IR-2026-bulk');

  await bulk.search('label:IR-2026-bulk');
  await expect(page.locator('[data-testid^="client-row-"]')).toHaveCount(4);
  await bulk.testId('bulk-clear').click();
  await bulk.testId('select-shown').check();
  await bulk.expectSelected(4);
  await bulk.testId('bulk-label').click();
  await page.getByText('Remove labels').click();
  await input.fill('IR-2026-bulk');
  await input.press('Enter');
  await page.getByRole('dialog').getByText('Labels on 4 clients').click();
  await bulk.testId('label-apply').click();
  await expect(bulk.testId('label-summary')).toContainText('Removed IR-2026-bulk on 4 of 4 clients');
  await bulk.testId('label-close').click();
  await expect(bulk.testId('no-clients')).toBeVisible();
});

test('hex view: the downloaded file’s bytes, paged from the server copy, with jump to offset', async ({
  shell,
  page,
}) => {
  const { inv, bulk } = await allClients(shell, page);
  const id = await bulk.idOf(bulk.onlineRows('linux').first());
  await page.goto(new URL(`/clients?client=${id}&tab=vfs`, page.url()).toString());
  await shell.waitReady();
  await inv.testId('vfs-refresh').click();
  await expect(inv.testId('vfs-table')).toBeVisible({ timeout: 45_000 });
  await expect(inv.testId('hex-notes.txt')).toHaveCount(0); // not downloaded yet
  await inv.testId('download-notes.txt').click();
  const done = inv.testId('download-done-notes.txt');
  await expect(done).toBeVisible({ timeout: 45_000 });
  const file = readFileSync((await done.getByTestId('download-path').textContent())!.trim());
  expect(file.subarray(0, 31).toString('latin1')).toBe('Simulated content of /notes.txt');

  await inv.testId('hex-notes.txt').click();
  const view = inv.testId('hex-view');
  await expect(view.getByTestId('hex-range')).toContainText(`of ${file.length.toLocaleString('en-US')}`);
  const hexOf = (b: Buffer) =>
    [...b].map((x, i) => (i === 8 ? ' ' : '') + x.toString(16).padStart(2, '0')).join(' ');
  const asciiOf = (b: Buffer) =>
    [...b].map((x) => (x >= 0x20 && x <= 0x7e ? String.fromCharCode(x) : '.')).join('');
  const first = view.getByTestId('hex-row-00000000');
  await expect(first.getByTestId('hex-bytes')).toHaveText(hexOf(file.subarray(0, 16)));
  await expect(first.getByTestId('hex-ascii')).toHaveText('Simulated conten');
  // Every row of the first page equals the file.
  const pageBytes = file.subarray(0, Math.min(4096, file.length));
  const rows = view.locator('[data-testid^="hex-row-"]');
  await expect(rows).toHaveCount(Math.ceil(pageBytes.length / 16));
  const shownHex = await rows.getByTestId('hex-bytes').allTextContents();
  const shownAscii = await rows.getByTestId('hex-ascii').allTextContents();
  for (let i = 0; i < shownHex.length; i++) {
    expect(shownHex[i]).toBe(hexOf(pageBytes.subarray(i * 16, i * 16 + 16)));
    expect(shownAscii[i]).toBe(asciiOf(pageBytes.subarray(i * 16, i * 16 + 16)));
  }
  // The last line of the file ends with "A…A\n": the newline byte shows as a dot, never as markup.
  const lastOffset = Math.floor((file.length - 1) / 16) * 16;
  await view.getByTestId('hex-jump').fill(`0x${lastOffset.toString(16)}`);
  await view.getByTestId('hex-go').click();
  const last = view.getByTestId(`hex-row-${lastOffset.toString(16).padStart(8, '0')}`);
  await expect(last).toHaveAttribute('data-marked', 'true');
  await expect(last.getByTestId('hex-bytes')).toHaveText(hexOf(file.subarray(lastOffset)));
  await expect(last.getByTestId('hex-ascii')).toHaveText(asciiOf(file.subarray(lastOffset)));
  await view.getByTestId('hex-jump').fill('0x40');
  await view.getByTestId('hex-go').click();
  await expect(view.getByTestId('hex-row-00000040')).toHaveAttribute('data-marked', 'true');
  await inv.screenshot('vfs-hex');
  await view.getByTestId('hex-jump').fill(String(file.length + 100));
  await view.getByTestId('hex-go').click();
  await expect(view).toContainText(`The file has ${file.length.toLocaleString('en-US')} bytes`);
});
