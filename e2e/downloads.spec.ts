/**
 * Browser mode hands files to the browser (issue 14, item 11): a result export, a flow's zip and a
 * VFS download arrive as browser downloads named after host, artifact and flow (the copy the core
 * saved stays in its data folder), with the same bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { ResultGridPage } from './pages/ResultGridPage';

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test.beforeEach(async ({ shell, page }) => {
  test.setTimeout(120_000);
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open('/clients');
});

test('a result CSV and the flow zip arrive named host_artifact_flow', async ({ page }) => {
  const clients = new ClientsPage(page);
  const id = await clients.openFirstClient('linux');
  await expect(clients.hostname).not.toHaveText(id);
  const host = (await clients.hostname.textContent())!.trim();
  await clients.collect('Linux.Sys.Services', 'Linux.Sys.Serv');
  const flowId = new URL(page.url()).searchParams.get('flow')!;
  expect(flowId).toMatch(/^F\./);

  const grid = new ResultGridPage(clients.flowView);
  const [csv] = await Promise.all([page.waitForEvent('download'), grid.exportCsv.click()]);
  expect(csv.suggestedFilename()).toBe(`${host}_Linux.Sys.Services_${flowId}.csv`);
  expect(readFileSync(await csv.path(), 'utf8').split('\n')[0]).toMatch(/Name|Unit/);

  const [zip] = await Promise.all([page.waitForEvent('download'), clients.exportZip.click()]);
  expect(zip.suggestedFilename()).toBe(`${host}_Linux.Sys.Services_${flowId}.zip`);
  expect(
    readFileSync(await zip.path())
      .subarray(0, 2)
      .toString(),
  ).toBe('PK');
});

test('a VFS download arrives as host_file with the sha256 the page shows', async ({ shell, page }) => {
  const clients = new ClientsPage(page);
  const id = await clients.openFirstClient('linux');
  await expect(clients.hostname).not.toHaveText(id);
  const host = (await clients.hostname.textContent())!.trim();
  await page.goto(new URL(`/clients?client=${id}&tab=vfs`, page.url()).toString());
  await shell.waitReady();
  await clients.vfsRefresh.click();
  await expect(clients.vfsTable).toBeVisible({ timeout: 45_000 });
  const [file] = await Promise.all([
    page.waitForEvent('download', { timeout: 60_000 }),
    clients.download('notes.txt').click(),
  ]);
  expect(file.suggestedFilename()).toBe(`${host}_notes.txt`);
  const done = clients.downloadDone('notes.txt');
  await expect(done).toBeVisible();
  expect(sha256(await file.path())).toBe(await clients.downloadedSha256(done));
});
