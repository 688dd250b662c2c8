/**
 * The SSH-host target's host key in the wizard, against a REAL OpenSSH sshd on a loopback port
 * (electron/core/deploy/testing/sshd-host.ts): before the plan the wizard shows a key never seen —
 * its type and SHA256 fingerprint — and goes on only when the responder trusts it; the app remembers
 * it (the next check passes without asking). After the host's key changes, the wizard refuses to go
 * on and shows the old and the new fingerprint. Where sshd test hosts cannot run (not root, no sshd)
 * the spec skips with the reason; in CI it fails.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprintOf } from '../electron/core/deploy/ssh/known-hosts';
import {
  makeClientKeys,
  sshdHosts,
  startSshdHost,
  type ClientKeys,
  type SshdHost,
} from '../electron/core/deploy/testing/sshd-host';
import { expect, test } from './fixtures';
import { DeploymentsPage } from './pages/DeploymentsPage';

const hosts = sshdHosts();
let dir: string | undefined;
let keys: ClientKeys | undefined;
let host: SshdHost | undefined;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  if (!hosts.ready) return;
  dir = mkdtempSync(join(tmpdir(), 'mr-e2e-hostkey-'));
  keys = await makeClientKeys();
  host = await startSshdHost(keys);
});

test.afterAll(async () => {
  await host?.stop();
  await keys?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.beforeEach(() => hosts.skipOrFail((skip, why) => test.skip(skip, why)));

test('a new SSH host key is confirmed once in the wizard; a changed one is refused with both fingerprints', async ({
  shell,
  page,
}) => {
  test.setTimeout(120_000);
  const h = host!;
  // The binary only has to exist for the plan; nothing is deployed here.
  const binary = join(dir!, 'velociraptor');
  writeFileSync(binary, '#!/bin/sh\n');
  chmodSync(binary, 0o755);

  await shell.open();
  await shell.goTo('deployments');
  const deployments = new DeploymentsPage(page);
  await deployments.start('ssh', 'standard');
  const wizard = deployments.wizard;
  await deployments.name.fill('e2e-ssh-key');
  await wizard.getByTestId('settings-ssh-host').fill(h.host);
  await wizard.getByLabel('SSH port').fill(String(h.port));
  await wizard.getByTestId('settings-ssh-user').fill('nopass');
  await wizard.getByText('A private key file').click();
  await wizard.getByTestId('settings-ssh-key').fill(keys!.plain);
  await deployments.useBinaryFile(binary);
  await expect(deployments.problems).toHaveCount(0);

  // Never seen: the key's type and fingerprint, and no plan until the responder trusts it.
  const first = fingerprintOf(h.hostKeyBlob);
  await deployments.next.click();
  const unknown = wizard.getByTestId('host-key-unknown');
  await expect(unknown).toBeVisible({ timeout: 30_000 });
  await expect(unknown).toContainText('ssh-ed25519');
  await expect(unknown.getByTestId('host-key-fingerprint')).toHaveText(first);
  await expect(deployments.review).toHaveCount(0);
  await unknown.getByTestId('host-key-trust').click();
  await expect(deployments.review).toBeVisible({ timeout: 30_000 });

  // Remembered: back and on again goes straight to the plan.
  await deployments.back.click();
  await deployments.next.click();
  await expect(deployments.review).toBeVisible({ timeout: 30_000 });
  await expect(wizard.getByTestId('host-key-unknown')).toHaveCount(0);

  // The host's key changes (reinstalled, or someone in between): refused, both fingerprints shown.
  await deployments.back.click();
  await h.rotateHostKey();
  const second = fingerprintOf(h.hostKeyBlob);
  await deployments.next.click();
  const changed = wizard.getByTestId('host-key-changed');
  await expect(changed).toBeVisible({ timeout: 30_000 });
  await expect(changed.getByTestId('host-key-fingerprint')).toHaveText(second);
  await expect(changed.getByTestId('host-key-known')).toContainText(first);
  await expect(changed).toContainText(`it is now ssh-ed25519 ${second}`);
  await expect(changed.getByTestId('host-key-trust')).toHaveCount(0);
  await expect(deployments.next).toBeDisabled();
  await expect(deployments.review).toHaveCount(0);
});
