/**
 * The generated Ansible kit really runs: ansible-playbook (ansible-core 2.19 from PyPI, .venv-test)
 * against three real sshd hosts (host keys checked from a known_hosts file, sudo with a password),
 * copying the verified binary (its sha256 asserted on the host), the config and the unit. No systemd
 * runs here, so the role's service task is skipped (tag `service`) and the unit the role installed is
 * started by the recording service manager over SSH; then each agent (the simulator's stand-in)
 * enrols, observed through the API.
 */
import { execFile } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allOf, files, REPO_ROOT } from '../../../../test/real-parts';
import { openSsh } from '../ssh/connect';
import { knownHostsLine } from '../ssh/known-hosts';
import { RemoteFiles } from '../ssh/remote-files';
import { sshdHosts, TEST_PASSWORDS } from '../testing/sshd-host';
import { writeAnsibleKit } from './ansible-kit';
import { agentConfig } from './client-config';
import { pollFor, waitForEnrollment, writebackClientId } from './enrollment';
import { LINUX_CLIENT_UNIT, linuxLayout } from './layout';
import { agentWorld, type AgentTestHost, type AgentWorld } from './testing/agent-world';

const run = promisify(execFile);
const playbookBin = join(REPO_ROOT, '.venv-test', 'bin', 'ansible-playbook');
const parts = allOf('sshd hosts and ansible-core', [
  sshdHosts(),
  files('ansible-core in .venv-test', [playbookBin], 'scripts/setup-test-env.sh'),
]);

it(`has ${parts.name} (required in CI)`, () => parts.check());

describe.runIf(parts.run)('the Ansible kit against real sshd hosts', () => {
  let world: AgentWorld;
  const hosts: AgentTestHost[] = [];

  beforeAll(async () => {
    world = await agentWorld();
    for (let i = 1; i <= 3; i++) hosts.push(await world.addHost('linux', `ansible-${i}`));
  }, 600_000);

  afterAll(async () => {
    await world?.close();
  }, 300_000);

  it('installs the agent on three hosts; each enrols', async () => {
    const source = await world.server.orgClientConfig();
    const binaryPath = join(world.root, 'velociraptor');
    const knownHosts = join(world.root, 'ansible_known_hosts');
    await writeFile(
      knownHosts,
      hosts.map((h) => knownHostsLine(h.host, h.port, h.hostKeyBlob)).join('\n') + '\n',
    );
    const vars = join(world.root, 'ansible-vars.yml');
    // Test-only: the sshd hosts' sudo password, in a 0600 file of the test's own folder.
    await writeFile(
      vars,
      `ansible_become_password: ${JSON.stringify(TEST_PASSWORDS.deployer)}\nansible_python_interpreter: /usr/bin/python3\nvelociraptor_manage_service: false\n`,
      { mode: 0o600 },
    );
    for (const h of hosts) {
      // Each test host has its own install root, so its own kit (on real hosts one kit serves all).
      const layout = linuxLayout('ansible', h.prefix);
      const config = agentConfig(source, { labels: ['Ansible-Kit'], writeback: { linux: layout.writeback } });
      const kit = await writeAnsibleKit({
        configYaml: config.yaml,
        binaryPath,
        hosts: [{ host: h.host, port: h.port, os: 'linux' }],
        user: 'deployer',
        dir: join(world.root, `kit-${h.name}`),
        root: h.prefix,
      });
      expect(kit.files).toContain('roles/velociraptor_agent/tasks/main.yml');
      const r = await run(
        playbookBin,
        [
          '-i',
          kit.inventory,
          kit.playbook,
          '--skip-tags',
          'service',
          '--private-key',
          world.keys.plain,
          '-e',
          `@${vars}`,
        ],
        {
          cwd: join(world.root, `kit-${h.name}`),
          timeout: 240_000,
          env: {
            ...process.env,
            ANSIBLE_SSH_ARGS: `-o UserKnownHostsFile=${knownHosts} -o StrictHostKeyChecking=yes -o ControlMaster=no`,
            ANSIBLE_NOCOLOR: '1',
            ANSIBLE_LOCAL_TEMP: join(world.root, 'ansible-tmp'),
            HOME: world.root,
          },
        },
      ).catch((e: { stdout?: string; stderr?: string }) => {
        throw new Error(`ansible-playbook failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
      });
      expect(r.stdout).toMatch(/failed=0/);
      expect(r.stdout).toMatch(/Velociraptor client binary sha256/);
      const cfg = await stat(layout.config);
      expect(cfg.mode & 0o777).toBe(0o600);
      expect(await readFile(join(layout.unitDir, LINUX_CLIENT_UNIT), 'utf8')).toContain(
        `ExecStart=${layout.binary} --config ${layout.config} client --quiet`,
      );

      // Start what the role installed (the role's service task needs systemd), then see it enrol.
      const conn = await openSsh(
        {
          host: h.host,
          port: h.port,
          username: 'deployer',
          auth: { method: 'key', keyPath: world.keys.plain },
          sudo: { mode: 'sudo', passwordRef: 'ssh:deployer-sudo' },
        },
        { secrets: world.secrets, hostKeys: world.hostKeys },
      );
      try {
        const services = world.services.factory(conn, new RemoteFiles(conn, `${h.prefix}/var/tmp/x`), {
          prefix: h.prefix,
          unitDir: layout.unitDir,
        });
        await services.start(LINUX_CLIENT_UNIT);
      } finally {
        conn.close();
      }
      const clientId = await pollFor(
        async () => writebackClientId(await readFile(layout.writeback, 'utf8').catch(() => '')),
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      expect(clientId).toMatch(/^C\.[0-9a-f]{16}$/);
      await waitForEnrollment(world.server, clientId!, h.name, { timeoutMs: 60_000, intervalMs: 500 });
      expect((await world.server.getClient(clientId!)).labels).toContain('Ansible-Kit');
    }
  }, 900_000);
});
