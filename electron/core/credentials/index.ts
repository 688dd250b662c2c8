/**
 * Public API of the credentials domain. The composition root builds one CredentialService with
 * `createCredentialService(dataDir)` and spreads `credentialHandlers(service)` into its handlers;
 * other core services take a `SecretStore` (the keychain store, or `service.store`).
 */
import { join } from 'node:path';
import { probeKeychain, type KeychainStatus } from './keychain-probe';
import { CredentialService } from './credential-service';
import { KeychainSecretStore, type KeychainBackend } from './keychain-store';
import { keychainServiceFor } from './keychain-namespace';

export {
  CredentialService,
  type AddCredentialInput,
  type ListInput,
  type RegisterInput,
} from './credential-service';
export { credentialHandlers } from './handlers';
export { probeKeychain, type KeychainStatus } from './keychain-probe';
export { KeychainSecretStore, KEYCHAIN_SERVICE, type KeychainBackend } from './keychain-store';
export { FileVaultSecretStore } from './file-vault';
export { keychainServiceFor, LEGACY_KEYCHAIN_SERVICE } from './keychain-namespace';
export { CredentialIndex } from './metadata-index';
export { withFileLock } from './file-lock';
export type { SecretStore, EnumerableSecretStore, SecretRef } from './secret-store';
export { SECRET_REF_PATTERN } from './secret-store';
export { MemorySecretStore } from './memory-store';
export { KeychainOrMemory } from './keychain-or-memory';

/**
 * The OS keychain store of `dataDir`: every secret the app writes lands under that data folder's
 * own service name (keychain-namespace.ts), so the app and the CLI must both build it here.
 */
export function keychainStoreFor(
  dataDir: string,
  options: { backend?: KeychainBackend } = {},
): KeychainSecretStore {
  return new KeychainSecretStore({
    service: keychainServiceFor(dataDir),
    ...(options.backend ? { backend: options.backend } : {}),
  });
}

/** The production wiring: index and vault in the app-data folder, the OS keychain, the real probe. */
export function createCredentialService(
  dataDir: string,
  options: { clock?: () => Date; probe?: () => Promise<KeychainStatus>; backend?: KeychainBackend } = {},
): CredentialService {
  return new CredentialService({
    indexPath: join(dataDir, 'credentials.json'),
    vaultPath: join(dataDir, 'credentials-vault.json'),
    keychain: keychainStoreFor(dataDir, options.backend ? { backend: options.backend } : {}),
    probe: options.probe ?? (() => probeKeychain()),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
