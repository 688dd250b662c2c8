/**
 * The OS keychain once the probe answered; without one, secrets held for this run only. For what
 * the app can re-create each run (the MCP token: an assistant then needs the new one), never for
 * what the responder would lose (saved connections refuse instead: KEYCHAIN_UNAVAILABLE).
 */
import { MemorySecretStore } from './memory-store';
import type { SecretRef, SecretStore } from './secret-store';

export class KeychainOrMemory implements SecretStore {
  private resolved: SecretStore | undefined;
  private pending: Promise<SecretStore> | undefined;

  constructor(private readonly keychain: () => Promise<SecretStore | null>) {}

  get backend(): string {
    return this.resolved?.backend ?? 'OS keychain (not checked yet)';
  }

  private async store(): Promise<SecretStore> {
    const memory = () => new MemorySecretStore('memory (this run only: no OS keychain)');
    this.pending ??= this.keychain().then(
      (s) => s ?? memory(),
      () => memory(),
    );
    this.resolved = await this.pending;
    return this.resolved;
  }

  async get(ref: SecretRef): Promise<string | undefined> {
    return (await this.store()).get(ref);
  }
  async set(ref: SecretRef, value: string): Promise<void> {
    await (await this.store()).set(ref, value);
  }
  async delete(ref: SecretRef): Promise<void> {
    await (await this.store()).delete(ref);
  }
}
