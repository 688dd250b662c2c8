/**
 * The responder's servers: the connection registry (API configs; private keys only in the
 * keychain or, for "this session only", in memory), a small metadata file in the data dir
 * (names, storage kind, active server/org) and the demo server, an in-process simulator.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { ConnectionInfo, ConnectionList, OrgInfo, Target } from '../../../shared/contracts/connections';
import { AppError, messageOf } from '../../../shared/errors';
import type { SecretStore } from '../credentials/index';
import { JsonFile } from '../files/index';
import { ConnectionRegistry, type ServerSummary, VelociraptorService } from '../velociraptor/index';
import type { ConnectionCredentials } from './credential-records';
import { SavedConfigs, type SavedConfig } from './keychain-refs';

export const DEMO_NAME = 'demo-simulator';

const Meta = z.object({
  servers: z.array(
    z.object({ name: z.string(), storage: z.enum(['keychain', 'session', 'demo']), addedAt: z.string() }),
  ),
  active: z.object({ server: z.string(), org: z.string() }).nullable(),
});
type Meta = z.infer<typeof Meta>;

/** Where the saved servers' metadata lives; the one place its path is spelled. */
export function connectionsFile(dataDir: string): string {
  return join(dataDir, 'connections.json');
}

/**
 * Starts a simulator and returns an API config for it, and one for a user with the `api` role
 * alone (the assistants' read-only identity on the demo). Injected by the composition root (the
 * only core module besides the CLI that imports sim/); tests pass their own.
 */
export type DemoFactory = () => Promise<{ yaml: string; readOnlyYaml?: string; stop(): Promise<void> }>;

export interface ConnectionManagerDeps {
  dataDir: string;
  /** The OS keychain, or null when none is available (then only session storage works). */
  secrets: () => Promise<SecretStore | null>;
  demo: DemoFactory;
  /** Lists keychain-saved configs on the Credentials page (the credential index). */
  credentials?: ConnectionCredentials;
}

function noKeychain(): AppError {
  return new AppError(
    'KEYCHAIN_UNAVAILABLE',
    'No OS keychain is available, so the API config cannot be saved. Choose "This session only", or start a Secret Service (gnome-keyring) and try again.',
  );
}

export class ConnectionManager {
  readonly registry: ConnectionRegistry;
  private meta: Meta = { servers: [], active: null };
  private problems: Array<{ name: string; message: string }> = [];
  private demo: { readOnlyYaml?: string; stop(): Promise<void> } | undefined;
  private demoStarting: Promise<ConnectionInfo> | undefined;
  private loaded: Promise<void> | undefined;
  /** Set by ensureLoaded(): the keychain's saved configs, or null when no keychain answered. */
  private saved: SavedConfigs | null = null;

  private readonly metaFile: JsonFile<typeof Meta>;

  constructor(private readonly deps: ConnectionManagerDeps) {
    this.registry = new ConnectionRegistry();
    this.metaFile = new JsonFile(connectionsFile(deps.dataDir), Meta);
  }

  /** Resolves once the keychain was probed and saved servers were re-opened (and listed in the credential index). */
  ready(): Promise<void> {
    return this.ensureLoaded();
  }

  /**
   * Reads metadata and re-opens keychain-stored servers, once. Session/demo entries do not survive.
   * Each re-opened server is listed in the credential index when it is not yet (saved by a version
   * without the index) or listed differently; one already listed costs a read, no write. Never rejects.
   */
  private ensureLoaded(): Promise<void> {
    this.loaded ??= (async () => {
      const keychain = await this.deps.secrets().catch(() => null);
      this.saved = keychain ? new SavedConfigs(keychain) : null;
      // No file yet (first run) or a damaged one: start with no saved servers.
      const saved = await this.metaFile.read().catch(() => undefined);
      if (saved) this.meta = { ...saved, servers: saved.servers.filter((s) => s.storage === 'keychain') };
      for (const s of this.meta.servers) {
        let summary: ServerSummary;
        let passphrase: boolean;
        try {
          const saved = await this.reopen(s.name);
          summary = this.registry.add(s.name, saved.yaml, { passphrase: saved.passphrase });
          passphrase = saved.passphrase !== undefined;
        } catch (e) {
          this.problems.push({ name: s.name, message: messageOf(e) });
          continue;
        }
        const clientCertPem = this.registry.config(s.name).clientCertPem;
        await this.indexCredentials(() =>
          this.deps.credentials?.restored(s.name, { clientCertPem, passphrase, summary }),
        );
      }
      if (this.meta.active && !this.registry.has(this.meta.active.server)) this.meta.active = null;
    })();
    return this.loaded;
  }

  /** A keychain-saved server's config; without a keychain it reads as never saved. */
  private async reopen(name: string): Promise<SavedConfig> {
    if (this.saved) return this.saved.load(name);
    throw new AppError('CONNECTION_NOT_FOUND', `No saved API config for "${name}". Import it again.`);
  }

  private async saveMeta(): Promise<void> {
    await this.metaFile.write(this.meta);
  }

  private info(summary: ServerSummary): ConnectionInfo {
    const m = this.meta.servers.find((s) => s.name === summary.name);
    return {
      name: summary.name,
      endpoint: summary.connectionString,
      user: summary.user,
      certNotAfter: summary.certNotAfter,
      storage: m?.storage ?? 'session',
      addedAt: m?.addedAt ?? '',
    };
  }

  async list(): Promise<ConnectionList> {
    await this.ensureLoaded();
    return {
      connections: this.registry.list().map((s) => this.info(s)),
      active: this.meta.active,
      keychainAvailable: this.saved !== null,
      problems: this.problems,
    };
  }

  async import(input: {
    name: string;
    yaml: string;
    passphrase?: string | undefined;
    storage: 'keychain' | 'session';
  }): Promise<ConnectionInfo> {
    await this.ensureLoaded();
    if (this.registry.has(input.name))
      throw new AppError(
        'CONFLICT',
        `A server named "${input.name}" already exists. Choose another name or remove the old one first.`,
      );
    const passphrase = input.passphrase || undefined;
    const summary = this.registry.add(input.name, input.yaml, { passphrase });
    const keep = input.storage === 'keychain';
    if (keep) {
      try {
        if (!this.saved) throw noKeychain();
        await this.saved.save(input.name, input.yaml, passphrase);
      } catch (e) {
        this.registry.remove(input.name);
        throw e;
      }
    }
    this.meta.servers.push({ name: input.name, storage: input.storage, addedAt: new Date().toISOString() });
    this.meta.active ??= { server: input.name, org: '' };
    this.problems = this.problems.filter((p) => p.name !== input.name);
    await this.saveMeta();
    if (keep)
      await this.indexCredentials(() =>
        this.deps.credentials?.saved(input.name, {
          yaml: input.yaml,
          passphrase: !!input.passphrase,
          summary,
        }),
      );
    return this.info(summary);
  }

  async remove(name: string): Promise<boolean> {
    await this.ensureLoaded();
    if (!this.registry.has(name)) return false;
    const kept = this.meta.servers.find((s) => s.name === name)?.storage === 'keychain';
    this.registry.remove(name);
    if (kept) {
      await this.saved?.delete(name);
      await this.indexCredentials(() => this.deps.credentials?.removed(name));
    }
    this.meta.servers = this.meta.servers.filter((s) => s.name !== name);
    if (this.meta.active?.server === name) {
      const next = this.registry.list()[0];
      this.meta.active = next ? { server: next.name, org: '' } : null;
    }
    await this.saveMeta();
    return true;
  }

  /**
   * The secrets are already saved (or deleted); a failure to update the credential
   * index must not undo that. Repair on the Credentials page reconciles whatever is left over.
   */
  private async indexCredentials(fn: () => Promise<void> | undefined): Promise<void> {
    try {
      await fn();
    } catch {
      // Left to repair: an unlisted secret is reported there as an orphan, a stale entry as missing.
    }
  }

  async select(t: Target): Promise<Target> {
    await this.service(t); // unknown server or org → its error, before anything is saved
    this.meta.active = { server: t.server, org: t.org };
    await this.saveMeta();
    return this.meta.active;
  }

  async orgs(server: string): Promise<OrgInfo[]> {
    return (await (await this.service({ server, org: '' })).listOrgs()).filter((o) => o.id !== '');
  }

  summary(name: string): ServerSummary {
    return this.registry.summary(name);
  }

  /**
   * Operations on one server + org, once the saved servers are loaded. `root` (the simulator's name
   * for it) and '' both mean root.
   */
  async service(t: Target): Promise<VelociraptorService> {
    await this.ensureLoaded();
    const org = t.org === 'root' ? '' : t.org;
    return new VelociraptorService(this.registry.connection(t.server, org));
  }

  /** The demo simulator's read-only identity (API config), while it runs. */
  demoReadOnlyConfig(name: string): string | undefined {
    return name === DEMO_NAME && this.registry.has(DEMO_NAME) ? this.demo?.readOnlyYaml : undefined;
  }

  /** Starts the simulator once per app run and connects to it. */
  startDemo(): Promise<ConnectionInfo> {
    this.demoStarting ??= (async () => {
      await this.ensureLoaded();
      if (this.registry.has(DEMO_NAME)) return this.info(this.registry.summary(DEMO_NAME));
      const sim = await this.deps.demo();
      this.demo = sim;
      const summary = this.registry.add(DEMO_NAME, sim.yaml);
      this.meta.servers = this.meta.servers.filter((s) => s.name !== DEMO_NAME);
      this.meta.servers.push({ name: DEMO_NAME, storage: 'demo', addedAt: new Date().toISOString() });
      this.meta.active = { server: DEMO_NAME, org: '' };
      await this.saveMeta();
      return this.info(summary);
    })();
    const p = this.demoStarting;
    p.catch(() => {
      this.demoStarting = undefined;
    });
    return p;
  }

  async dispose(): Promise<void> {
    this.registry.close();
    await this.demo?.stop();
  }
}
