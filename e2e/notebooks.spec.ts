/**
 * Notebooks end to end against the demo server: the keyboard shortcut runs the cell it is pressed
 * in. Each test starts the demo (if this file's server lacks it) and makes its own notebook, so any
 * test runs alone or in any order.
 */
import { expect, test } from './fixtures';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { NotebookPage } from './pages/NotebookPage';

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
  await expect(nb.stats(one)).toContainText('1 row', { timeout: 20_000 });
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
