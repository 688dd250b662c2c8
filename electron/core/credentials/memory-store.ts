/**
 * Secrets held in this process only: the store tests use in place of the OS keychain, and the one
 * the app falls back to for a run without a keychain (the MCP token then lasts for that run).
 */
import type { EnumerableSecretStore, SecretRef } from './secret-store';

export class MemorySecretStore implements EnumerableSecretStore {
  /** Readable by tests (what was stored under which reference); nothing else looks inside. */
  readonly data = new Map<SecretRef, string>();

  constructor(readonly backend = 'memory (test)') {}

  get(ref: SecretRef): Promise<string | undefined> {
    return Promise.resolve(this.data.get(ref));
  }
  set(ref: SecretRef, value: string): Promise<void> {
    this.data.set(ref, value);
    return Promise.resolve();
  }
  delete(ref: SecretRef): Promise<void> {
    this.data.delete(ref);
    return Promise.resolve();
  }
  listRefs(): Promise<SecretRef[]> {
    return Promise.resolve([...this.data.keys()]);
  }
}
