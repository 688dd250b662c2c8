/**
 * An Ansible kit for Linux agents: a role that installs the Velociraptor client the way the SSH push
 * does (upstream's client-package layout: /usr/local/bin/velociraptor_client, the config in
 * /etc/velociraptor 0600, the velociraptor_client unit; the identity in /etc/velociraptor.writeback.yaml),
 * a playbook, and an inventory of the hosts given. The client config is the agent config of the push
 * (agentConfig); the binary is the verified release file, copied beside the role and checked by sha256
 * on each host. Nothing secret is written: become passwords come from Ansible's own prompts or vault.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { AppError } from '../../../../shared/errors';
import type { PushHost } from '../../../../shared/agents';
import { linuxClientUnit, linuxLayout } from './layout';

export interface AnsibleKitInput {
  /** The agent config (agentConfig(...).yaml). */
  configYaml: string;
  /** The verified Linux client binary. */
  binaryPath: string;
  hosts: readonly PushHost[];
  /** The SSH user Ansible logs in as (become: sudo). */
  user: string;
  /** Where the kit goes (created). */
  dir: string;
  /** Tests: the install root on each host ('' on real hosts). */
  root?: string;
}

export interface AnsibleKit {
  playbook: string;
  inventory: string;
  files: string[];
  binarySha256: string;
}

const ROLE = 'velociraptor_agent';

export async function writeAnsibleKit(k: AnsibleKitInput): Promise<AnsibleKit> {
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/.test(k.user))
    throw new AppError('INVALID_ARGUMENT', `"${k.user}" is not a user name Ansible can log in as.`);
  const role = join(k.dir, 'roles', ROLE);
  for (const d of ['tasks', 'handlers', 'files', 'templates', 'defaults'])
    await mkdir(join(role, d), { recursive: true });
  const layout = linuxLayout('ansible', k.root ?? '');
  const binarySha256 = createHash('sha256')
    .update(await readFile(k.binaryPath))
    .digest('hex');
  await copyFile(k.binaryPath, join(role, 'files', 'velociraptor_client'));
  await writeFile(join(role, 'files', 'client.config.yaml'), k.configYaml, { mode: 0o600 });
  await writeFile(join(role, 'files', 'velociraptor_client.service'), linuxClientUnit(layout, 'ansible'));
  const yaml = (v: unknown) => `---\n${stringify(v, { lineWidth: 0 })}`;
  await writeFile(
    join(role, 'defaults', 'main.yml'),
    yaml({
      velociraptor_binary: layout.binary,
      velociraptor_config_dir: layout.configDir,
      velociraptor_config: layout.config,
      velociraptor_unit_dir: layout.unitDir,
      velociraptor_binary_sha256: binarySha256,
      velociraptor_manage_service: true,
    }),
  );
  await writeFile(
    join(role, 'tasks', 'main.yml'),
    yaml([
      {
        name: 'Velociraptor client binary',
        'ansible.builtin.copy': {
          src: 'velociraptor_client',
          dest: '{{ velociraptor_binary }}',
          owner: 'root',
          group: 'root',
          mode: '0755',
        },
        notify: 'restart velociraptor_client',
      },
      {
        name: 'Velociraptor client binary is the verified release',
        'ansible.builtin.stat': { path: '{{ velociraptor_binary }}', checksum_algorithm: 'sha256' },
        register: 'velociraptor_binary_stat',
      },
      {
        name: 'Velociraptor client binary sha256',
        'ansible.builtin.assert': {
          that: ['velociraptor_binary_stat.stat.checksum == velociraptor_binary_sha256'],
          fail_msg: 'The binary on the host is not the verified release.',
        },
      },
      {
        name: 'Velociraptor config folder',
        'ansible.builtin.file': {
          path: '{{ velociraptor_config_dir }}',
          state: 'directory',
          owner: 'root',
          group: 'root',
          mode: '0700',
        },
      },
      {
        name: 'Velociraptor client config (root only)',
        'ansible.builtin.copy': {
          src: 'client.config.yaml',
          dest: '{{ velociraptor_config }}',
          owner: 'root',
          group: 'root',
          mode: '0600',
        },
        notify: 'restart velociraptor_client',
      },
      {
        name: 'velociraptor_client unit',
        'ansible.builtin.copy': {
          src: 'velociraptor_client.service',
          dest: '{{ velociraptor_unit_dir }}/velociraptor_client.service',
          owner: 'root',
          group: 'root',
          mode: '0644',
        },
        notify: 'restart velociraptor_client',
      },
      {
        name: 'velociraptor_client enabled and running',
        'ansible.builtin.systemd_service': {
          name: 'velociraptor_client',
          enabled: true,
          state: 'started',
          daemon_reload: true,
        },
        when: 'velociraptor_manage_service | bool',
        tags: ['service'],
      },
    ]),
  );
  await writeFile(
    join(role, 'handlers', 'main.yml'),
    yaml([
      {
        name: 'restart velociraptor_client',
        'ansible.builtin.systemd_service': {
          name: 'velociraptor_client',
          state: 'restarted',
          daemon_reload: true,
        },
        when: 'velociraptor_manage_service | bool',
      },
    ]),
  );
  const playbook = join(k.dir, 'site.yml');
  await writeFile(
    playbook,
    yaml([{ name: 'Velociraptor agents', hosts: 'velociraptor_agents', become: true, roles: [ROLE] }]),
  );
  const inventory = join(k.dir, 'inventory.ini');
  await writeFile(
    inventory,
    [
      '[velociraptor_agents]',
      ...k.hosts.map((h) => `${h.host.includes(':') ? `[${h.host}]` : h.host} ansible_port=${h.port ?? 22}`),
      '',
      '[velociraptor_agents:vars]',
      `ansible_user=${k.user}`,
      '',
    ].join('\n'),
  );
  return {
    playbook,
    inventory,
    binarySha256,
    files: [
      'site.yml',
      'inventory.ini',
      ...[
        'tasks/main.yml',
        'handlers/main.yml',
        'defaults/main.yml',
        'files/velociraptor_client',
        'files/client.config.yaml',
        'files/velociraptor_client.service',
      ].map((f) => `roles/${ROLE}/${f}`),
    ],
  };
}
