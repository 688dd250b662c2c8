/**
 * The one interface every secret consumer depends on (saved connections, MCP token, deployers, PKI rotation):
 * secrets are addressed by an opaque reference and fetched only when needed, so nothing holds all
 * secrets in memory. Two implementations: the OS keychain (default) and the passphrase-encrypted file
 * vault (only when the responder explicitly chose it because no keychain exists).
 */

/** An opaque secret reference: `[A-Za-z0-9._:-]{1,200}` (safe as a keychain account name). */
export type SecretRef = string;

export const SECRET_REF_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

export interface SecretStore {
  /** Which store this is, for status displays ("Secret Service", "file vault"). */
  readonly backend: string;
  /** The secret, or undefined when no secret exists under `ref`. Rejects with KEYCHAIN_* errors. */
  get(ref: SecretRef): Promise<string | undefined>;
  /** Creates or replaces the secret under `ref`. */
  set(ref: SecretRef, value: string): Promise<void>;
  /** Deletes the secret; deleting a secret that does not exist is not an error. */
  delete(ref: SecretRef): Promise<void>;
}

/** A store that can also enumerate its references (needed by `repair` to find orphans). */
export interface EnumerableSecretStore extends SecretStore {
  listRefs(): Promise<SecretRef[]>;
}

export function isEnumerable(store: SecretStore): store is EnumerableSecretStore {
  return typeof (store as Partial<EnumerableSecretStore>).listRefs === 'function';
}
