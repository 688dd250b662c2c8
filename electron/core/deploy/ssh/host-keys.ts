/**
 * Host-key checking for every SSH connection the app makes (never "accept anything", the old tool's
 * AutoAddPolicy): the presented key must be listed for that host in the responder's own known_hosts
 * files (read only) or in the app's file of keys the responder confirmed. A key never seen before is
 * put to the responder once (the `confirm` callback, or the caller's own prompt after an
 * SSH_HOST_KEY_UNKNOWN error that carries the fingerprint) and then remembered; a key that differs
 * from a known one is refused, whatever the callback would say.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { AppError } from '../../../../shared/errors';
import { writeFileAtomic } from '../../files/index';
import {
  blobKeyType,
  fingerprintOf,
  hostToken,
  keysFor,
  knownHostsLine,
  parseKnownHosts,
  patternsMatch,
  type KnownKey,
} from './known-hosts';

export interface PresentedHostKey {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  blob: Buffer;
}

/** Asks the responder whether to trust a key seen for the first time; true = trust and remember. */
export type ConfirmHostKey = (key: Omit<PresentedHostKey, 'blob'>) => Promise<boolean>;

export interface HostKeyStoreOptions {
  /** The app's own known_hosts file (keys the responder confirmed), written in OpenSSH's format. */
  appFile: string;
  /** Read-only files also trusted; default ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts. */
  userFiles?: string[];
  confirm?: ConfirmHostKey;
}

export function defaultUserKnownHosts(): string[] {
  return [join(homedir(), '.ssh', 'known_hosts'), '/etc/ssh/ssh_known_hosts'];
}

async function readIfPresent(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

export class HostKeyStore {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: HostKeyStoreOptions) {}

  get appFile(): string {
    return this.options.appFile;
  }

  private async known(host: string, port: number): Promise<KnownKey[]> {
    const files = [...(this.options.userFiles ?? defaultUserKnownHosts()), this.options.appFile];
    const out: KnownKey[] = [];
    for (const f of files) out.push(...keysFor(await readIfPresent(f), f, host, port));
    return out;
  }

  /** Key types listed for the host, so the handshake asks for one of those first (as OpenSSH does). */
  async knownKeyTypes(host: string, port: number): Promise<string[]> {
    return [...new Set((await this.known(host, port)).filter((k) => !k.revoked).map((k) => k.keyType))];
  }

  /**
   * Accepts the key, or throws SSH_HOST_KEY_MISMATCH (a different key is known: refused outright),
   * SSH_HOST_KEY_UNKNOWN (never seen and not confirmed; details carry the fingerprint to show).
   */
  async verify(host: string, port: number, blob: Buffer, confirm = this.options.confirm): Promise<void> {
    const presented: PresentedHostKey = {
      host,
      port,
      keyType: blobKeyType(blob),
      fingerprint: fingerprintOf(blob),
      blob,
    };
    const known = await this.known(host, port);
    const revoked = known.find((k) => k.revoked && k.blob.equals(blob));
    if (revoked)
      throw new AppError(
        'SSH_HOST_KEY_MISMATCH',
        `The host key of ${hostToken(host, port)} (${presented.fingerprint}) is marked revoked in ${revoked.source}, line ${revoked.line}. The connection was refused.`,
        {
          details: {
            host,
            port,
            fingerprint: presented.fingerprint,
            source: revoked.source,
            line: revoked.line,
          },
        },
      );
    const trusted = known.filter((k) => !k.revoked);
    if (trusted.some((k) => k.blob.equals(blob))) return;
    if (trusted.length) {
      // A key is known for this host and this is not it (whatever its type): a changed host key.
      const old = trusted[0]!;
      throw new AppError(
        'SSH_HOST_KEY_MISMATCH',
        `The host key of ${hostToken(host, port)} changed: it is now ${presented.keyType} ${presented.fingerprint}, but ${old.source} (line ${old.line}) lists ${old.keyType} ${fingerprintOf(old.blob)}. Someone may be intercepting the connection, or the host was reinstalled. Nothing was done on it. If you know it was reinstalled, remove the old key from that file (ssh-keygen -R '${hostToken(host, port)}' -f ${old.source}) and confirm the new one.`,
        {
          details: {
            host,
            port,
            presented: { keyType: presented.keyType, fingerprint: presented.fingerprint },
            known: trusted.map((k) => ({
              keyType: k.keyType,
              fingerprint: fingerprintOf(k.blob),
              source: k.source,
              line: k.line,
            })),
          },
        },
      );
    }
    const view = { host, port, keyType: presented.keyType, fingerprint: presented.fingerprint };
    if (confirm && (await confirm(view))) {
      await this.remember(host, port, blob);
      return;
    }
    throw new AppError(
      'SSH_HOST_KEY_UNKNOWN',
      `${hostToken(host, port)} presented a host key never seen before: ${presented.keyType} ${presented.fingerprint}. Compare it with the key on the host (ssh-keygen -lf /etc/ssh/ssh_host_${presented.keyType.replace(/^ssh-|-.*$/g, '')}_key.pub) and confirm it to continue.`,
      { details: view },
    );
  }

  /** Trusts a key the responder confirmed (appended to the app's file, hashed). */
  remember(host: string, port: number, blob: Buffer): Promise<void> {
    return this.edit(
      (text) => `${text}${text && !text.endsWith('\n') ? '\n' : ''}${knownHostsLine(host, port, blob)}\n`,
    );
  }

  /** Forgets what the app's file remembers for a host (the responder confirmed a reinstall). */
  forget(host: string, port: number): Promise<void> {
    return this.edit((text) =>
      text
        .split('\n')
        .filter((line) => {
          const parsed = parseKnownHosts(line)[0];
          return !(parsed && patternsMatch(parsed.patterns, host, port));
        })
        .join('\n'),
    );
  }

  private edit(change: (text: string) => string): Promise<void> {
    const run = async (): Promise<void> => {
      const path = this.options.appFile;
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(path, change(await readIfPresent(path)), 0o600);
    };
    const p = this.queue.then(run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
