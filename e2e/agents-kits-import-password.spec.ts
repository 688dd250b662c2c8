/**
 * A password-protected offline collection imported from the kits tab (browser mode): the simulator's
 * collection code writes upstream's password container; without a keychain entry the import says
 * what it needs, with the wrong entry that the password does not open it, and with the collector's
 * entry (added to the keychain from the card) it is decrypted by the app and imported, rows shown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStandInCollection } from '../electron/core/sim/collections';
import { expect, test } from './fixtures';
import { AgentsPage } from './pages/AgentsPage';
import { callOver, openSocket } from './ws-client';

const HOST = 'e2e-isolated-pw';
const HOST_ID = '7e2e00aa-aaaa-bbbb-cccc-0000000000aa';
let dir: string;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-e2e-kits-pw-'));
});
test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a password collection: asked for, wrong password refused, right one imported', async ({
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
    {
      OS: 'Linux',
      artifacts: JSON.stringify(['Generic.Client.Info']),
      encryption_scheme: 'Password',
      encryption_args: JSON.stringify({ password: 'e2e collector pw' }),
    },
    { outDir: dir, hostname: HOST, hostId: HOST_ID },
  );

  await shell.open();
  await shell.goTo('agents');
  const agents = new AgentsPage(page);
  await page.getByTestId('agents-tab-kits').click();
  await agents.choose('kit-server', demoName);
  const card = page.getByTestId('kit-import');
  await card.getByTestId('kit-import-input').setInputFiles(zip);
  await card.getByTestId('kit-import-run').click();
  await expect(card.getByTestId('kit-import-error')).toContainText(
    "is protected with the collector's ZIP password: choose the keychain entry",
  );

  const addSecret = async (name: string, secret: string) => {
    await card.getByTestId('kit-import-password-add').click();
    await card.getByTestId('kit-import-password-name').fill(name);
    await card.getByTestId('kit-import-password-secret').fill(secret);
    await card.getByTestId('kit-import-password-save').click();
    await expect(card.getByTestId('kit-import-password-select')).toHaveValue(name);
  };
  await addSecret('e2e wrong zip password', 'not the one');
  await card.getByTestId('kit-import-run').click();
  await expect(card.getByTestId('kit-import-error')).toContainText('The password does not open');
  await expect(card.getByTestId('kit-import-error')).not.toContainText('not the one');

  await addSecret('e2e collector zip password', 'e2e collector pw');
  await card.getByTestId('kit-import-run').click();
  const imported = card.getByTestId('kit-imported');
  await expect(imported).toBeVisible({ timeout: 60_000 });
  await expect(imported.getByTestId('kit-imported-client')).toHaveText(`C.${HOST_ID.split('-')[0]!}`);
  await expect(
    imported.getByTestId('kit-imported-source').filter({ hasText: 'Generic.Client.Info/BasicInformation' }),
  ).toHaveCount(1);
});
