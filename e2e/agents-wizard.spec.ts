/**
 * The agents wizard end to end in browser mode: hosts pasted → the demo server → an SSH login whose
 * sudo password goes into the keychain through the wizard → each host's key checked and confirmed →
 * the core's review → the push, watched in the live table until three hosts are enrolled and one has
 * failed with its reason → the summary CSV downloaded and read.
 *
 * The hosts are real OpenSSH sshd hosts on loopback started here (e2e/agent-hosts.ts; root); one of
 * them does not accept our key. `megaraptor serve` pushes with the product's path; the "binary" is the
 * simulator launcher given as "a binary I have" (unsigned), whose `client` is the stand-in agent that
 * enrols with the demo simulator for real. The hosts' systemctl is a test double (no systemd here).
 * Screenshots: docs/screenshots/agents-review.png, agents-run.png.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsvRows } from '../shared/agent-hosts';
import { velociraptorLauncher } from '../electron/core/sim/launcher';
import {
  makeClientKeys,
  sshdHosts,
  TEST_PASSWORDS,
  type ClientKeys,
} from '../electron/core/deploy/testing/sshd-host';
import { keyringSession } from '../test/real-parts';
import { startAgentE2eHost, type AgentE2eHost } from './agent-hosts';
import { SUMMARY_COLUMNS } from '../electron/core/deploy/agents/summary';
import { expect, test } from './fixtures';
import { AgentsPage } from './pages/AgentsPage';
import { saveScreenshot } from './pages/screenshots';
import { CLI } from './serve';
import { callOver, openSocket } from './ws-client';

let dir: string;
let launcher: string;
let keys: ClientKeys | undefined;
const hosts: AgentE2eHost[] = [];
let refusing: AgentE2eHost;

const sshd = sshdHosts();

test.beforeAll(async () => {
  test.setTimeout(180_000);
  if (!sshd.run) return;
  dir = mkdtempSync(join(tmpdir(), 'mr-e2e-agents-'));
  launcher = join(dir, 'velociraptor');
  writeFileSync(launcher, velociraptorLauncher(CLI, process.execPath));
  chmodSync(launcher, 0o755);
  keys = await makeClientKeys();
  for (let i = 1; i <= 3; i++) hosts.push(await startAgentE2eHost(keys, `e2e-agent-0${i}`));
  const stranger = readFileSync(`${keys.stranger}.pub`, 'utf8').trim();
  refusing = await startAgentE2eHost(keys, 'e2e-agent-refuses', { authorizedKeys: [stranger] });
});

test.afterAll(async () => {
  for (const h of [...hosts, ...(refusing ? [refusing] : [])]) await h.stop().catch(() => undefined);
  await keys?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.beforeEach(() => {
  sshd.skipOrFail((skip, why) => test.skip(skip, why));
  keyringSession().skipOrFail((skip, why) => test.skip(skip, why));
});

test('the wizard pushes agents to sshd hosts: enrolled, one failed with its reason, CSV', async ({
  shell,
  page,
  server,
}) => {
  test.setTimeout(300_000);
  const ws = await openSocket(server);
  const demo = await callOver(ws, 'connections:demo', {});
  ws.close();
  expect(demo.ok).toBe(true);
  const demoName = (demo as { ok: true; value: { name: string } }).value.name;

  await shell.open();
  await shell.goTo('agents');
  const agents = new AgentsPage(page);
  await agents.newPush.click();
  await expect(agents.wizard).toBeVisible();

  // Hosts: pasted, one per line.
  const all = [...hosts, refusing];
  await page.getByTestId('agents-paste').fill(all.map((h) => `${h.host}:${h.port}`).join('\n'));
  await expect(page.getByTestId('agents-host-count')).toHaveText('4 hosts');
  await agents.next.click();

  // Server and method.
  await page.getByTestId('agents-name').fill('e2e-push');
  await agents.choose('agents-server', demoName);
  await page.getByTestId('agents-labels').fill('Incident-17');
  await page.getByTestId('agents-concurrency').fill('4');
  await agents.next.click();

  // Login: our key, sudo with a password stored in the keychain through the wizard, the launcher.
  await page.getByTestId('agents-ssh-user').fill('deployer');
  await page.getByTestId('agents-ssh-key').fill(keys!.plain);
  await agents.addSecret('agents-sudo-password', 'deployer sudo (e2e)', TEST_PASSWORDS.deployer);
  await agents.segment('A binary I have (Linux amd64)').click();
  await page.getByTestId('agents-ssh-binary-path').fill(launcher);
  await expect(agents.problems).toHaveCount(0);
  await agents.next.click();

  // Host keys: all four are new; confirmed, they are known.
  await page.getByTestId('hostkeys-scan').click();
  for (const h of all)
    await expect(agents.keyRow(`${h.host}:${h.port}`)).toHaveAttribute('data-status', 'unknown');
  await page.getByTestId('hostkeys-pick-all').click();
  await page.getByTestId('hostkeys-trust').click();
  for (const h of all)
    await expect(agents.keyRow(`${h.host}:${h.port}`)).toHaveAttribute('data-status', 'known');
  await agents.next.click();

  // Review: the core's draft and the demo server's agent config.
  await expect(agents.review).toBeVisible({ timeout: 30_000 });
  await expect(agents.review).toContainText('4 hosts over SSH, 4 at once');
  await expect(agents.wizard.getByTestId('agents-review-config')).toContainText(
    /https:\/\/127\.0\.0\.1:\d+\//,
  );
  await expect(agents.wizard.getByTestId('agents-review-installs')).toContainText(
    'velociraptor_client.service',
  );
  await saveScreenshot(page, 'agents-review');
  await agents.start.click();

  // The live table: three enrolled, the host refusing our key failed with the reason.
  await expect(agents.wizard).toHaveCount(0);
  await expect(agents.run).toHaveAttribute('data-state', 'finished', { timeout: 240_000 });
  for (const h of hosts) {
    const row = agents.hostRow(`${h.host}:${h.port}`);
    await expect(row).toHaveAttribute('data-state', 'enrolled');
    await expect(row).toContainText(/C\.[0-9a-f]{16}/);
  }
  const failed = agents.hostRow(`${refusing.host}:${refusing.port}`);
  await expect(failed).toHaveAttribute('data-state', 'failed');
  await expect(failed.getByTestId('run-host-error')).toContainText('SSH_AUTH_FAILED');
  await expect(failed.getByTestId('run-host-error')).toContainText('refused the login as "deployer"');
  await expect(page.getByTestId('run-state')).toHaveText('finished');
  await saveScreenshot(page, 'agents-run');

  // The summary CSV, as the browser receives it.
  const download = page.waitForEvent('download');
  await page.getByTestId('run-export').click();
  const file = await (await download).path();
  const rows = parseCsvRows(readFileSync(file, 'utf8'));
  expect(rows[0]).toEqual([...SUMMARY_COLUMNS]);
  const col = (name: (typeof SUMMARY_COLUMNS)[number]) => SUMMARY_COLUMNS.indexOf(name);
  const byPort = new Map(rows.slice(1).map((r) => [Number(r[col('port')]), r]));
  expect(byPort.size).toBe(4);
  for (const h of hosts) {
    const r = byPort.get(h.port)!;
    expect(r[col('state')]).toBe('enrolled');
    expect(r[col('client_id')]).toMatch(/^C\.[0-9a-f]{16}$/);
    expect(r[col('platform')]).toMatch(/^linux\/amd64/);
  }
  const refused = byPort.get(refusing.port)!;
  expect([refused[col('state')], refused[col('attempts')]]).toEqual(['failed', '1']);
  expect(refused[col('error_code')]).toBe('SSH_AUTH_FAILED');

  // From the push's row: its hosts checked against the server they enrol with, by client id.
  await page.locator('[data-testid^="agents-run-check-"]').first().click();
  await expect(page.getByTestId('enrol-results')).toBeVisible();
  for (const h of hosts) {
    const id = byPort.get(h.port)![col('client_id')]!;
    await expect(page.getByTestId(`enrol-row-${id}`)).toHaveAttribute('data-status', 'enrolled');
    await expect(page.getByTestId(`enrol-client-${id}`)).toBeVisible();
  }
});
