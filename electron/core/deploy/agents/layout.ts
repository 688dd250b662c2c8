/**
 * Where an agent lives on a host. Linux follows upstream's client package (`debian client` / `rpm
 * client`, VR vql/tools/packaging): binary /usr/local/bin/velociraptor_client, config
 * /etc/velociraptor/client.config.yaml, unit velociraptor_client.service running `… client --quiet`,
 * identity in /etc/velociraptor.writeback.yaml — so an operator finds a pushed agent where a package
 * would have put it, and a later package upgrade replaces it cleanly. macOS follows Velociraptor's own
 * `service install` (VR bin/installer_darwin.go): the binary at Client.darwin_installer.install_path
 * (/usr/local/bin/velociraptor), its config beside it (`….config.yaml`), the launchd job
 * com.velocidex.velociraptor in /Library/LaunchDaemons. Everything sits under `root` ('' on a real
 * host; the tests give each sshd host a folder of its own).
 */
import { posix } from 'node:path';
import { AppError } from '../../../../shared/errors';
import { isSafeAbsolutePath } from '../ssh/shell';
import { execLine, renderUnit } from '../ssh/systemd-unit';
import { DEFAULT_DARWIN_INSTALLER } from './client-config';

export const LINUX_CLIENT_UNIT = 'velociraptor_client.service';
export const DARWIN_LABEL = DEFAULT_DARWIN_INSTALLER.service_name;

function under(root: string, path: string): string {
  const full = root ? posix.join(root, path) : path;
  if (!isSafeAbsolutePath(full))
    throw new AppError('INVALID_ARGUMENT', `"${full}" is not a plain absolute path.`);
  return full;
}

function checkRoot(root: string): string {
  if (root && !isSafeAbsolutePath(root))
    throw new AppError('INVALID_ARGUMENT', `The install root "${root}" is not a plain absolute path.`);
  return root;
}

export interface LinuxAgentLayout {
  root: string;
  binary: string;
  configDir: string;
  config: string;
  writeback: string;
  unitDir: string;
  unit: string;
  /** The login user's upload folder for this run (removed after the install). */
  staging: string;
}

export function linuxLayout(runId: string, root = ''): LinuxAgentLayout {
  checkRoot(root);
  return {
    root,
    binary: under(root, '/usr/local/bin/velociraptor_client'),
    configDir: under(root, '/etc/velociraptor'),
    config: under(root, '/etc/velociraptor/client.config.yaml'),
    writeback: under(root, '/etc/velociraptor.writeback.yaml'),
    unitDir: under(root, '/etc/systemd/system'),
    unit: LINUX_CLIENT_UNIT,
    staging: under(root, `/var/tmp/megaraptor-agent-${runId}`),
  };
}

export interface DarwinAgentLayout {
  root: string;
  /** Where `service install` copies the binary (Client.darwin_installer.install_path). */
  binary: string;
  /** Where it copies the config: the binary's path without extension + `.config.yaml`. */
  config: string;
  writeback: string;
  label: string;
  plist: string;
  staging: string;
}

export function darwinLayout(runId: string, root = ''): DarwinAgentLayout {
  checkRoot(root);
  const binary = under(root, DEFAULT_DARWIN_INSTALLER.install_path);
  return {
    root,
    binary,
    config: `${binary.slice(0, binary.length - posix.extname(binary).length)}.config.yaml`,
    writeback: under(root, '/etc/velociraptor.writeback.yaml'),
    label: DARWIN_LABEL,
    plist: under(root, `/Library/LaunchDaemons/${DARWIN_LABEL}.plist`),
    staging: under(root, `/var/tmp/megaraptor-agent-${runId}`),
  };
}

/** Upstream's client unit (TestDEBClient.golden), paths from the layout. */
export function linuxClientUnit(layout: LinuxAgentLayout, runId: string): string {
  return renderUnit(
    [
      [
        'Unit',
        [
          ['Description', 'Velociraptor client'],
          ['After', 'syslog.target network.target'],
        ],
      ],
      [
        'Service',
        [
          ['Type', 'simple'],
          ['Restart', 'always'],
          ['RestartSec', '120'],
          ['LimitNOFILE', '20000'],
          ['Environment', 'LANG=en_US.UTF-8'],
          ['ExecStart', execLine([layout.binary, '--config', layout.config, 'client', '--quiet'])],
        ],
      ],
      ['Install', [['WantedBy', 'multi-user.target']]],
    ],
    `Installed by Megaraptor Desktop (agent push ${runId}) in the layout of Velociraptor's client package.`,
  );
}
