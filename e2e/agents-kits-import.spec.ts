/**
 * The way back of an offline collection in browser mode: a returned collection ZIP (written by the
 * simulator's collection code in the real layout) picked in the kits tab, sent to `megaraptor serve`
 * in chunks, checked, imported into the demo server through Server.Utils.ImportCollection, and its rows
 * and links shown; files that are not collections refused with their reason; the temp folder empty
 * afterwards. Then the enrolment check: the imported host enrolled (with a link to its client), a host
 * never seen not yet, something that is no host name unknown.
 * Screenshots: docs/screenshots/agents-import.png, agents-enrolment.png.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStandInCollection } from '../electron/core/sim/collections';
import { buildZip } from '../electron/core/files/index';
import { expect, test } from './fixtures';
import { AgentsPage } from './pages/AgentsPage';
import { saveScreenshot } from './pages/screenshots';
import { callOver, openSocket } from './ws-client';

const HOST = 'e2e-isolated-07';
const HOST_ID = '7e2e0007-aaaa-bbbb-cccc-000000000007';
let dir: string;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-e2e-kits-'));
});
test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a returned collection picked in the kits tab is imported; its host shows as enrolled', async ({
  shell,
  page,
  server,
}) => {
  test.setTimeout(120_000);
  const ws = await openSocket(server);
  const demo = await callOver(ws, 'connections:demo', {});
  ws.close();
  expect(demo.ok).toBe(true);
  const demoName = (demo as { ok: true; value: { name: string } }).value.name;

  const zip = await writeStandInCollection(
    { OS: 'Linux', artifacts: JSON.stringify(['Generic.Client.Info', 'Linux.Sys.Users']) },
    { outDir: dir, hostname: HOST, hostId: HOST_ID },
  );
  const notZip = join(dir, 'notes.txt');
  writeFileSync(notZip, 'this came back instead of the collection');
  const otherZip = join(dir, 'photos.zip');
  writeFileSync(otherZip, buildZip([{ name: 'IMG_0001.jpg', data: Buffer.from('not a collection') }]));

  await shell.open();
  await shell.goTo('agents');
  const agents = new AgentsPage(page);
  await page.getByTestId('agents-tab-kits').click();
  await agents.choose('kit-server', demoName);
  const card = page.getByTestId('kit-import');
  const input = card.getByTestId('kit-import-input');

  // Wrong files: each refused with what it is, nothing left behind.
  await input.setInputFiles(notZip);
  await expect(card.getByTestId('kit-import-file')).toHaveText(/^notes\.txt — \d+ B$/);
  await card.getByTestId('kit-import-run').click();
  await expect(card.getByTestId('kit-import-error')).toContainText('notes.txt is not a ZIP');
  await input.setInputFiles(otherZip);
  await card.getByTestId('kit-import-run').click();
  await expect(card.getByTestId('kit-import-error')).toContainText(
    'photos.zip is a ZIP but not a Velociraptor collection',
  );
  await expect(card.getByTestId('kit-import-error')).toHaveAttribute('data-code', 'INVALID_ARGUMENT');

  // The collection: sent, checked, imported; the client and flow named, with rows per source.
  await input.setInputFiles(zip);
  await expect(card.getByTestId('kit-import-file')).toContainText(/Collection-e2e-isolated-07-.*\.zip — /);
  await card.getByTestId('kit-import-run').click();
  const imported = card.getByTestId('kit-imported');
  await expect(imported).toBeVisible({ timeout: 60_000 });
  await expect(card.getByTestId('kit-import-error')).toHaveCount(0);
  const clientId = `C.${HOST_ID.split('-')[0]!}`;
  await expect(imported.getByTestId('kit-imported-client')).toHaveText(clientId);
  const flowId = (await imported.getByTestId('kit-imported-flow').textContent()) ?? '';
  expect(flowId).toMatch(/^F\./);
  const sources = imported.getByTestId('kit-imported-source');
  await expect(sources.filter({ hasText: 'Generic.Client.Info/BasicInformation' })).toHaveCount(1);
  await expect(sources.filter({ hasText: 'Linux.Sys.Users' })).toHaveCount(1);
  for (const rows of await sources.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-rows')))))
    expect(rows).toBeGreaterThan(0);
  await imported.scrollIntoViewIfNeeded();
  await saveScreenshot(page, 'agents-import');
  // The temp area holds nothing once the import is done (nor after the refusals above).
  const left = readdirSync(join(server.dataDir, 'tmp', 'uploads'), { recursive: true, encoding: 'utf8' });
  expect(left.filter((f) => f.endsWith('.part'))).toEqual([]);

  // The flow link opens that collection on the Clients page.
  await imported.getByTestId('kit-imported-flow').click();
  await expect(page).toHaveURL(new RegExp(`[?&]flow=${flowId.replace('.', '\\.')}(&|$)`));
  await shell.goTo('agents');

  // The enrolment check, stand-alone: enrolled with a link, not yet, unknown.
  await page.getByTestId('agents-tab-enrolment').click();
  await agents.choose('enrol-server', demoName);
  await page.getByTestId('enrol-hosts').fill(`${HOST}\nnever-seen-e2e\nnot/a/host`);
  await page.getByTestId('enrol-run').click();
  const enrolled = page.getByTestId(`enrol-row-${HOST}`);
  await expect(enrolled).toHaveAttribute('data-status', 'enrolled');
  await expect(enrolled).toContainText('enrolled');
  await expect(page.getByTestId('enrol-row-never-seen-e2e')).toHaveAttribute('data-status', 'not-yet');
  await expect(page.getByTestId('enrol-row-not/a/host')).toHaveAttribute('data-status', 'unknown');
  await expect(page.getByTestId('enrol-row-not/a/host')).toContainText('Not a host name');
  await expect(page.getByTestId('enrol-summary')).toHaveText(`1 of 3 enrolled with ${demoName}`);
  await saveScreenshot(page, 'agents-enrolment');

  // The link opens the client on the Clients page.
  await page.getByTestId(`enrol-client-${clientId}`).click();
  await expect(page).toHaveURL(new RegExp(`/clients\\?client=${clientId.replace('.', '\\.')}`));
});
