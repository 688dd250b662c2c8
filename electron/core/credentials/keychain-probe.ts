/**
 * Answers "is there an OS keychain we can store secrets in?" by really writing, reading and deleting
 * a probe entry. A library load or a D-Bus session can be present and still useless (locked
 * keyring, no Secret Service), so only a round trip is a trustworthy answer.
 *
 * @napi-rs/keyring is imported lazily: the CLI bundle keeps it external and must start without it.
 */
import { randomBytes } from 'node:crypto';
import { messageOf } from '../../../shared/errors';

export interface KeychainStatus {
  available: boolean;
  backend: string;
  /** Why it is not available, in words a responder can act on. */
  detail?: string;
}

/** The subset of @napi-rs/keyring's AsyncEntry the probe uses (injectable for tests). */
export interface ProbeEntry {
  setPassword(password: string, signal?: AbortSignal): Promise<void>;
  getPassword(signal?: AbortSignal): Promise<string | null>;
  deletePassword(signal?: AbortSignal): Promise<boolean>;
}

export type ProbeEntryFactory = (service: string, account: string) => Promise<ProbeEntry>;

export const PROBE_SERVICE = 'megaraptor-desktop-probe';

export function backendName(platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return 'macOS Keychain';
  if (platform === 'win32') return 'Windows Credential Manager';
  return 'Secret Service';
}

/** The real factory: loads @napi-rs/keyring on first use; on Linux pins the Secret Service store. */
export const napiEntryFactory: ProbeEntryFactory = async (service, account) => {
  const mod = await import('@napi-rs/keyring');
  const options = process.platform === 'linux' ? { linux: { store: 'secret-service' as const } } : undefined;
  return new mod.AsyncEntry(service, account, options);
};

function adviceFor(message: string, platform: NodeJS.Platform): string {
  if (/cannot find (module|package)/i.test(message)) {
    return `The keychain library could not be loaded (${message}). Reinstall the app or run \`npm install\`.`;
  }
  if (platform === 'linux' && /platform storage|dbus|d-bus|secret service|AccessDenied/i.test(message)) {
    return (
      `No Secret Service answered (${message}). Start a desktop session with a keyring ` +
      '(GNOME Keyring or KWallet), or run inside `dbus-run-session` with `gnome-keyring-daemon --unlock`.'
    );
  }
  return `The ${backendName(platform)} refused the probe: ${message}`;
}

/**
 * Round-trips a random probe secret. Never throws: any failure (including a timeout, e.g. a
 * keyring waiting for an unlock prompt nobody answers) becomes `{available: false, detail}`.
 */
export async function probeKeychain(
  options: { factory?: ProbeEntryFactory; timeoutMs?: number; platform?: NodeJS.Platform } = {},
): Promise<KeychainStatus> {
  const platform = options.platform ?? process.platform;
  const backend = backendName(platform);
  const factory = options.factory ?? napiEntryFactory;
  const timeoutMs = options.timeoutMs ?? 3000;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs} ms (is the keyring locked?)`));
    }, timeoutMs);
  });
  const roundTrip = async (): Promise<KeychainStatus> => {
    const account = `probe-${randomBytes(6).toString('hex')}`;
    const secret = randomBytes(12).toString('hex');
    const entry = await factory(PROBE_SERVICE, account);
    await entry.setPassword(secret, controller.signal);
    try {
      const back = await entry.getPassword(controller.signal);
      if (back !== secret) {
        return {
          available: false,
          backend,
          detail: `The ${backend} stored the probe secret but returned something else.`,
        };
      }
    } finally {
      await entry.deletePassword(controller.signal).catch(() => false);
    }
    return { available: true, backend };
  };
  try {
    return await Promise.race([roundTrip(), timeout]);
  } catch (e) {
    const message = messageOf(e);
    return { available: false, backend, detail: adviceFor(message, platform) };
  } finally {
    clearTimeout(timer);
  }
}
