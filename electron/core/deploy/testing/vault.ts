/**
 * The crash tests' secret store: a real file vault (it survives a SIGKILL like keychain entries do),
 * with cheap scrypt parameters so each child opens it quickly.
 */
import { FileVaultSecretStore } from '../../credentials/file-vault';

export async function openVault(path: string, passphrase: string): Promise<FileVaultSecretStore> {
  const fast = { N: 2 ** 10, r: 8, p: 1 };
  return (await FileVaultSecretStore.exists(path))
    ? FileVaultSecretStore.open(path, passphrase)
    : FileVaultSecretStore.create(path, passphrase, fast);
}
