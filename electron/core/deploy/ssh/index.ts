/**
 * The SSH layer every SSH consumer uses (the server deployer, agent pushes, tunnels for cloud hosts):
 * targets without secrets, checked host keys, key/agent/password logins, jump hosts, sudo, commands
 * with exit codes and bounded output, SFTP uploads, port forwards, platform detection, system users,
 * root-owned files and a service-manager interface.
 */
export { SshTarget, SshHop, SshAuth, SudoPolicy, describeHop, targetScope } from './target';
export type { SshTargetInput } from './target';
export { HostKeyStore, defaultUserKnownHosts } from './host-keys';
export type { ConfirmHostKey, PresentedHostKey, HostKeyStoreOptions } from './host-keys';
export { fingerprintOf, knownHostsLine, parseKnownHosts } from './known-hosts';
export { openSsh, probeHostKey, type SshDeps } from './connect';
export { checkHostKey, trustHostKey, type HostKeyCheckOptions } from './host-key-check';
export { SshConnection, type ExecOptions, type ExecResult, type UploadProgress } from './connection';
export { SshPool } from './pool';
export { quote, sh, isSafeAbsolutePath } from './shell';
export {
  detectPlatform,
  freeDiskBytes,
  listeningSockets,
  type RemotePlatform,
  type RemoteArch,
} from './platform';
export { RemoteFiles, assertRemovable, type Ownership, type UploadSource } from './remote-files';
export { createSystemUser, removeSystemUser, userExists, groupExists } from './accounts';
export {
  SystemdServiceManager,
  systemdServices,
  type ServiceManager,
  type ServiceManagerFactory,
  type ServiceStatus,
  type UnitHost,
} from './services';
export { renderUnit, execLine, parseUnit, unitValue, onCalendarAt, type UnitSections } from './systemd-unit';
