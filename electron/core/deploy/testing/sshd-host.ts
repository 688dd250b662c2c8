/**
 * A real OpenSSH sshd standing in for one remote host, on its own loopback port (test-recipes.md):
 * own config, host key and authorized_keys in a temp folder, `UsePAM no`, `StrictModes no`.
 *
 * Each host runs in a private mount namespace (unshare --mount) in which a copy of this machine's
 * /etc is bind-mounted over /etc. So the host has users of its own — `deployer` (sudo with a
 * password), `nopass` (NOPASSWD sudo), `nosudo` — and the product's `useradd velociraptor`, `sudo`,
 * `chown` and `userdel` really run there, yet never touch this machine's accounts. Its files go
 * under `prefix` (the deployment's install root), and every process its sessions start lives in the
 * same namespace, so stop() can find and end them all. Needs root (CI runs as root).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { allOf, files, onPath, RealPart } from '../../../../test/real-parts';
import { parseKnownHosts } from '../ssh/known-hosts';
import { freePort } from './free-port';

const run = promisify(execFile);

export const TEST_PASSWORDS = {
  deployer: 'deployer-sudo-pw-4711',
  nopass: 'nopass-pw-4712',
  nosudo: 'nosudo-pw-4713',
} as const;

export interface SshdHostOptions {
  /** Allow password logins (PasswordAuthentication yes). */
  passwordAuth?: boolean;
  /** Size of a small tmpfs mounted at `${prefix}/small` (the "disk full" tests). */
  smallFsBytes?: number;
  /** sshd LogLevel (VERBOSE / DEBUG1 show forwarded connections). */
  logLevel?: string;
  /** Client keys that may log in (public key lines); default the shared test keys. */
  authorizedKeys?: string[];
  /** A host name of its own (a private UTS namespace), as the agent on it reports it. */
  hostname?: string;
  /**
   * Shell lines run as root inside the host's namespaces before sshd starts (e.g. bind-mount a fake
   * `uname` so the host presents itself as another system). They change only this host's view.
   */
  setupLines?: string[];
}

export interface SshdHost {
  host: string;
  port: number;
  /** The host's temp folder. */
  dir: string;
  /** Its install root: the deployment puts /etc, /usr/local, /opt … under it. */
  prefix: string;
  /** The private /etc (passwd, group, shadow, sudoers) as this machine sees it. */
  etc: string;
  hostKeyBlob: Buffer;
  /** sshd's stderr so far. */
  log(): Promise<string>;
  /** Replaces the host key and restarts sshd on the same port (a reinstalled — or spoofed — host). */
  rotateHostKey(): Promise<void>;
  /** Ends sshd and every process its sessions left, then deletes the folder. */
  stop(): Promise<void>;
}

export interface ClientKeys {
  dir: string;
  /** An unencrypted ed25519 key. */
  plain: string;
  /** An ed25519 key encrypted with `passphrase`. */
  encrypted: string;
  passphrase: string;
  /** A key no host accepts. */
  stranger: string;
  publicLines: string[];
  cleanup(): Promise<void>;
}

export async function makeClientKeys(): Promise<ClientKeys> {
  const dir = await mkdtemp(join(tmpdir(), 'megaraptor-ssh-keys-'));
  const passphrase = 'key-passphrase-0815';
  const gen = (file: string, pass: string) =>
    run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', pass, '-C', 'megaraptor-test', '-f', join(dir, file)]);
  await Promise.all([gen('plain', ''), gen('encrypted', passphrase), gen('stranger', '')]);
  const publicLines = await Promise.all(
    ['plain', 'encrypted'].map(async (f) => (await readFile(join(dir, `${f}.pub`), 'utf8')).trim()),
  );
  return {
    dir,
    plain: join(dir, 'plain'),
    encrypted: join(dir, 'encrypted'),
    passphrase,
    stranger: join(dir, 'stranger'),
    publicLines,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Resolves once the port answers with an SSH banner; bounded. */
async function waitForBanner(port: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.setTimeout(1000);
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('SSH-2.0-'));
      });
      s.once('error', () => resolve(false));
      s.once('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * Gives the host system uids/gids of its own (a block derived from its port, unique among running
 * hosts). Hosts share this machine's kernel: with the same uid for `velociraptor` on two hosts, one
 * host's server process makes `userdel` on the other fail ("user is currently used by process").
 */
async function ownSystemIds(loginDefs: string, port: number): Promise<void> {
  const base = 100_000 + port * 8;
  const ids: Record<string, number> = {
    SYS_UID_MIN: base,
    SYS_UID_MAX: base + 7,
    SYS_GID_MIN: base,
    SYS_GID_MAX: base + 7,
  };
  const kept = (await readFile(loginDefs, 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => !Object.keys(ids).some((k) => new RegExp(`^\\s*${k}\\s`).test(line)));
  await writeFile(loginDefs, [...kept, ...Object.entries(ids).map(([k, v]) => `${k} ${v}`), ''].join('\n'));
}

/** Every pid whose mount namespace is `ns` (readlink of /proc/PID/ns/mnt). */
async function pidsInNamespace(ns: string): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const link = await readlink(`/proc/${name}/ns/mnt`).catch(() => null);
    if (link === ns) out.push(Number(name));
  }
  return out;
}

export async function startSshdHost(keys: ClientKeys, options: SshdHostOptions = {}): Promise<SshdHost> {
  const dir = await mkdtemp(join(tmpdir(), 'megaraptor-sshd-'));
  // Other users of the host (velociraptor, deployer) must reach the install root below it.
  await chmod(dir, 0o755);
  const prefix = join(dir, 'fs');
  const etc = join(dir, 'etc');
  await mkdir(join(prefix, 'var', 'tmp'), { recursive: true });
  await chmod(join(prefix, 'var', 'tmp'), 0o1777);
  await mkdir('/run/sshd', { recursive: true });
  await run('cp', ['-a', '/etc', etc]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
  await writeFile(
    join(dir, 'authorized_keys'),
    `${(options.authorizedKeys ?? keys.publicLines).join('\n')}\n`,
    { mode: 0o644 },
  );
  const port = await freePort();
  await ownSystemIds(join(etc, 'login.defs'), port);
  await writeFile(
    join(dir, 'sshd_config'),
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${join(dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      `PasswordAuthentication ${options.passwordAuth ? 'yes' : 'no'}`,
      'KbdInteractiveAuthentication no',
      'AllowTcpForwarding yes',
      `PidFile ${join(dir, 'sshd.pid')}`,
      'Subsystem sftp internal-sftp',
      `LogLevel ${options.logLevel ?? 'INFO'}`,
      '',
    ].join('\n'),
  );
  const sudoers = [
    'Defaults !lecture',
    `deployer ALL=(ALL:ALL) ALL`,
    `nopass ALL=(ALL:ALL) NOPASSWD: ALL`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'sudoers'), sudoers, { mode: 0o440 });
  // Users are made once in the private /etc (it survives a restart of sshd for rotateHostKey).
  await writeFile(
    join(dir, 'users.sh'),
    [
      'set -e',
      ...Object.entries(TEST_PASSWORDS).map(
        ([u, pw]) => `useradd -m -d ${join(dir, `home-${u}`)} -s /bin/sh ${u}\necho '${u}:${pw}' | chpasswd`,
      ),
      `install -m 0440 ${join(dir, 'sudoers')} /etc/sudoers.d/megaraptor-test`,
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'start.sh'),
    [
      'set -e',
      `mount --bind ${etc} /etc`,
      ...(options.smallFsBytes
        ? [
            `mkdir -p ${prefix}/small`,
            `mount -t tmpfs -o size=${options.smallFsBytes},mode=1777 tmpfs ${prefix}/small`,
          ]
        : []),
      `grep -q '^deployer:' /etc/passwd || sh ${join(dir, 'users.sh')}`,
      // A real host finds its own name in /etc/hosts (installers write it). Without it, sudo
      // asks DNS for the name on every call: a lookup that leaves the machine, and a 5 s resolver
      // timeout whenever the resolver drops a burst of them.
      ...(options.hostname
        ? [
            `hostname ${options.hostname}`,
            `grep -q ' ${options.hostname}$' /etc/hosts || echo '127.0.1.1 ${options.hostname}' >> /etc/hosts`,
          ]
        : []),
      ...(options.setupLines ?? []),
      `exec /usr/sbin/sshd -D -e -f ${join(dir, 'sshd_config')}`,
      '',
    ].join('\n'),
  );
  const logFile = join(dir, 'sshd.log');
  let child: ChildProcess | undefined;
  let ns = '';

  const startDaemon = async (): Promise<void> => {
    const log = createWriteStream(logFile, { flags: 'a' });
    await new Promise<void>((r) => log.once('open', () => r()));
    const namespaces = options.hostname ? ['--uts', '--mount'] : ['--mount'];
    const started = spawn(
      'unshare',
      [...namespaces, '--propagation', 'private', 'sh', join(dir, 'start.sh')],
      {
        stdio: ['ignore', log, log],
      },
    );
    child = started;
    started.once('exit', () => log.end());
    if (!(await waitForBanner(port))) {
      started.kill('SIGKILL');
      throw new Error(
        `sshd did not start on port ${port}:\n${await readFile(logFile, 'utf8').catch(() => '')}`,
      );
    }
    ns = await readlink(`/proc/${started.pid}/ns/mnt`);
  };

  const stopDaemon = async (): Promise<void> => {
    if (!child) return;
    const c = child;
    child = undefined;
    const exited = new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r())));
    for (const pid of await pidsInNamespace(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  };

  const hostKeyBlob = async (): Promise<Buffer> =>
    parseKnownHosts(`x ${(await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).trim()}`)[0]!.blob;

  await startDaemon();
  const host: SshdHost = {
    host: '127.0.0.1',
    port,
    dir,
    prefix,
    etc,
    hostKeyBlob: await hostKeyBlob(),
    log: () => readFile(logFile, 'utf8').catch(() => ''),
    rotateHostKey: async () => {
      await stopDaemon();
      await rm(join(dir, 'host_ed25519'), { force: true });
      await rm(join(dir, 'host_ed25519.pub'), { force: true });
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
      await startDaemon();
      host.hostKeyBlob = await hostKeyBlob();
    },
    stop: async () => {
      await stopDaemon();
      await run('umount', [join(prefix, 'small')]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return host;
}

/**
 * What the sshd test hosts need (required in CI, skipped with the reason elsewhere): root (mount
 * namespaces, other users), OpenSSH's sshd and tools, sudo, util-linux's unshare/setpriv/prlimit.
 */
export function sshdHosts(): RealPart {
  return allOf('sshd test hosts', [
    new RealPart(
      'root',
      process.getuid?.() === 0 ? undefined : 'the hosts run in mount namespaces with users of their own',
    ),
    files('OpenSSH sshd', ['/usr/sbin/sshd'], 'scripts/setup-test-env.sh'),
    onPath(
      ['ssh-keygen', 'ssh-agent', 'ssh-add', 'sudo', 'unshare', 'setpriv', 'prlimit', 'systemd-analyze'],
      'scripts/setup-test-env.sh',
    ),
  ]);
}
