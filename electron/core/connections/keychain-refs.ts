/**
 * The connection registry addresses secrets as `velociraptor/<server name>/api-config`; the OS
 * keychain store accepts only [A-Za-z0-9._:-] references. This adapter encodes the registry's
 * references reversibly (other characters become `_xx` hex) and maps "missing" to undefined.
 */
import type { SecretStore as KeychainStore } from '../credentials/secret-store';
import type { SecretStore as RegistrySecrets } from '../velociraptor/secret-store';

export function encodeRef(ref: string): string {
  return Array.from(ref)
    .map((ch) =>
      /[A-Za-z0-9.:-]/.test(ch)
        ? ch
        : Array.from(Buffer.from(ch, 'utf8'))
            .map((b) => `_${b.toString(16).padStart(2, '0')}`)
            .join(''),
    )
    .join('');
}

export class KeychainSecrets implements RegistrySecrets {
  constructor(private readonly store: KeychainStore) {}
  async get(ref: string): Promise<string | undefined> {
    return (await this.store.get(encodeRef(ref))) ?? undefined;
  }
  async set(ref: string, value: string): Promise<void> {
    await this.store.set(encodeRef(ref), value);
  }
  async delete(ref: string): Promise<void> {
    await this.store.delete(encodeRef(ref));
  }
}
