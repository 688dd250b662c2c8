/**
 * The Velociraptor connections the responder saved in the app, for the MCP servers: the app's own
 * connection manager (core/investigation) reads its metadata file and re-opens each saved server
 * from the keychain, through the same reference encoding the app used to store it. Used by
 * `megaraptor mcp --stdio --connection NAME` (another process, so the saved store is the only thing
 * the two share) and by createMcpDomain when no live manager is given (the app passes its own).
 * Re-read when the metadata file changes.
 */
import { stat } from 'node:fs/promises';
import { AppError } from '../../../shared/errors';
import type { SecretStore as KeychainStore } from '../credentials/index';
import { ConnectionManager, connectionsFile } from '../connections/index';
import type { ConnectionRegistry } from '../velociraptor/index';

export interface AppConnectionsDeps {
  dataDir: string;
  /** The OS keychain, or null when none answers (then no saved connection can be opened). */
  keychain: () => Promise<KeychainStore | null>;
  /** How long a replaced registry stays open for calls still running on it (ms). */
  closeDelayMs?: number;
}

export class AppConnections {
  private manager: ConnectionManager | undefined;
  private stamp: string | undefined;
  private active: string | undefined;
  private problemList: Array<{ name: string; message: string }> = [];
  private store: Promise<KeychainStore | null> | undefined;
  private loading: Promise<void> | undefined;
  private disposed = false;

  constructor(private readonly deps: AppConnectionsDeps) {}

  private get metaFile(): string {
    return connectionsFile(this.deps.dataDir);
  }

  /** The registry as of the last refresh. */
  registry(): ConnectionRegistry {
    if (!this.manager) throw new AppError('CONNECTION_NOT_FOUND', 'The saved connections were not read yet.');
    return this.manager.registry;
  }

  /** The server the app has selected, if it was re-opened. */
  /** Every connection here was saved by the app, so it is in the keychain. */
  storageOf(name: string): 'keychain' | 'session' | 'demo' | undefined {
    return this.manager?.registry.has(name) ? 'keychain' : undefined;
  }

  defaultServer(): string | undefined {
    return this.active;
  }

  /** Saved servers that could not be re-opened (e.g. the keychain entry is gone). */
  problems(): Array<{ name: string; message: string }> {
    return this.problemList;
  }

  /** Re-reads the saved connections when the app changed them since the last read. */
  refresh(): Promise<void> {
    this.loading ??= this.load().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const stamp = await stat(this.metaFile).then(
      (s) => `${s.mtimeMs}:${s.size}`,
      () => 'none',
    );
    if (this.manager && stamp === this.stamp) return;
    this.store ??= this.deps.keychain().catch(() => null);
    const store = await this.store;
    const next = new ConnectionManager({
      dataDir: this.deps.dataDir,
      secrets: () => Promise.resolve(store),
      demo: () =>
        Promise.reject(
          new AppError(
            'INVALID_ARGUMENT',
            'The demo server is started from the app, not from the MCP server.',
          ),
        ),
    });
    const list = await next.list();
    const old = this.manager;
    this.manager = next;
    this.stamp = stamp;
    this.problemList = list.problems;
    const active = list.active?.server;
    this.active = active && next.registry.has(active) ? active : next.registry.list()[0]?.name;
    if (old) setTimeout(() => void old.dispose(), this.deps.closeDelayMs ?? 60_000).unref();
    if (this.disposed) await next.dispose();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.loading?.catch(() => undefined);
    await this.manager?.dispose();
    this.manager = undefined;
  }
}
