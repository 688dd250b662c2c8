/** An in-memory SecretStore for tests (the app uses the OS keychain store). */
import type { SecretStore } from '../../credentials/secret-store';

export class MemorySecrets implements SecretStore {
  readonly backend = 'memory (test)';
  readonly values = new Map<string, string>();
  async get(ref: string): Promise<string | undefined> {
    return this.values.get(ref);
  }
  async set(ref: string, value: string): Promise<void> {
    this.values.set(ref, value);
  }
  async delete(ref: string): Promise<void> {
    this.values.delete(ref);
  }
}
