/**
 * The WinRM listener certificates the responder confirmed, one pin (the certificate's SHA-256
 * fingerprint) per host:port — WinRM's counterpart of the app's SSH known_hosts, kept beside it in the
 * data folder and written the same way: `|1|salt|hmac-sha1 x509-sha256 BASE64` lines with hashed host
 * names (so the file does not list the hosts a responder works on), atomic writes, one writer at a
 * time. A pin is added only for a host that has none; a different certificate for a pinned host is a
 * change, never replaced here — the responder forgets the old pin first, on purpose.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../../files/index';
import { hashedHostName, hostToken, parseKnownHosts, patternsMatch } from '../../ssh/known-hosts';
import { normalizeFingerprint } from './client';

const KEY_TYPE = 'x509-sha256';

/** Where the app keeps the WinRM certificates the responder confirmed (beside `ssh/known_hosts`). */
export function appWinRmCertsFile(dataDir: string): string {
  return join(dataDir, 'winrm', 'known_certificates');
}

/** known: the pin; new: nothing pinned for host:port; changed: another certificate is pinned. */
export type PinStatus =
  { status: 'known'; pinned: string } | { status: 'new' } | { status: 'changed'; pinned: string };

async function readIfPresent(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

function pinOf(blob: Buffer): string | undefined {
  return blob.length === 32 ? normalizeFingerprint(blob.toString('hex')) : undefined;
}

export class WinRmCertStore {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** The fingerprint pinned for host:port (`AA:BB:…`), if any. */
  async pinned(host: string, port: number): Promise<string | undefined> {
    for (const l of parseKnownHosts(await readIfPresent(this.file)))
      if (l.keyType === KEY_TYPE && patternsMatch(l.patterns, host, port)) {
        const pin = pinOf(l.blob);
        if (pin) return pin;
      }
    return undefined;
  }

  /** Whether `fingerprint` is the one pinned for host:port, a first sight, or a change. */
  async status(host: string, port: number, fingerprint: string): Promise<PinStatus> {
    const pinned = await this.pinned(host, port);
    if (!pinned) return { status: 'new' };
    return pinned === normalizeFingerprint(fingerprint)
      ? { status: 'known', pinned }
      : { status: 'changed', pinned };
  }

  /**
   * Pins `fingerprint` for host:port when nothing is pinned there; true when it is pinned now (also
   * when it already was). A different pin stays and false is answered: a change is never recorded here.
   */
  async remember(host: string, port: number, fingerprint: string): Promise<boolean> {
    const fp = normalizeFingerprint(fingerprint);
    let pinnedNow = false;
    await this.edit(async (text) => {
      const current = await this.pinned(host, port);
      pinnedNow = current === fp;
      if (current) return text;
      pinnedNow = true;
      const line = `${hashedHostName(hostToken(host, port))} ${KEY_TYPE} ${Buffer.from(fp.replace(/:/g, ''), 'hex').toString('base64')}`;
      return `${text}${text && !text.endsWith('\n') ? '\n' : ''}${line}\n`;
    });
    return pinnedNow;
  }

  /** Forgets the pin of host:port (the responder confirmed the listener's certificate was replaced). */
  forget(host: string, port: number): Promise<void> {
    return this.edit((text) =>
      Promise.resolve(
        text
          .split('\n')
          .filter((line) => {
            const parsed = parseKnownHosts(line)[0];
            return !(parsed && patternsMatch(parsed.patterns, host, port));
          })
          .join('\n'),
      ),
    );
  }

  private edit(change: (text: string) => Promise<string>): Promise<void> {
    const run = async (): Promise<void> => {
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      const before = await readIfPresent(this.file);
      const after = await change(before);
      if (after !== before) await writeFileAtomic(this.file, after, 0o600);
    };
    const p = this.queue.then(run);
    this.queue = p.catch(() => undefined);
    return p;
  }
}
