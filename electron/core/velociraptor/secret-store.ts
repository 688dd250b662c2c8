/**
 * Where API configs (they hold the private key) and passphrases live. The credentials service
 * implements this with the OS keychain; MemorySecretStore serves tests and the CLI.
 */
export interface SecretStore {
  get(ref: string): Promise<string | undefined>;
  set(ref: string, value: string): Promise<void>;
  delete(ref: string): Promise<void>;
}

export class MemorySecretStore implements SecretStore {
  private readonly values = new Map<string, string>();
  async get(ref: string): Promise<string | undefined> {
    return this.values.get(ref);
  }
  async set(ref: string, value: string): Promise<void> {
    this.values.set(ref, value);
  }
  async delete(ref: string): Promise<void> {
    this.values.delete(ref);
  }
  /** For tests: which refs are held (never the values). */
  refs(): string[] {
    return [...this.values.keys()];
  }
}

/**
 * Secret references used by the registry. Server names may hold spaces or '@', keychain account
 * names must stay within [A-Za-z0-9._:-], so the name is base64url-encoded.
 */
const enc = (server: string): string => Buffer.from(server, 'utf8').toString('base64url');
export const secretRefs = {
  apiConfig: (server: string): string => `velociraptor:${enc(server)}:api-config`,
  passphrase: (server: string): string => `velociraptor:${enc(server)}:passphrase`,
};
