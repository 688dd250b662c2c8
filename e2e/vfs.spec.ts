/**
 * The VFS browser as a responder uses it, in browser mode against the simulator: the path and the
 * accessor live in the URL (a reload or a shared link opens the same folder), a folder tree beside
 * the listing, every file time, and a warning when a download is shorter than the listed size.
 */
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';

test.describe.configure({ timeout: 180_000 });

test('path in the URL, folder tree, accessor choice, file times, short-download warning', async ({
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

  const url = new URL(`/clients?client=${clientId}&tab=vfs`, page.url());
  url.searchParams.set('path', 'C:\\Windows');
  await page.goto(url.toString());
  await shell.waitReady();
  await clients.vfsRefresh.click();
  await expect(clients.vfsTable).toBeVisible({ timeout: 45_000 });
  await expect(page.getByTestId('vfs-entry-System32')).toBeVisible();
  await expect(id('vfs-tree')).toContainText('Windows');

  // The tree navigates, and the URL follows.
  await id('vfs-tree-System32').click();
  await expect.poll(() => new URL(page.url()).searchParams.get('path')).toBe('C:\\Windows\\System32');
  await clients.vfsRefresh.click();
  await expect(page.getByTestId('vfs-entry-config')).toBeVisible({ timeout: 45_000 });
  await page.reload();
  await shell.waitReady();
  await expect(page.getByTestId('vfs-entry-config')).toBeVisible({ timeout: 20_000 });

  // A listing is per accessor: ntfs has none yet until refreshed, and the URL says which.
  await id('vfs-accessor').getByText('ntfs').click();
  await expect.poll(() => new URL(page.url()).searchParams.get('accessor')).toBe('ntfs');
  await expect(id('vfs-empty')).toBeVisible();
  await clients.vfsRefresh.click();
  await expect(page.getByTestId('vfs-entry-config')).toBeVisible({ timeout: 45_000 });
  await id('vfs-accessor').getByText('auto').click();

  // The root: every time of a file, and a locked file that downloads short.
  await id('vfs-tree-C:').click();
  await clients.vfsRefresh.click();
  const pagefile = page.getByTestId('vfs-entry-pagefile.sys');
  await expect(pagefile).toBeVisible({ timeout: 45_000 });
  await expect(pagefile.getByTestId('vfs-btime')).toHaveCount(1);
  for (const t of ['mtime', 'atime', 'ctime'])
    await expect(pagefile.getByTestId(`vfs-${t}`)).toHaveText(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (UTC|[+-]\d\d:\d\d)$/,
    );
  await expect(pagefile).toContainText('8 GiB');
  await clients.download('pagefile.sys').click();
  await expect(id('download-short-pagefile.sys')).toBeVisible({ timeout: 45_000 });
  await expect(id('download-short-pagefile.sys')).toContainText('of the 8,589,934,592 bytes listed arrived');
  await clients.download('notes.txt').click();
  await expect(clients.downloadDone('notes.txt')).toBeVisible({ timeout: 45_000 });
  await expect(id('download-short-notes.txt')).toHaveCount(0);
});
