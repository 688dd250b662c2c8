/**
 * Waiting for an agent's writeback on a real OpenSSH sshd host (testing/sshd-host.ts), through sudo
 * with a password as a push does: the wait runs on the host in one command, sees the id as soon as
 * the file holds it, and gives up at the deadline.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemorySecretStore } from '../../credentials/memory-store';
import { openSsh } from '../ssh/connect';
import type { SshConnection } from '../ssh/connection';
import { HostKeyStore } from '../ssh/host-keys';
import {
  makeClientKeys,
  sshdHosts,
  startSshdHost,
  TEST_PASSWORDS,
  type ClientKeys,
  type SshdHost,
} from '../testing/sshd-host';
import { waitForWriteback } from './enrollment';

const hosts = sshdHosts();

it(`has ${hosts.name} (required in CI)`, () => hosts.check());

describe.runIf(hosts.run)('waiting for the writeback on a host', () => {
  let keys: ClientKeys;
  let host: SshdHost;
  let conn: SshConnection;

  beforeAll(async () => {
    keys = await makeClientKeys();
    host = await startSshdHost(keys);
    const secrets = new MemorySecretStore();
    await secrets.set('ssh:deployer-sudo', TEST_PASSWORDS.deployer);
    const hostKeys = new HostKeyStore({ appFile: join(host.dir, 'app_known_hosts'), userFiles: [] });
    await hostKeys.verify(host.host, host.port, host.hostKeyBlob, () => Promise.resolve(true));
    conn = await openSsh(
      {
        host: host.host,
        port: host.port,
        username: 'deployer',
        auth: { method: 'key', keyPath: keys.plain },
        sudo: { mode: 'sudo', passwordRef: 'ssh:deployer-sudo' },
      },
      { secrets, hostKeys },
    );
    // Root-only, as the agent's writeback is.
    await mkdir(join(host.prefix, 'etc'), { recursive: true, mode: 0o700 });
  });

  afterAll(async () => {
    conn?.close();
    await host?.stop();
    await keys?.cleanup();
  });

  it('sees the client id the agent writes, in one command on the host', async () => {
    const writeback = join(host.prefix, 'etc', 'velociraptor.writeback.yaml');
    const exec = vi.spyOn(conn, 'exec');
    const later = setTimeout(() => {
      void writeFile(writeback, 'client_id: C.0123456789abcdef\nprivate_key: secret\n', { mode: 0o600 });
    }, 1500);
    try {
      const id = await waitForWriteback(conn, writeback, { timeoutMs: 20_000 });
      expect(id).toBe('C.0123456789abcdef');
      expect(exec).toHaveBeenCalledTimes(1);
    } finally {
      clearTimeout(later);
      exec.mockRestore();
      await rm(writeback, { force: true });
    }
  });

  it('gives up at the deadline when no agent writes one', async () => {
    const t0 = Date.now();
    const id = await waitForWriteback(conn, join(host.prefix, 'etc', 'never.yaml'), { timeoutMs: 2_000 });
    expect(id).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
  });
});
