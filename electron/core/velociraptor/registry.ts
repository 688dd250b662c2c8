/**
 * Named Velociraptor servers. Each validated config gets one grpc-js client per endpoint +
 * identity, created on first use, shared by every org connection and every call, and closed when
 * the last server using it is removed. No globals: the composition root owns one registry.
 * Configs live here in memory only; saving them (the keychain) is the connections domain's job.
 */
import type { ApiStub } from './query/wire';
import { AppError } from '../../../shared/errors';
import { loadApiConfig, type ApiConfig } from './config/api-config';
import { channelKey, createApiClient } from './client';
import { VelociraptorConnection } from './connection';

export interface ServerSummary {
  name: string;
  connectionString: string;
  /** API user the server will see (client cert CN). */
  user: string;
  serverName: string;
  certNotBefore: string;
  certNotAfter: string;
}

export interface RegistryDeps {
  /** Injected for tests; defaults to a real grpc-js client. */
  createClient?: (config: ApiConfig) => ApiStub;
  now?: () => Date;
}

interface Entry {
  config: ApiConfig;
  key: string;
}

interface Channel {
  client: ApiStub;
}

/** Connection names: letters, digits, spaces and _ . @ ( ) - (the demo's own label has parentheses). */
const SERVER_NAME = /^[\p{L}\p{N}_.@ ()-]{1,64}$/u;

export class ConnectionRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly channels = new Map<string, Channel>();
  /** How many server entries use each channel key. */
  private readonly users = new Map<string, number>();
  private readonly createClient: (config: ApiConfig) => ApiStub;

  constructor(private readonly deps: RegistryDeps = {}) {
    this.createClient = deps.createClient ?? createApiClient;
  }

  /** Validates a config now (not at first call) and holds it under `name`. */
  add(name: string, yamlText: string, options: { passphrase?: string | undefined } = {}): ServerSummary {
    checkName(name);
    this.put(name, loadApiConfig(yamlText, { passphrase: options.passphrase, now: this.deps.now?.() }));
    return this.summary(name);
  }

  /** An already validated config (CLI with --api-config). */
  addConfig(name: string, config: ApiConfig): ServerSummary {
    checkName(name);
    this.put(name, config);
    return this.summary(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  list(): ServerSummary[] {
    return [...this.entries.keys()].sort().map((n) => this.summary(n));
  }

  summary(name: string): ServerSummary {
    const e = this.entry(name);
    return {
      name,
      connectionString: e.config.connectionString,
      user: e.config.commonName,
      serverName: e.config.serverName,
      certNotBefore: e.config.clientCertNotBefore.toISOString(),
      certNotAfter: e.config.clientCertNotAfter.toISOString(),
    };
  }

  /** The validated config of `name` (for the step-by-step connection test). */
  config(name: string): ApiConfig {
    return this.entry(name).config;
  }

  /** A connection to `name` in `orgId` ('' = root org), sharing the cached channel. */
  connection(name: string, orgId = ''): VelociraptorConnection {
    const e = this.entry(name);
    let ch = this.channels.get(e.key);
    if (!ch) {
      ch = { client: this.createClient(e.config) };
      this.channels.set(e.key, ch);
    }
    return new VelociraptorConnection(name, orgId, ch.client, e.config);
  }

  /** Forgets a server and closes its channel when no other server shares it. */
  remove(name: string): void {
    const e = this.entry(name);
    this.entries.delete(name);
    this.release(e.key);
  }

  /** Closes every channel (app shutdown). Entries stay; channels reopen on next use. */
  close(): void {
    for (const ch of this.channels.values()) ch.client.close();
    this.channels.clear();
  }

  /** Open channels (for diagnostics and tests). */
  openChannels(): number {
    return this.channels.size;
  }

  private put(name: string, config: ApiConfig): void {
    const old = this.entries.get(name);
    const key = channelKey(config);
    this.entries.set(name, { config, key });
    this.retain(key);
    if (old) this.release(old.key);
  }

  private retain(key: string): void {
    this.users.set(key, (this.users.get(key) ?? 0) + 1);
  }

  private release(key: string): void {
    const n = (this.users.get(key) ?? 1) - 1;
    if (n > 0) {
      this.users.set(key, n);
      return;
    }
    this.users.delete(key);
    const ch = this.channels.get(key);
    if (ch) {
      ch.client.close();
      this.channels.delete(key);
    }
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e)
      throw new AppError('CONNECTION_NOT_FOUND', `No Velociraptor server named "${name}" is configured.`);
    return e;
  }
}

function checkName(name: string): void {
  if (!SERVER_NAME.test(name)) {
    throw new AppError('INVALID_ARGUMENT', 'A server name is 1–64 letters, digits, spaces, _ . @ ( ) or -.');
  }
}
