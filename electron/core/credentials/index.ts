/**
 * Public API of the credentials domain. The composition root builds one CredentialService with
 * `createCredentialService(dataDir)` and spreads `credentialHandlers(service)` into its handlers;
 * other core services take a `SecretStore` (the keychain store, or `service.store`).
 */
import { join } from 'node:path';
import { probeKeychain, type KeychainStatus } from './keychain-probe';
import { CredentialService } from './credential-service';
import { KeychainSecretStore } from './keychain-store';

export { CredentialService, type AddCredentialInput, type ListInput } from './credential-service';
export { credentialHandlers } from './handlers';
export { KeychainSecretStore, KEYCHAIN_SERVICE, type KeychainBackend } from './keychain-store';
export { FileVaultSecretStore } from './file-vault';
export { CredentialIndex } from './metadata-index';
export { withFileLock } from './file-lock';
export { writeFileAtomic } from './atomic-file';
export type { SecretStore, EnumerableSecretStore, SecretRef } from './secret-store';

/** The production wiring: index and vault in the app-data folder, the OS keychain, the real probe. */
export function createCredentialService(
  dataDir: string,
  options: { clock?: () => Date; probe?: () => Promise<KeychainStatus> } = {},
): CredentialService {
  return new CredentialService({
    indexPath: join(dataDir, 'credentials.json'),
    vaultPath: join(dataDir, 'credentials-vault.json'),
    keychain: new KeychainSecretStore(),
    probe: options.probe ?? (() => probeKeychain()),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
