/**
 * `megaraptor deploy ssh` and an SSH host key, with the built CLI against a REAL OpenSSH sshd on a
 * loopback port: a key never seen is never accepted by default — the command stops with the key's
 * type and SHA256 fingerprint and the flag to confirm it; `--accept-host-key` with another fingerprint
 * is refused; with the host's own it is remembered in the app's known-hosts file (the next run says
 * "known") and the deployment goes on to the host. After the host's key changes even a dry run is
 * refused with the old and the new fingerprint. The test host has no systemd, so the deployment
 * itself stops at its pre-flight (the service manager): here only the host key matters.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allOf, builtCli, keyringSession } from '../../../test/real-parts';
import { runBuiltCli } from '../testing/run-cli';
import { appKnownHostsFile } from '../../core/deploy/index';
import { fingerprintOf } from '../../core/deploy/ssh/known-hosts';
import {
  makeClientKeys,
  sshdHosts,
  startSshdHost,
  type ClientKeys,
  type SshdHost,
} from '../../core/deploy/testing/sshd-host';

const parts = allOf('the built CLI, a keyring session and sshd test hosts', [
  builtCli('deploy'),
  keyringSession(),
  sshdHosts(),
]);

it(`has ${parts.name} (required in CI)`, () => parts.check());

describe.runIf(parts.ready)('megaraptor deploy ssh and host keys (built CLI, real sshd)', () => {
  let root: string;
  let keys: ClientKeys;
  let host: SshdHost;
  let env: NodeJS.ProcessEnv;
  let args: string[];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mr-cli-ssh-key-'));
    keys = await makeClientKeys();
    host = await startSshdHost(keys);
    const binary = join(root, 'velociraptor');
    await writeFile(binary, '#!/bin/sh\n');
    await chmod(binary, 0o755);
    env = { MEGARAPTOR_DATA_DIR: join(root, 'data') };
    args = [
      'deploy',
      'ssh',
      '--name',
      'cli-ssh',
      '--profile',
      'standard',
      '--host',
      host.host,
      '--ssh-port',
      String(host.port),
      '--user',
      'nopass',
      '--key',
      keys.plain,
      '--sudo',
      '--binary',
      binary,
    ];
  }, 120_000);

  afterAll(async () => {
    await host?.stop();
    await keys?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  }, 60_000);

  it('asks for the fingerprint, remembers the right one, and refuses a changed key', async () => {
    const fingerprint = fingerprintOf(host.hostKeyBlob);
    const file = appKnownHostsFile(env.MEGARAPTOR_DATA_DIR!);

    const dry = await runBuiltCli([...args, '--dry-run'], env);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.err).toContain(`host key ssh-ed25519 ${fingerprint}: never seen`);
    expect(dry.err).toContain(`--accept-host-key ${fingerprint}`);

    const unconfirmed = await runBuiltCli(args, env);
    expect(unconfirmed.code).not.toBe(0);
    expect(unconfirmed.err).toContain(`presents a host key never seen before: ssh-ed25519 ${fingerprint}`);
    expect(unconfirmed.err).toContain(`run again with --accept-host-key ${fingerprint}`);
    expect(existsSync(file)).toBe(false);

    const wrong = await runBuiltCli([...args, '--accept-host-key', `SHA256:${'A'.repeat(43)}`], env);
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toContain(`not the SHA256:${'A'.repeat(43)} that was confirmed`);
    expect(existsSync(file)).toBe(false);

    const confirmed = await runBuiltCli([...args, '--accept-host-key', fingerprint], env);
    expect(confirmed.err).toContain(`host key ssh-ed25519 ${fingerprint}: trusted and remembered`);
    // It logged in with the key now trusted: what stops it is the host's missing systemd, not the key.
    expect(confirmed.err).not.toMatch(/SSH_HOST_KEY/);
    expect(confirmed.err).toMatch(/Service manager/);
    expect(await readFile(file, 'utf8')).toMatch(/^\|1\|/m);

    const again = await runBuiltCli([...args, '--dry-run'], env);
    expect(again.err).toContain(`host key ssh-ed25519 ${fingerprint}: known`);

    await host.rotateHostKey();
    const changed = await runBuiltCli([...args, '--dry-run'], env);
    expect(changed.code).not.toBe(0);
    expect(changed.err).toContain(fingerprint);
    expect(changed.err).toContain(fingerprintOf(host.hostKeyBlob));
    expect(changed.err).toMatch(/changed/);
  }, 240_000);
});
