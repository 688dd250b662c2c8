/**
 * The agents wizard's certificate step for Windows hosts, in browser mode: two WinRM listeners on
 * loopback (the HTTPS WS-Management test listener, testing/winrm-fake.ts; no Windows runs here). One
 * was never seen: the step shows its SHA-256, subject, issuer and validity, the responder confirms it
 * and it is pinned. The other was pinned before and has since been restarted with a new certificate:
 * the step shows it changed, with both fingerprints, and offers no way to confirm it.
 */
import { keyringSession } from '../test/real-parts';
import { expect, test } from './fixtures';
import { AgentsPage } from './pages/AgentsPage';
import { callOver, openSocket } from './ws-client';

const account = { user: 'Administrator', password: 'Pa55-w0rd!' };
/** What the spec uses of testing/winrm-fake.ts's listener. */
interface WinRmFake {
  port: number;
  fingerprint256: string;
  auths: unknown[];
  close(): Promise<void>;
}
// Loaded at run time, not imported: its PKI module does not typecheck under the e2e config's DOM lib
// (Node's webcrypto and the DOM's Crypto types differ), though it runs the same.
const FAKE = '../electron/core/deploy/agents/testing/winrm-fake';
async function startWinRmFake(port?: number): Promise<WinRmFake> {
  const m = (await import(FAKE)) as { startWinRmFake(o: unknown): Promise<WinRmFake> };
  return m.startWinRmFake({ accounts: [account], ...(port ? { port } : {}) });
}
let fresh: WinRmFake;
let replaced: WinRmFake;

test.beforeAll(async () => {
  fresh = await startWinRmFake();
  replaced = await startWinRmFake();
});

test.afterAll(async () => {
  await fresh?.close();
  await replaced?.close();
});

test.beforeEach(() => {
  keyringSession().skipOrFail((skip, why) => test.skip(skip, why));
});

test('WinRM certificates: a new one confirmed and pinned, a changed one refused with both', async ({
  shell,
  page,
  server,
}) => {
  test.setTimeout(180_000);
  const ws = await openSocket(server);
  const demo = await callOver(ws, 'connections:demo', {});
  expect(demo.ok).toBe(true);
  const demoName = (demo as { ok: true; value: { name: string } }).value.name;
  // The second listener's certificate was confirmed in an earlier push; then it was replaced.
  const earlier = replaced.fingerprint256;
  const pinned = await callOver(ws, 'agents:trust-winrm-certs', {
    certs: [{ host: '127.0.0.1', port: replaced.port, fingerprint: earlier }],
  });
  ws.close();
  expect(pinned).toMatchObject({ ok: true, value: { trusted: 1, refused: [] } });
  const port = replaced.port;
  await replaced.close();
  replaced = await startWinRmFake(port);

  await shell.open();
  await shell.goTo('agents');
  const agents = new AgentsPage(page);
  await agents.newPush.click();
  await page.getByTestId('agents-paste').fill(`127.0.0.1:${fresh.port}\n127.0.0.1:${replaced.port}`);
  await agents.next.click();
  await page.getByTestId('agents-name').fill('e2e-winrm');
  await agents.choose('agents-server', demoName);
  await agents.segment('WinRM (Windows)').click();
  await agents.next.click();
  await page.getByTestId('agents-winrm-user').fill(account.user);
  await agents.addSecret('agents-winrm-password', 'winrm admin (e2e)', account.password);
  // The hosts download the MSI from this machine: the wizard asks where they reach it.
  await expect(agents.problems).toContainText('as the Windows hosts reach it');
  await page.getByTestId('agents-winrm-serve-host').fill('127.0.0.1');
  await expect(agents.problems).toHaveCount(0);
  await agents.next.click();

  const row = (f: WinRmFake) => agents.wizard.getByTestId(`winrmcert-127.0.0.1:${f.port}`);
  await page.getByTestId('winrmcerts-scan').click();
  await expect(row(fresh)).toHaveAttribute('data-status', 'new');
  await expect(row(fresh)).toContainText(fresh.fingerprint256);
  await expect(row(fresh)).toContainText('subject CN=localhost');
  await expect(row(fresh)).toContainText('issuer O=Megaraptor test WinRM CA');
  await expect(row(replaced)).toHaveAttribute('data-status', 'changed');
  await expect(row(replaced)).toContainText(replaced.fingerprint256);
  await expect(row(replaced)).toContainText(`pinned before: ${earlier}`);
  await expect(row(replaced).getByRole('checkbox')).toHaveCount(0);

  await page.getByTestId('winrmcerts-pick-all').click();
  await page.getByTestId('winrmcerts-trust').click();
  await expect(row(fresh)).toHaveAttribute('data-status', 'known');
  await expect(row(replaced)).toHaveAttribute('data-status', 'changed');
  // Nothing reached either listener: the step only looks at the certificates.
  expect(fresh.auths).toHaveLength(0);
  expect(replaced.auths).toHaveLength(0);

  // The core accepts what the wizard sends for WinRM (the review is the core's own draft).
  await agents.next.click();
  await expect(agents.review).toBeVisible({ timeout: 30_000 });
  await expect(agents.review).toContainText('over WinRM');
  await expect(agents.error).toHaveCount(0);
});
