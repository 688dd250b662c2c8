/**
 * The Credentials page end to end in browser mode: keychain status; the app's own MCP HTTP token is
 * listed (kind token, never expires); a connection imported into the keychain is listed (kind, owner,
 * expiry = its client cert's notAfter in UTC, fingerprint) and counted once; reveal needs an explicit
 * confirmation (no reveal request before it) and shows the value masked until asked; repair's dry run
 * reports without changing anything; delete removes the credential. A second server without any
 * Secret Service says so, lists nothing (the token lives for that run only), shows how credentials
 * get there and offers the file vault.
 * Assertions are about what each test creates: counts are compared with the count before it, and
 * each test imports the connection it works on under its own name, so any test runs alone or in
 * any order. Screenshot: docs/screenshots/credentials.png.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { parse } from 'yaml';
import { keyringSession, RealPart } from '../test/real-parts';
import { expect, test } from './fixtures';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { CredentialsPage } from './pages/CredentialsPage';
import { saveScreenshot } from './pages/screenshots';
import { ShellPage } from './pages/ShellPage';
import { startServe } from './serve';
import { startSimWithConfig, type SimWithConfig } from './sim';

let sim: SimWithConfig;
let cert: X509Certificate;

test.beforeAll(async () => {
  sim = await startSimWithConfig({ role: 'investigator', name: 'e2e-credentials' });
  cert = new X509Certificate(
    (parse(readFileSync(sim.apiConfigFile, 'utf8')) as { client_cert: string }).client_cert,
  );
});

test.afterAll(() => sim?.stop());

/** Imports the simulator's API config as connection `name` (kept in the keychain), from the Connections page. */
async function importConnection(shell: ShellPage, page: Page, name: string): Promise<void> {
  keyringSession().skipOrFail((skip, why) => test.skip(skip, why));
  await shell.goTo('connections');
  await new ConnectionsPage(page).importFile(sim.apiConfigFile, name);
}

/** `2026-03-01 14:05:09 UTC`, as the app writes times (UTC is the default zone). */
const utc = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** The keychain reference (= credential id) of the MCP HTTP endpoint's bearer token. */
const MCP_TOKEN_ID = 'mcp:http-token';
const MCP_TOKEN_NAME = 'MCP HTTP endpoint bearer token';

/** The token is listed once the MCP endpoint started (right after the server): refresh until then. */
async function expectMcpToken(creds: CredentialsPage): Promise<void> {
  await expect(async () => {
    await creds.refresh();
    await expect(creds.row(MCP_TOKEN_ID)).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 15_000 });
}

test('shows where secrets are kept and lists the MCP token as a token that never expires', async ({
  shell,
  page,
}) => {
  const creds = new CredentialsPage(page);
  await shell.open('/credentials');
  await expect(creds.status).toBeVisible();
  const store = await creds.status.getAttribute('data-store');
  new RealPart(
    'a Secret Service (gnome-keyring) answering the app',
    store === 'keychain'
      ? undefined
      : `the app reports ${store ?? 'no'} store (run through \`npm test -- e2e\`, which starts an unlocked keyring)`,
  ).skipOrFail((skip, why) => test.skip(skip, why));
  await expect(creds.status).toContainText('OS keychain');
  await expectMcpToken(creds);
  const token = creds.rowsNamed(MCP_TOKEN_NAME);
  await expect(token).toHaveCount(1);
  await expect(token).toHaveAttribute('data-testid', `credential-row-${MCP_TOKEN_ID}`);
  await expect(token).toHaveAttribute('data-kind', 'token');
  await expect(token).toHaveAttribute('data-server', '');
  await expect(creds.expiresOf(token)).toHaveText('never');
  await expect(creds.expiryBadgeOf(token)).toHaveCount(0);
  await expect(creds.fingerprintOf(token)).toHaveCount(0);
});

test('an imported connection is listed with kind, owner, expiry (UTC) and fingerprint', async ({
  shell,
  page,
}) => {
  const SERVER = 'cred lab';
  const creds = new CredentialsPage(page);
  await shell.open('/credentials');
  await expectMcpToken(creds);
  await expect(creds.rowsOf(SERVER)).toHaveCount(0);
  const before = await creds.total();

  await importConnection(shell, page, SERVER);

  await shell.goTo('credentials');
  const row = creds.rowsOf(SERVER);
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-kind', 'api-config');
  await expect(row).toContainText('API client config');
  await expect(row).toContainText(`server ${SERVER}`);
  await expect(creds.expiresOf(row)).toContainText(utc(new Date(cert.validTo)));
  await expect(creds.fingerprintOf(row)).toHaveAttribute(
    'aria-label',
    `SHA-256 fingerprint ${cert.fingerprint256}`,
  );
  // One entry for the import (its key is not encrypted, so no passphrase entry).
  await creds.expectTotal(before + 1);
  await saveScreenshot(page, 'credentials');
});

test('reveal asks first, then shows the value masked until Show', async ({ shell, page }) => {
  const SERVER = 'cred lab reveal';
  const creds = new CredentialsPage(page);
  const sentReveals: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string' && f.payload.includes('"credentials:reveal"'))
        sentReveals.push(f.payload);
    }),
  );
  await shell.open('/connections');
  await importConnection(shell, page, SERVER);
  await shell.goTo('credentials');
  const row = creds.rowsOf(SERVER);

  // Cancel: nothing is read.
  await creds.openReveal(row);
  await expect(creds.revealModal).toContainText('holds a private key');
  await expect(creds.revealValue).toHaveCount(0);
  await creds.revealModal.getByRole('button', { name: 'Cancel' }).click();
  await expect(creds.revealModal).toBeHidden();
  expect(sentReveals).toHaveLength(0);

  // Confirm: one request with confirm: true; the value is masked until Show.
  await creds.openReveal(row);
  await creds.revealConfirm.click();
  const value = creds.revealValue;
  await expect(value).toHaveAttribute('data-shown', 'false');
  await expect(value).not.toHaveValue(/api_connection_string|PRIVATE KEY/);
  expect(sentReveals).toHaveLength(1);
  expect(JSON.parse(sentReveals[0]!)).toMatchObject({
    channel: 'credentials:reveal',
    input: { confirm: true },
  });
  await creds.revealToggle.click();
  await expect(value).toHaveValue(/api_connection_string/);
  await expect(value).toHaveValue(/client_private_key/);

  // Closing forgets it: the next reveal asks again.
  await page.keyboard.press('Escape');
  await expect(creds.revealModal).toBeHidden();
  await creds.openReveal(row);
  await expect(creds.revealConfirm).toBeVisible();
  await expect(creds.revealValue).toHaveCount(0);
  await page.keyboard.press('Escape');
});

test('repair: the dry run reports and changes nothing; the imported credential is consistent', async ({
  shell,
  page,
}) => {
  const SERVER = 'cred lab repair';
  const creds = new CredentialsPage(page);
  await shell.open('/connections');
  await importConnection(shell, page, SERVER);
  await shell.goTo('credentials');
  const row = creds.rowsOf(SERVER);
  const id = await creds.idOf(row);
  const before = await creds.total();
  await creds.dryRunRepair();
  await expect(creds.repairReport).toHaveAttribute('data-dry-run', 'true');
  await expect(creds.repairReport).toContainText('dry run');
  // Its secret is in the keychain under the listed id: neither "missing" nor "orphan". Nor is the MCP token.
  await expect(creds.repairFinding(id)).toHaveCount(0);
  await expect(creds.repairFinding(MCP_TOKEN_ID)).toHaveCount(0);
  // Whatever else the shared test keychain holds is only reported, with "would", and can then be applied.
  const findings = Number(await creds.repairReport.getAttribute('data-findings'));
  if (findings > 0) {
    await expect(creds.repairReport).toContainText('would');
    await expect(creds.repairApply).toBeVisible();
  } else {
    await expect(creds.repairClean).toBeVisible();
  }
  await creds.refresh();
  await creds.expectTotal(before);
  await expect(row).toHaveCount(1);
});

test('delete asks, then removes the credential and its secret', async ({ shell, page }) => {
  const SERVER = 'cred lab delete';
  const creds = new CredentialsPage(page);
  await shell.open('/connections');
  await importConnection(shell, page, SERVER);
  await shell.goTo('credentials');
  const row = creds.rowsOf(SERVER);
  const id = await creds.idOf(row);
  const before = await creds.total();

  await creds.openDelete(row);
  await expect(creds.deleteModal).toContainText(`“${SERVER}” will no longer re-open`);
  await creds.deleteModal.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toHaveCount(1);

  await creds.openDelete(row);
  await creds.deleteConfirm.click();
  await expect(creds.deleteModal).toBeHidden();
  await expect(row).toHaveCount(0);
  await creds.expectTotal(before - 1);
  // Only that one: the app's token stays.
  await expect(creds.rowsNamed(MCP_TOKEN_NAME)).toHaveCount(1);
  // The keychain entry went too: repair finds no orphan under that id.
  await creds.dryRunRepair();
  await expect(creds.repairFinding(id)).toHaveCount(0);
});

test('without a Secret Service the page says so, shows how credentials get here and offers the file vault', async ({
  page,
}) => {
  // Its own server whose session bus leads nowhere: no keychain can answer.
  const other = await startServe({
    env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/megaraptor-e2e-bus' },
  });
  try {
    const shell = new ShellPage(page, other);
    const creds = new CredentialsPage(page);
    await shell.open('/credentials');
    await expect(creds.status).toHaveAttribute('data-store', 'none', { timeout: 20_000 });
    await expect(creds.status).toContainText('No OS keychain is available');
    await expect(creds.status).toContainText('Nothing is written in plain text');
    const submit = creds.vaultSubmit;
    await expect(submit).toHaveText('Create the file vault');
    await creds.vaultPassphrase.fill('short');
    await expect(submit).toBeDisabled();
    await creds.vaultPassphrase.fill('correct horse battery');
    await creds.vaultPassphraseConfirm.fill('correct horse battery');
    await submit.click();
    await expect(creds.status).toHaveAttribute('data-store', 'vault');
    await expect(creds.status).toContainText('file vault');
    // Nothing is stored here: the MCP token of a run without a keychain is kept for that run only.
    await creds.refresh();
    await expect(creds.emptyState).toContainText('import a server connection');
    await expect(creds.row(MCP_TOKEN_ID)).toHaveCount(0);
    await creds.goToConnections.click();
    await expect(shell.area('connections')).toBeVisible();
  } finally {
    await other.stop();
  }
});
