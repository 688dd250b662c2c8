/**
 * The Credentials page end to end in browser mode: keychain status; the app's own MCP HTTP token is
 * listed (kind token, never expires); a connection imported into the keychain is listed (kind, owner,
 * expiry = its client cert's notAfter in UTC, fingerprint) and counted once; reveal needs an explicit
 * confirmation (no reveal request before it) and shows the value masked until asked; repair's dry run
 * reports without changing anything; delete removes the credential. A second server without any
 * Secret Service says so, lists nothing (the token lives for that run only), shows how credentials
 * get there and offers the file vault.
 * Assertions are about what each test creates: counts are compared with the count before it.
 * Screenshot: docs/screenshots/credentials.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { expect, test } from './fixtures';
import { CredentialsPage } from './pages/CredentialsPage';
import { InvestigationPage } from './pages/InvestigationPage';
import { ShellPage } from './pages/ShellPage';
import { CLI, startServe } from './serve';

const CI = process.env.CI === 'true' || process.env.CI === '1';
const SERVER = 'cred lab';

// Tests run in file order on one server: import, then reveal, repair and delete that credential.

let sim: ChildProcess | undefined;
let apiConfigFile = '';
let cert: X509Certificate;

test.beforeAll(async () => {
  apiConfigFile = join(mkdtempSync(join(tmpdir(), 'mr-cred-')), 'api.config.yaml');
  sim = spawn(
    process.execPath,
    [CLI, 'sim', '--write-api-config', apiConfigFile, '--role', 'investigator', '--name', 'e2e-credentials'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const deadline = Date.now() + 20_000;
  while (!existsSync(apiConfigFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(apiConfigFile)).toBe(true);
  // The file appears before it is complete only in theory; wait until it parses.
  await expect
    .poll(
      () =>
        typeof (parse(readFileSync(apiConfigFile, 'utf8')) as { client_cert?: unknown } | null)?.client_cert,
    )
    .toBe('string');
  cert = new X509Certificate(
    (parse(readFileSync(apiConfigFile, 'utf8')) as { client_cert: string }).client_cert,
  );
});

test.afterAll(() => {
  sim?.kill('SIGTERM');
});

/** `2026-03-01 14:05:09 UTC`, as the app writes times (UTC is the default zone). */
const utc = (d: Date) => `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;

/** The keychain reference (= credential id) of the MCP HTTP endpoint's bearer token. */
const MCP_TOKEN_ID = 'mcp:http-token';
const MCP_TOKEN_NAME = 'MCP HTTP endpoint bearer token';

/** The token is listed once the MCP endpoint started (right after the server): refresh until then. */
async function expectMcpToken(creds: CredentialsPage): Promise<void> {
  await expect(async () => {
    await creds.refresh();
    await expect(creds.page.getByTestId(`credential-row-${MCP_TOKEN_ID}`)).toBeVisible({ timeout: 1000 });
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
  if (store !== 'keychain') {
    if (CI)
      throw new Error(
        `No keychain in CI (status: ${store ?? 'none'}): npm test runs e2e with an unlocked gnome-keyring.`,
      );
    test.skip(
      true,
      'no Secret Service (gnome-keyring) answers in this session: run inside dbus-run-session with an unlocked keyring',
    );
  }
  await expect(creds.status).toContainText('OS keychain');
  await expectMcpToken(creds);
  const token = creds.rowsNamed(MCP_TOKEN_NAME);
  await expect(token).toHaveCount(1);
  await expect(token).toHaveAttribute('data-testid', `credential-row-${MCP_TOKEN_ID}`);
  await expect(token).toHaveAttribute('data-kind', 'token');
  await expect(token).toHaveAttribute('data-server', '');
  await expect(token.getByTestId('credential-expires')).toHaveText('never');
  await expect(token.getByTestId('expiry-badge')).toHaveCount(0);
  await expect(token.getByTestId('credential-fingerprint')).toHaveCount(0);
});

test('an imported connection is listed with kind, owner, expiry (UTC) and fingerprint', async ({
  shell,
  page,
}) => {
  const inv = new InvestigationPage(page);
  const creds = new CredentialsPage(page);
  await shell.open('/credentials');
  await expectMcpToken(creds);
  await expect(creds.rowsOf(SERVER)).toHaveCount(0);
  const before = await creds.total();

  await shell.goTo('connections');
  await page.locator('input[type="file"]').setInputFiles(apiConfigFile);
  await expect(inv.testId('config-yaml')).toHaveValue(/api_connection_string/);
  await inv.testId('config-name').fill(SERVER);
  await inv.testId('import-submit').click();
  await expect(inv.testId(`connection-${SERVER}`)).toBeVisible();

  await shell.goTo('credentials');
  const row = creds.rowsOf(SERVER);
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-kind', 'api-config');
  await expect(row).toContainText('API client config');
  await expect(row).toContainText(`server ${SERVER}`);
  await expect(row.getByTestId('credential-expires')).toContainText(utc(new Date(cert.validTo)));
  await expect(row.getByTestId('credential-fingerprint')).toHaveAttribute(
    'aria-label',
    `SHA-256 fingerprint ${cert.fingerprint256}`,
  );
  // One entry for the import (its key is not encrypted, so no passphrase entry).
  await creds.expectTotal(before + 1);
  await creds.screenshot('credentials');
});

test('reveal asks first, then shows the value masked until Show', async ({ shell, page }) => {
  const creds = new CredentialsPage(page);
  const sentReveals: string[] = [];
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string' && f.payload.includes('"credentials:reveal"'))
        sentReveals.push(f.payload);
    }),
  );
  await shell.open('/credentials');
  const row = creds.rowsOf(SERVER);

  // Cancel: nothing is read.
  await creds.openReveal(row);
  await expect(creds.revealModal).toContainText('holds a private key');
  await expect(creds.revealModal.getByTestId('reveal-value')).toHaveCount(0);
  await creds.revealModal.getByRole('button', { name: 'Cancel' }).click();
  await expect(creds.revealModal).toBeHidden();
  expect(sentReveals).toHaveLength(0);

  // Confirm: one request with confirm: true; the value is masked until Show.
  await creds.openReveal(row);
  await creds.revealModal.getByTestId('reveal-confirm').click();
  const value = creds.revealModal.getByTestId('reveal-value');
  await expect(value).toHaveAttribute('data-shown', 'false');
  await expect(value).not.toHaveValue(/api_connection_string|PRIVATE KEY/);
  expect(sentReveals).toHaveLength(1);
  expect(JSON.parse(sentReveals[0]!)).toMatchObject({
    channel: 'credentials:reveal',
    input: { confirm: true },
  });
  await creds.revealModal.getByTestId('reveal-toggle').click();
  await expect(value).toHaveValue(/api_connection_string/);
  await expect(value).toHaveValue(/client_private_key/);

  // Closing forgets it: the next reveal asks again.
  await page.keyboard.press('Escape');
  await expect(creds.revealModal).toBeHidden();
  await creds.openReveal(row);
  await expect(creds.revealModal.getByTestId('reveal-confirm')).toBeVisible();
  await expect(creds.revealModal.getByTestId('reveal-value')).toHaveCount(0);
  await page.keyboard.press('Escape');
});

test('repair: the dry run reports and changes nothing; the imported credential is consistent', async ({
  shell,
  page,
}) => {
  const creds = new CredentialsPage(page);
  await shell.open('/credentials');
  const row = creds.rowsOf(SERVER);
  const id = (await row.getAttribute('data-testid'))!.replace('credential-row-', '');
  const before = await creds.total();
  await creds.dryRunRepair();
  await expect(creds.repairReport).toHaveAttribute('data-dry-run', 'true');
  await expect(creds.repairReport).toContainText('dry run');
  // Its secret is in the keychain under the listed id: neither "missing" nor "orphan". Nor is the MCP token.
  await expect(creds.repairReport.getByTestId(`repair-finding-${id}`)).toHaveCount(0);
  await expect(creds.repairReport.getByTestId(`repair-finding-${MCP_TOKEN_ID}`)).toHaveCount(0);
  // Whatever else the shared test keychain holds is only reported, with "would", and can then be applied.
  const findings = Number(await creds.repairReport.getAttribute('data-findings'));
  if (findings > 0) {
    await expect(creds.repairReport).toContainText('would');
    await expect(page.getByTestId('repair-apply')).toBeVisible();
  } else {
    await expect(page.getByTestId('repair-clean')).toBeVisible();
  }
  await creds.refresh();
  await creds.expectTotal(before);
  await expect(row).toHaveCount(1);
});

test('delete asks, then removes the credential and its secret', async ({ shell, page }) => {
  const creds = new CredentialsPage(page);
  await shell.open('/credentials');
  const row = creds.rowsOf(SERVER);
  const id = (await row.getAttribute('data-testid'))!.replace('credential-row-', '');
  const before = await creds.total();

  await creds.openDelete(row);
  await expect(creds.deleteModal).toContainText(`“${SERVER}” will no longer re-open`);
  await creds.deleteModal.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toHaveCount(1);

  await creds.openDelete(row);
  await creds.deleteModal.getByTestId('delete-confirm').click();
  await expect(creds.deleteModal).toBeHidden();
  await expect(row).toHaveCount(0);
  await creds.expectTotal(before - 1);
  // Only that one: the app's token stays.
  await expect(creds.rowsNamed(MCP_TOKEN_NAME)).toHaveCount(1);
  // The keychain entry went too: repair finds no orphan under that id.
  await creds.dryRunRepair();
  await expect(creds.repairReport.getByTestId(`repair-finding-${id}`)).toHaveCount(0);
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
    const submit = page.getByTestId('vault-submit');
    await expect(submit).toHaveText('Create the file vault');
    await page.getByTestId('vault-passphrase').fill('short');
    await expect(submit).toBeDisabled();
    await page.getByTestId('vault-passphrase').fill('correct horse battery');
    await page.getByTestId('vault-passphrase-confirm').fill('correct horse battery');
    await submit.click();
    await expect(creds.status).toHaveAttribute('data-store', 'vault');
    await expect(creds.status).toContainText('file vault');
    // Nothing is stored here: the MCP token of a run without a keychain is kept for that run only.
    await creds.refresh();
    await expect(creds.emptyState).toContainText('import a server connection');
    await expect(page.getByTestId(`credential-row-${MCP_TOKEN_ID}`)).toHaveCount(0);
    await page.getByTestId('empty-go-connections').click();
    await expect(page.getByTestId('page-connections')).toBeVisible();
  } finally {
    await other.stop();
  }
});
