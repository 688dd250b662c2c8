/**
 * Files on a host that root must own: content goes over SFTP only (never a command line or an
 * environment variable) into a staging folder the login user owns (mode 0700, so a config with keys is
 * readable by nobody else meanwhile), then `install` gives it its place, mode and owner as root. The
 * staging folder has a name the caller chooses (a deployment journals it, so a crash mid-upload still
 * leaves a folder clean-up knows). Removals refuse system folders outright.
 */
import { randomBytes } from 'node:crypto';
import { basename, posix } from 'node:path';
import { stat } from 'node:fs/promises';
import { AppError, isAppError } from '../../../../shared/errors';
import type { SshConnection, UploadProgress } from './connection';
import { freeDiskBytesAt } from './platform';
import { isSafeAbsolutePath, sh } from './shell';

export interface Ownership {
  /** Octal mode, e.g. 0o600. */
  mode: number;
  owner?: string;
  group?: string;
}

export type UploadSource = { data: string | Buffer } | { localPath: string };

/** Folders no removal may ever target, wherever a prefix puts the rest. */
const PROTECTED = new Set([
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/etc/systemd',
  '/etc/systemd/system',
  '/home',
  '/lib',
  '/lib64',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/bin',
  '/usr/lib',
  '/usr/local',
  '/usr/local/bin',
  '/usr/local/lib',
  '/usr/sbin',
  '/var',
  '/var/lib',
  '/var/log',
  '/var/tmp',
]);

export function assertRemovable(path: string): void {
  if (!isSafeAbsolutePath(path) || PROTECTED.has(path) || path.split('/').filter(Boolean).length < 2)
    throw new AppError('INVALID_ARGUMENT', `Refusing to remove "${path}": not a path a deployment made.`);
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

function checked(path: string): string {
  if (!isSafeAbsolutePath(path))
    throw new AppError('INVALID_ARGUMENT', `"${path}" is not a plain absolute path.`);
  return path;
}

export class RemoteFiles {
  constructor(
    private readonly conn: SshConnection,
    /** The login user's staging folder for uploads (made 0700 on first use). */
    readonly stagingDir: string,
  ) {
    checked(stagingDir);
  }

  /** Makes the staging folder, or accepts it when it is already the login user's own 0700 folder. */
  async prepareStaging(): Promise<void> {
    const d = sh([this.stagingDir]);
    await this.conn.run(
      `mkdir -p ${sh([posix.dirname(this.stagingDir)])} 2>/dev/null; mkdir -m 0700 ${d} 2>/dev/null || { [ -d ${d} ] && [ ! -L ${d} ] && [ -O ${d} ] && chmod 0700 ${d}; }`,
      { what: `Making the upload folder ${this.stagingDir}` },
    );
  }

  async removeStaging(): Promise<void> {
    assertRemovable(this.stagingDir);
    await this.conn.run(`rm -rf -- ${sh([this.stagingDir])}`, { what: `Removing ${this.stagingDir}` });
  }

  /**
   * Puts `source` at `dest` with `own`: uploaded into the staging folder, then installed as root.
   * Space is checked first; a transfer that fails on a full disk is reported as SSH_NO_SPACE.
   */
  async install(
    source: UploadSource,
    dest: string,
    own: Ownership,
    onProgress?: (p: UploadProgress) => void,
  ): Promise<void> {
    checked(dest);
    const size = 'data' in source ? Buffer.byteLength(source.data) : (await stat(source.localPath)).size;
    await this.ensureSpace(size, [this.stagingDir, posix.dirname(dest)]);
    const staged = `${this.stagingDir}/${basename(dest)}.${randomBytes(4).toString('hex')}`;
    try {
      if ('data' in source) await this.conn.uploadData(source.data, staged, { mode: 0o600 });
      else
        await this.conn.uploadFile(source.localPath, staged, {
          mode: 0o600,
          ...(onProgress ? { onProgress } : {}),
        });
    } catch (e) {
      // Asked before the partial file goes: with it the disk is still as full as the transfer found it.
      const reason = await this.spaceOr(e, size, [this.stagingDir]);
      await this.conn.exec(`rm -f -- ${sh([staged])}`).catch(() => undefined);
      throw reason;
    }
    const argv = ['install', '-m', octal(own.mode)];
    if (own.owner) argv.push('-o', own.owner);
    if (own.group) argv.push('-g', own.group);
    try {
      // The command removes the staged copy whatever install did; only a command that did not run
      // to its end (connection lost, sudo refused) needs another try at it.
      await this.conn.run(`${sh([...argv, staged, dest])}; rc=$?; rm -f -- ${sh([staged])}; exit $rc`, {
        root: true,
        what: `Installing ${dest}`,
      });
    } catch (e) {
      await this.conn.exec(`rm -f -- ${sh([staged])}`).catch(() => undefined);
      throw e;
    }
  }

  /** `install -d`: a folder with its mode and owner (parents made as needed). */
  async mkdir(path: string, own: Ownership): Promise<void> {
    const argv = ['install', '-d', '-m', octal(own.mode)];
    if (own.owner) argv.push('-o', own.owner);
    if (own.group) argv.push('-g', own.group);
    await this.conn.run(sh([...argv, checked(path)]), { root: true, what: `Making the folder ${path}` });
  }

  /** Whether something exists at `path` (checked as root: the parent may be closed to others). */
  async exists(path: string): Promise<boolean> {
    const r = await this.conn.exec(`test -e ${sh([checked(path)])} || test -L ${sh([path])}`, { root: true });
    if (r.code === 0) return true;
    if (r.code === 1) return false;
    throw new AppError(
      'SSH_COMMAND_FAILED',
      `Checking ${path} on ${this.conn.name} failed: ${r.stderr.trim()}`,
    );
  }

  /** Which of `paths` exist (one command, as root). */
  async existing(paths: readonly string[]): Promise<string[]> {
    if (!paths.length) return [];
    const r = await this.conn.run(
      `for p in ${sh(paths.map(checked))}; do if [ -e "$p" ] || [ -L "$p" ]; then printf '%s\\n' "$p"; fi; done`,
      { root: true, what: 'Checking paths' },
    );
    return r.stdout.split('\n').filter((p) => paths.includes(p));
  }

  /** sha256 of a file on the host (sha256sum, or shasum on macOS). */
  async sha256(path: string): Promise<string> {
    const p = sh([checked(path)]);
    const r = await this.conn.run(`(sha256sum ${p} 2>/dev/null || shasum -a 256 ${p}) | cut -d ' ' -f 1`, {
      root: true,
      what: `Hashing ${path}`,
    });
    return r.stdout.trim();
  }

  /** Removes a file (gone already is fine). */
  async remove(path: string): Promise<void> {
    assertRemovable(path);
    await this.conn.run(`rm -f -- ${sh([path])}`, { root: true, what: `Removing ${path}` });
  }

  /** Removes a folder the deployment made, with everything in it, staying on its filesystem. */
  async removeTree(path: string): Promise<void> {
    assertRemovable(path);
    await this.conn.run(`rm -rf --one-file-system -- ${sh([path])}`, {
      root: true,
      what: `Removing ${path}`,
    });
  }

  private async ensureSpace(size: number, dirs: string[]): Promise<void> {
    for (const free of await freeDiskBytesAt(this.conn, dirs)) {
      // A little headroom: filesystems keep blocks for metadata.
      if (free.bytes < size + 64 * 1024)
        throw new AppError(
          'SSH_NO_SPACE',
          `${this.conn.name} has ${Math.floor(free.bytes / 1024)} KiB free at ${free.at}, and ${Math.ceil(size / 1024)} KiB are needed there. Free space on the host and try again.`,
          { details: { host: this.conn.target.host, path: free.at, free: free.bytes, needed: size } },
        );
    }
  }

  private async spaceOr(e: unknown, size: number, dirs: string[]): Promise<unknown> {
    if (!isAppError(e, 'SSH_COMMAND_FAILED')) return e;
    try {
      await this.ensureSpace(size, dirs);
    } catch (full) {
      if (isAppError(full, 'SSH_NO_SPACE')) return full;
    }
    return e;
  }
}
