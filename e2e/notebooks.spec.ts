/**
 * Notebooks end to end against the demo server: the keyboard shortcut runs the cell it is pressed
 * in; a notebook holds a case (runs saved with it, reports, no server needed to read it). Each test
 * starts the demo (if this file's server lacks it) and makes its own notebook, so any test runs alone
 * or in any order.
 */
import { readFileSync } from 'node:fs';
import { bulkRows } from '../electron/core/sim/bulk-rows';
import { expect, test } from './fixtures';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { NotebookPage } from './pages/NotebookPage';
import { ResultGridPage } from './pages/ResultGridPage';
import { saveScreenshot } from './pages/screenshots';

/** The process name of the demo server's first bulk row (seeded: the same on every run). */
const firstName = String(bulkRows(0, 1)[0]?.Name);

test.beforeEach(async ({ shell, page }) => {
  // Monaco is a large lazy chunk; on a loaded two-core machine its first parse can take a while.
  test.setTimeout(150_000);
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open('/notebooks');
});

test('Ctrl+Enter runs only the cell whose editor has the cursor', async ({ page }) => {
  const nb = new NotebookPage(page);
  await nb.createNotebook('three cells');
  await nb.addVqlCells(2);
  const [one, two, three] = [nb.vqlCells.nth(0), nb.vqlCells.nth(1), nb.vqlCells.nth(2)];
  await nb.setSource(one, "SELECT 'first' AS Cell FROM scope()");
  await nb.setSource(two, "SELECT 'second' AS Cell FROM scope()");
  await nb.setSource(three, "SELECT 'third' AS Cell FROM scope()");

  // The cursor is in cell 1: the shortcut runs cell 1 and nothing else.
  await nb.editorOf(one).click();
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(nb.stats(one)).toHaveText(/^1 row in /, { timeout: 20_000 });
  await expect(nb.grid(one).getByRole('gridcell', { name: 'first' })).toBeVisible();
  await expect(nb.stats(two)).toHaveCount(0);
  await expect(nb.stats(three)).toHaveCount(0);

  // Then cell 3, from its own editor; cell 2 stays untouched.
  await nb.editorOf(three).click();
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(nb.grid(three).getByRole('gridcell', { name: 'third' })).toBeVisible({ timeout: 20_000 });
  await expect(nb.stats(two)).toHaveCount(0);
  await expect(nb.grid(one).getByRole('gridcell', { name: 'first' })).toBeVisible();
});

test('a notebook holds a case: runs saved with it, renamed, duplicated, reported, read with no server', async ({
  page,
  shell,
}) => {
  const nb = new NotebookPage(page);
  await nb.createNotebook('INC-2041');
  const cell = nb.vqlCells.first();
  await nb.setSource(cell, 'SELECT Pid, Name, CommandLine FROM simulator_bulk_rows(rows=10050)');
  await nb.runButton(cell).click();
  await expect(nb.stats(cell)).toContainText('10,050 rows', { timeout: 60_000 });
  await expect(nb.runRecord(cell)).toContainText(
    /Ran \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC on Demo server \(simulator\)/,
  );
  await expect(nb.savedNote(cell)).toHaveText('The notebook keeps the first 10,000 of 10,050 rows.');

  // Reports for the case file: the query, when and where it ran, as whom, its first rows.
  await nb.exportMenu.click();
  const [md] = await Promise.all([page.waitForEvent('download'), nb.exportMarkdown.click()]);
  const report = readFileSync(await md.path(), 'utf8');
  expect(md.suggestedFilename()).toBe('INC-2041.md');
  expect(report).toContain('SELECT Pid, Name, CommandLine FROM simulator_bulk_rows(rows=10050)');
  expect(report).toMatch(
    /Ran \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC on \*\*demo\\-simulator\*\* \(`127\.0\.0\.1:\d+`\) as `megaraptor-demo`: 10,050 rows/,
  );
  expect(report).toContain('| Pid | Name | CommandLine |');
  expect(report).toContain('_20 of 10,050 rows shown; 10,000 are saved with the notebook._');
  await nb.exportMenu.click();
  const [html] = await Promise.all([page.waitForEvent('download'), nb.exportHtml.click()]);
  expect(html.suggestedFilename()).toBe('INC-2041.html');
  const reportPage = await page.context().newPage();
  await reportPage.setContent(readFileSync(await html.path(), 'utf8'));
  // The first row's process, as the demo server's seeded bulk rows have it.
  await expect(reportPage.locator('table').first()).toContainText(firstName);
  await expect(reportPage.locator('script')).toHaveCount(0);
  await saveScreenshot(reportPage, 'notebook-report');
  await reportPage.close();

  // Rename, duplicate: the copy opens with the saved rows.
  await shell.open('/notebooks');
  await nb.cardAction('INC-2041', 'Rename…');
  await nb.renameTitle.fill('INC-2041 lateral movement');
  await nb.confirm.click();
  await expect(nb.card('INC-2041 lateral movement')).toBeVisible();
  await nb.cardAction('INC-2041 lateral movement', 'Duplicate');
  await expect(nb.card('Copy of INC-2041 lateral movement')).toBeVisible();

  // No server: the notebook and its saved results read as they were; running waits for a server.
  await shell.open('/connections');
  await new ConnectionsPage(page).remove('demo-simulator');
  await shell.open('/notebooks');
  await expect(nb.offlineNotice).toBeVisible();
  await nb.card('Copy of INC-2041 lateral movement').click();
  const saved = nb.vqlCells.first();
  const grid = new ResultGridPage(saved);
  await expect(grid.count).toHaveText('10,000 rows');
  await expect(grid.row(0)).toContainText(firstName);
  await expect(nb.runRecord(saved)).toContainText('10,050 rows');
  await expect(nb.runButton(saved)).toBeDisabled();
  await saveScreenshot(page, 'notebook-offline');

  // Delete asks, then the notebook and its saved rows are gone.
  await shell.open('/notebooks');
  await nb.cardAction('INC-2041 lateral movement', 'Delete…');
  await nb.confirm.click();
  await expect(nb.card('INC-2041 lateral movement')).toHaveCount(0);
  await expect(nb.card('Copy of INC-2041 lateral movement')).toBeVisible();
});
