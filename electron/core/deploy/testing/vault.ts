/**
 * The crash tests' secret store: a real file vault (it survives a SIGKILL like keychain entries do),
 * with cheap scrypt parameters so each child opens it quickly — and never upgrades them: a child that
 * re-keyed the shared file would lock the parent and the next children out of it.
 */
import { FileVaultSecretStore } from '../../credentials/file-vault';

export async function openVault(path: string, passphrase: string): Promise<FileVaultSecretStore> {
  const fast = { N: 2 ** 10, r: 8, p: 1 };
  return (await FileVaultSecretStore.exists(path))
    ? FileVaultSecretStore.open(path, passphrase, { upgrade: false })
    : FileVaultSecretStore.create(path, passphrase, fast);
}
