/**
 * Where a saved server's secrets live in the keychain: its API config (it holds the private key) and
 * the key's passphrase. Keychain accounts stay within [A-Za-z0-9._:-] (SECRET_REF_PATTERN) while a
 * server name may hold spaces, '@' or any letter, so the name is written in base64url with each '_'
 * spelled '_5f'. Earlier versions reached the same accounts in two steps (base64url in the registry,
 * then '_' → '_5f' in an adapter); one function now spells them, unchanged, so servers saved by those
 * versions stay readable.
 */
import { AppError } from '../../../shared/errors';
import type { SecretRef, SecretStore } from '../credentials/index';

/** A server name as it may appear in a keychain account. */
export function keychainName(server: string): string {
  return Buffer.from(server, 'utf8').toString('base64url').replaceAll('_', '_5f');
}

function account(server: string, what: 'api-config' | 'passphrase'): SecretRef {
  return `velociraptor:${keychainName(server)}:${what}`;
}

/** The keychain accounts of `server` (also its ids in the credential index). */
export function connectionSecretRefs(server: string): { apiConfig: SecretRef; passphrase: SecretRef } {
  return { apiConfig: account(server, 'api-config'), passphrase: account(server, 'passphrase') };
}

export interface SavedConfig {
  yaml: string;
  passphrase: string | undefined;
}

/** Saved servers' API configs and passphrases in a SecretStore (the OS keychain in the app). */
export class SavedConfigs {
  constructor(private readonly store: SecretStore) {}

  /** Saves the config and the passphrase; without a passphrase, an old one is deleted. */
  async save(server: string, yaml: string, passphrase: string | undefined): Promise<void> {
    const refs = connectionSecretRefs(server);
    await this.store.set(refs.apiConfig, yaml);
    if (passphrase) await this.store.set(refs.passphrase, passphrase);
    else await this.store.delete(refs.passphrase);
  }

  async load(server: string): Promise<SavedConfig> {
    const refs = connectionSecretRefs(server);
    const yaml = await this.store.get(refs.apiConfig);
    if (yaml === undefined)
      throw new AppError('CONNECTION_NOT_FOUND', `No saved API config for "${server}". Import it again.`);
    return { yaml, passphrase: await this.store.get(refs.passphrase) };
  }

  async delete(server: string): Promise<void> {
    const refs = connectionSecretRefs(server);
    await this.store.delete(refs.apiConfig);
    await this.store.delete(refs.passphrase);
  }
}
