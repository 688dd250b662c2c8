/**
 * Reading results in the grid (issue 14, items 2 and 3), against the demo server: columns sized to their
 * content, resized, fitted, reordered and remembered per column set; the row detail panel with JSON
 * folded and copy; wrapping; times by the one time rule in either zone; sizes for people with the
 * exact bytes on hover; a client id that opens its client. Each test makes its own notebook.
 */
import { bulkRows } from '../electron/core/sim/bulk-rows';
import { expect, test } from './fixtures';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { NotebookPage } from './pages/NotebookPage';
import { ResultGridPage } from './pages/ResultGridPage';
import { saveScreenshot } from './pages/screenshots';

// A zone with an offset, so UTC and local differ (and the offset shown is checked).
test.use({ timezoneId: 'Europe/Paris' });

const QUERY =
  "SELECT Pid, CommandLine, CreateTime, 1474560 AS Size, dict(a=1, b=dict(c='deep')) AS Obj FROM simulator_bulk_rows(rows=50)";
/** A time of our own: the bulk rows' times are seeded and varied, this test is about how one is shown. */
const TIMES_QUERY =
  "SELECT Pid, '2024-06-01T12:00:00Z' AS CreateTime, 1474560 AS Size FROM simulator_bulk_rows(rows=5)";

test.beforeEach(async ({ shell, page }) => {
  test.setTimeout(150_000);
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open('/notebooks');
});

async function runQuery(nb: NotebookPage, vql: string, cellIndex = 0): Promise<ResultGridPage> {
  const cell = nb.vqlCells.nth(cellIndex);
  await nb.setSource(cell, vql);
  await nb.runButton(cell).click();
  await expect(nb.stats(cell)).toContainText('rows', { timeout: 30_000 });
  const grid = new ResultGridPage(cell);
  await expect(grid.row(0)).toBeVisible();
  return grid;
}

test('columns fit their content, resize, fit, reorder, and are remembered for the same columns', async ({
  page,
}) => {
  const nb = new NotebookPage(page);
  await nb.createNotebook('reading results');
  const grid = await runQuery(nb, QUERY);

  // Sized to content: a Pid is narrow, a command line wide.
  const pid = await grid.width('Pid');
  expect(pid).toBeLessThan(100);
  expect(await grid.width('CommandLine')).toBeGreaterThan(2.5 * pid);

  // Drag the edge; double-click it to fit the values.
  await grid.dragEdge('Pid', 120);
  await expect.poll(() => grid.width('Pid')).toBeGreaterThan(pid + 100);
  await grid.dragEdge('CommandLine', -300);
  const narrowed = await grid.width('CommandLine');
  await grid.resizer('CommandLine').dblclick();
  await expect.poll(() => grid.width('CommandLine')).toBeGreaterThan(narrowed + 150);

  // Reorder by dragging a header onto another, and with Alt+Left on a focused header.
  await grid.header('CommandLine').dragTo(grid.header('Pid'));
  await expect.poll(() => grid.columnOrder()).toEqual(['CommandLine', 'Pid', 'CreateTime', 'Size', 'Obj']);
  await grid.header('Size').focus();
  await page.keyboard.press('Alt+ArrowLeft');
  await expect.poll(() => grid.columnOrder()).toEqual(['CommandLine', 'Pid', 'Size', 'CreateTime', 'Obj']);

  // A second cell with the same columns opens the way this one was left.
  const widePid = await grid.width('Pid');
  await nb.addVqlCells(1);
  const again = await runQuery(nb, QUERY, 1);
  await expect.poll(() => again.columnOrder()).toEqual(['CommandLine', 'Pid', 'Size', 'CreateTime', 'Obj']);
  expect(Math.abs((await again.width('Pid')) - widePid)).toBeLessThan(2);
});

test('a click or Enter opens the row detail: full values, JSON folded, copy; Escape closes it', async ({
  page,
}) => {
  const nb = new NotebookPage(page);
  await nb.createNotebook('row detail');
  const grid = await runQuery(nb, QUERY);
  await (await grid.cell(0, 'Obj')).click();
  await expect(grid.detail).toBeVisible();
  const obj = grid.detailField('Obj');
  await expect(obj).toContainText('deep');
  await expect(obj.locator('details')).toHaveCount(2);
  await obj.locator('details details > summary').click(); // fold the inner object
  await expect(obj.getByText('"deep"')).toBeHidden();
  // Row 0 as the demo server's seeded bulk rows have it.
  await expect(grid.detailField('CommandLine')).toContainText(String(bulkRows(0, 1)[0]?.CommandLine));
  await expect(grid.detail.getByRole('button', { name: 'Copy row as JSON' })).toBeVisible();

  await page.keyboard.press('Escape');
  await expect(grid.detail).toBeHidden();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(grid.detail).toHaveAttribute('aria-label', 'Row 2');

  await page.setViewportSize({ width: 1440, height: 900 });
  await grid.scroller.scrollIntoViewIfNeeded();
  await saveScreenshot(page, 'grid-detail');

  // Wrap shows long values on taller rows.
  await grid.wrap.click();
  await expect.poll(async () => (await grid.row(0).boundingBox())?.height).toBe(64);
});

test('times follow the UTC/Local switch with the zone shown; sizes read for people, bytes on hover', async ({
  page,
}) => {
  const nb = new NotebookPage(page);
  await nb.createNotebook('times and sizes');
  const grid = await runQuery(nb, TIMES_QUERY);
  const created = await grid.cell(0, 'CreateTime');
  await expect(created).toHaveText('2024-06-01 12:00:00 UTC');
  const size = await grid.cell(0, 'Size');
  await expect(size).toHaveText('1.4 MiB');
  await size.hover();
  await expect(size).toHaveAttribute('title', '1,474,560 bytes');
  await created.hover();
  await expect(created).toHaveAttribute('title', '2024-06-01T12:00:00Z');

  await page.getByTestId('timezone-toggle').getByText('Local').click();
  await expect(created).toHaveText('2024-06-01 14:00:00 +02:00');
  await page.getByTestId('timezone-toggle').getByText('UTC').click();
  await expect(created).toHaveText('2024-06-01 12:00:00 UTC');
});

test('a client id in results opens that client', async ({ page }) => {
  const nb = new NotebookPage(page);
  await nb.createNotebook('client links');
  const grid = await runQuery(
    nb,
    'SELECT client_id AS ClientId, os_info.hostname AS Host FROM clients() LIMIT 3',
  );
  const cell = await grid.cell(0, 'ClientId');
  const id = (await cell.textContent())!.trim();
  expect(id).toMatch(/^C\./);
  await cell.click();
  await expect(page).toHaveURL(new RegExp(`/clients\\?client=${id.replace('.', '\\.')}`));
  await expect(page.getByTestId('client-detail')).toBeVisible();
});
