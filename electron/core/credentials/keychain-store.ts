/**
 * SecretStore over the OS keychain (@napi-rs/keyring's AsyncEntry: macOS Keychain, Windows Credential
 * Manager, Secret Service). One keychain entry per secret under the service name below, account =
 * the reference. Every call is bounded by a timeout: a locked keyring may wait forever for an unlock
 * prompt, and the main process must get KEYCHAIN_LOCKED instead of hanging.
 *
 * On Linux the entry is pinned to the Secret Service: the library's default silently falls back to
 * the kernel keyring, which loses everything at logout — a silent downgrade we refuse. The native
 * calls run on a worker thread (keychain-worker.ts explains why).
 */
import { AppError } from '../../../shared/errors';
import { backendName } from './keychain-probe';
import { keychainError, keychainTimeout } from './keychain-errors';
import { WorkerKeychainBackend } from './keychain-worker';
import { SECRET_REF_PATTERN, type EnumerableSecretStore, type SecretRef } from './secret-store';

export const KEYCHAIN_SERVICE = 'megaraptor-desktop';

/** The subset of AsyncEntry we use (injectable so unit tests can simulate hangs and failures). */
export interface KeychainEntry {
  setPassword(password: string, signal?: AbortSignal): Promise<void>;
  getPassword(signal?: AbortSignal): Promise<string | null>;
  deletePassword(signal?: AbortSignal): Promise<boolean>;
}

export interface KeychainBackend {
  entry(service: string, account: string): Promise<KeychainEntry>;
  /** Accounts stored under `service`. The library returns the secrets too; we drop them at once. */
  accounts(service: string, signal?: AbortSignal): Promise<string[]>;
  /** Called when an operation timed out: drop whatever is stuck (the worker backend restarts its thread). */
  reset?(): void;
}

export interface KeychainStoreOptions {
  backend?: KeychainBackend;
  service?: string;
  /** Per operation; default 5 s. */
  timeoutMs?: number;
  platform?: NodeJS.Platform;
}

export class KeychainSecretStore implements EnumerableSecretStore {
  readonly backend: string;
  private readonly impl: KeychainBackend;
  private readonly service: string;
  private readonly timeoutMs: number;

  constructor(options: KeychainStoreOptions = {}) {
    this.impl = options.backend ?? new WorkerKeychainBackend();
    this.service = options.service ?? KEYCHAIN_SERVICE;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.backend = backendName(options.platform ?? process.platform);
  }

  get(ref: SecretRef): Promise<string | undefined> {
    return this.run('read', ref, async (entry, signal) => (await entry.getPassword(signal)) ?? undefined);
  }

  set(ref: SecretRef, value: string): Promise<void> {
    return this.run('store', ref, (entry, signal) => entry.setPassword(value, signal));
  }

  async delete(ref: SecretRef): Promise<void> {
    await this.run('delete', ref, (entry, signal) => entry.deletePassword(signal));
  }

  listRefs(): Promise<SecretRef[]> {
    return this.bounded('list', (signal) => this.impl.accounts(this.service, signal));
  }

  private run<T>(
    operation: string,
    ref: SecretRef,
    fn: (entry: KeychainEntry, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (!SECRET_REF_PATTERN.test(ref)) {
      return Promise.reject(
        new AppError(
          'INVALID_ARGUMENT',
          'A secret reference may only hold letters, digits and . _ : - (1–200 characters).',
        ),
      );
    }
    return this.bounded(operation, async (signal) => fn(await this.impl.entry(this.service, ref), signal));
  }

  /** Races the operation against the timeout; aborts the native call when the timer wins. */
  private async bounded<T>(operation: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        this.impl.reset?.();
        reject(keychainTimeout(operation, this.backend, this.timeoutMs));
      }, this.timeoutMs);
    });
    const attempt = (async () => {
      try {
        return await fn(controller.signal);
      } catch (e) {
        throw e instanceof AppError ? e : keychainError(e, operation, this.backend);
      }
    })();
    // The loser of the race must not surface as an unhandled rejection.
    attempt.catch(() => undefined);
    try {
      return await Promise.race([attempt, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
