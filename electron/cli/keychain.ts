import type { SecretStore } from '../core/credentials/index';

/**
 * The OS keychain for a command, under the data folder's namespace (as the app wrote it): opened
 * on first use through the worker backend (null when there is none), and `close` ends that worker
 * — once a Secret Service call ran it holds the process open at exit.
 */
export function lazyKeychain(dataDir: string): {
  open: () => Promise<SecretStore | null>;
  close: () => void;
} {
  let backend: { reset(): void } | undefined;
  let keychain: Promise<SecretStore | null> | undefined;
  return {
    open: () =>
      (keychain ??= (async () => {
        const { keychainStoreFor } = await import('../core/credentials/index');
        const { WorkerKeychainBackend } = await import('../core/credentials/keychain-worker');
        const worker = new WorkerKeychainBackend();
        backend = worker;
        return keychainStoreFor(dataDir, { backend: worker });
      })().catch(() => null)),
    close: () => backend?.reset(),
  };
}
