/**
 * What the app, the CLI and MCP use for agent pushes: one runner over the run journals in the data
 * dir (`agent-runs/`), the SSH pusher built on the deployments' release cache and host-key store (the
 * same verified binaries and the same confirmed keys as server deployments), the servers agents enrol
 * with through the app's connections. Runs in flight can be cancelled by id; a run a dead process left
 * is resumed from its journal.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  BuiltInstaller,
  BuiltKit,
  EnrollmentStatus,
  ImportedCollection,
  InstallerKind,
  PreloadedTool,
  ToolPreloadPlan,
} from '../../../../shared/agent-kits';
import { HostName, type PushHostInput } from '../../../../shared/agents';
import type { WinRmCertScan } from '../../../../shared/contracts/agents';
import { AppError, asError, isAppError, messageOf } from '../../../../shared/errors';
import type { CredentialService, SecretStore } from '../../credentials/index';
import type { VelociraptorService } from '../../velociraptor/index';
import type { ReleaseCache } from '../releases/cache';
import { probeHostKey, type ConfirmHostKey, type HostKeyStore } from '../ssh/index';
import { hostPlatform } from '../releases/assets';
import { acceptLocalBinary, type VerifiedBinary } from '../releases/cache';
import { writeGpoKit } from './gpo-kit';
import { buildInstaller } from './installers';
import { writeAnsibleKit, type AnsibleKit } from './ansible-kit';
import { agentConfig, type AgentConfigOptions } from './client-config';
import { importCollection, type ImportCollectionInput } from './collection-import';
import { appKeySessionPassword, COLLECTOR_KEY_REF } from './collector-key';
import { AgentPushRunner, type RunOptions } from './fanout';
import {
  buildOfflineCollector,
  collectorParameters,
  OfflineCollectorSpec,
  type BuiltCollector,
  type OfflineCollectorSpecInput,
} from './offline-collector';
import { AgentRunStore, type AgentRunDoc } from './run-journal';
import { SshAgentPusher, type SshPushSettingsInput } from './ssh-push';
import { runSummary, summaryCsv } from './summary';
import { planToolPreload, preloadTools } from './tool-preload';
import { WinRmAgentPusher, type WinRmPushSettingsInput } from './winrm-push';
import { appWinRmCertsFile, WinRmCertStore } from './winrm/cert-store';
import { scanCertificates, trustCertificates } from './winrm/certificates';

/** What an import asks for: the password of a password collection by its keychain reference only. */
export type ImportCollectionRequest = Omit<ImportCollectionInput, 'password'> & {
  passwordRef?: string | undefined;
};

export interface AgentServiceDeps {
  dataDir: string;
  /** The keychain (sudo and login passwords, key passphrases); null when none is available. */
  secrets: () => Promise<SecretStore | null>;
  /** A connected server + org, as the app's connections give it. */
  server: (target: { server: string; org: string }) => Promise<VelociraptorService>;
  releases: ReleaseCache;
  hostKeys: HostKeyStore;
  /** Asks about a host key never seen before (the app's dialog; the CLI's --accept-host-key). */
  confirmHostKey?: ConfirmHostKey;
  /** Third-party tools for offline collectors, one folder per tool (default `<dataDir>/tool-cache`). */
  toolCacheDir?: string;
  /**
   * The Velociraptor executable that builds installers on this machine; default: the verified
   * release for this machine's platform (tests: the simulator's drop-in launcher).
   */
  localVelociraptor?: () => Promise<string>;
  /**
   * The credential index: the app's collector key is listed there once a collector uses it, so the
   * Credentials page shows what app-key collections need and repair does not call it an orphan.
   */
  keyRecord?: Pick<CredentialService, 'register'>;
}

/** A connected server and org, as `deps.server` takes it. */
export interface ServerTarget {
  server: string;
  org: string;
}

export interface CollectorRequest {
  spec: OfflineCollectorSpecInput;
  /** Tool files the responder names (tool name → path); they win over the tool cache. */
  toolFiles?: Record<string, string>;
}

/** What building a collector will do, before anything changes on the server. */
export interface CollectorPlan {
  spec: ReturnType<typeof OfflineCollectorSpec.parse>;
  /** Server.Utils.CreateCollector's parameters (a password shows as its keychain reference). */
  parameters: Record<string, string>;
  preload: ToolPreloadPlan;
}

export interface CollectorBuild {
  plan: CollectorPlan;
  preloaded: PreloadedTool[];
  collector: BuiltCollector;
}

/** The shared shape (shared/agent-kits.ts), re-exported for the core's callers. */
export type { EnrollmentStatus };

export interface KitProgress {
  signal?: AbortSignal;
  onProgress?: (p: { step: string; sent?: number; total?: number }) => void;
}

/** Which verified Velociraptor build a kit carries: a release (verified once) or the responder's file. */
export type KitBinary = { tag: string } | { path: string };

export interface AnsibleKitRequest {
  hosts: PushHostInput[];
  /** The SSH user Ansible logs in as (become: sudo). */
  user: string;
  dir: string;
  binary: KitBinary;
  labels?: string[];
  frontends?: AgentConfigOptions['frontends'];
}

export interface InstallerRequest {
  kind: InstallerKind;
  outDir: string;
  /** deb/rpm: the Linux client to package; msi: the release whose MSI is repacked (or `msi`). */
  binary: KitBinary;
  /** msi: the official MSI file to repack instead of the release's. */
  msi?: string;
  /** deb/rpm from a release: the Linux client's architecture (amd64 when not said). */
  arch?: 'amd64' | 'arm64';
  /**
   * A Velociraptor executable for this machine that builds the installer, instead of the release
   * for this machine (which an isolated network cannot fetch).
   */
  runner?: string;
  labels?: string[];
  frontends?: AgentConfigOptions['frontends'];
}

export interface GpoKitRequest {
  /** The (repacked) MSI; build it first with buildInstaller({ kind: 'msi' }). */
  msi: string;
  dir: string;
  /** The UNC share the computers read it from. */
  share?: string;
}

/**
 * The keychain, opened when a secret is first read: a push with a key file (or ssh-agent) and sudo
 * without a password never needs it.
 */
function keychainWhenNeeded(open: () => Promise<SecretStore | null>): SecretStore {
  const store = async (): Promise<SecretStore> => {
    const s = await open();
    if (!s)
      throw new AppError(
        'KEYCHAIN_UNAVAILABLE',
        'This push reads a password or passphrase from the OS keychain, and none is available. Start a Secret Service (gnome-keyring) or unlock the keychain, or use a key without a passphrase or ssh-agent.',
      );
    return s;
  };
  return {
    backend: 'OS keychain (opened when needed)',
    get: async (ref) => (await store()).get(ref),
    set: async (ref, value) => (await store()).set(ref, value),
    delete: async (ref) => (await store()).delete(ref),
  };
}

export interface WinRmPushRequest {
  name: string;
  settings: WinRmPushSettingsInput;
  hosts: PushHostInput[];
  concurrency?: number;
  retries?: number;
}

export interface SshPushRequest {
  name: string;
  settings: SshPushSettingsInput;
  hosts: PushHostInput[];
  concurrency?: number;
  retries?: number;
}

export class AgentService {
  readonly store: AgentRunStore;
  readonly runner: AgentPushRunner;
  /** The WinRM listener certificates the responder confirmed (beside the SSH known_hosts). */
  readonly winrmCerts: WinRmCertStore;
  private readonly inFlight = new Map<string, AbortController>();

  constructor(private readonly deps: AgentServiceDeps) {
    this.store = new AgentRunStore(join(deps.dataDir, 'agent-runs'));
    const ssh = new SshAgentPusher({
      ssh: {
        secrets: keychainWhenNeeded(deps.secrets),
        hostKeys: deps.hostKeys,
        ...(deps.confirmHostKey ? { confirmHostKey: deps.confirmHostKey } : {}),
      },
      releases: deps.releases,
      server: deps.server,
    });
    this.winrmCerts = new WinRmCertStore(appWinRmCertsFile(deps.dataDir));
    const winrm = new WinRmAgentPusher({
      certs: this.winrmCerts,
      secrets: keychainWhenNeeded(deps.secrets),
      releases: deps.releases,
      server: deps.server,
    });
    this.runner = new AgentPushRunner({ store: this.store, pushers: [ssh, winrm] });
  }

  private plan(r: SshPushRequest | WinRmPushRequest, channel: 'ssh' | 'winrm' = 'ssh') {
    return {
      name: r.name,
      channel,
      settings: r.settings,
      hosts: r.hosts.map((h) => ({ host: h.host, ...(h.port ? { port: h.port } : {}), os: h.os ?? 'auto' })),
      concurrency: r.concurrency ?? 8,
      retries: r.retries ?? 2,
    };
  }

  /** The run as it would be journaled (hosts deduplicated, settings checked), without touching a host. */
  review(r: SshPushRequest): AgentRunDoc;
  review(r: WinRmPushRequest, channel: 'winrm'): AgentRunDoc;
  review(r: SshPushRequest | WinRmPushRequest, channel: 'ssh' | 'winrm' = 'ssh'): AgentRunDoc {
    return this.runner.draft(this.plan(r, channel));
  }

  /** Pushes to every host; resolves with the final journal. `cancel(id)` stops it. */
  async pushSsh(r: SshPushRequest, options: RunOptions = {}): Promise<AgentRunDoc> {
    return this.tracked(options, (o) => this.runner.start(this.plan(r), o));
  }

  /** Pushes the MSI to Windows hosts over WinRM; resolves with the final journal. */
  async pushWinrm(r: WinRmPushRequest, options: RunOptions = {}): Promise<AgentRunDoc> {
    return this.tracked(options, (o) => this.runner.start(this.plan(r, 'winrm'), o));
  }

  /** Continues a run a dead process (or a cancel) left unfinished. */
  async resume(id: string, options: RunOptions & { retryFailed?: boolean } = {}): Promise<AgentRunDoc> {
    return this.tracked(options, (o) =>
      this.runner.resume(id, { ...o, retryFailed: options.retryFailed === true }),
    );
  }

  private async tracked(
    options: RunOptions,
    go: (o: RunOptions) => Promise<AgentRunDoc>,
  ): Promise<AgentRunDoc> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let id: string | undefined;
    try {
      return await go({
        signal: controller.signal,
        onEvent: (e) => {
          if (!id) {
            id = e.runId;
            this.inFlight.set(id, controller);
          }
          options.onEvent?.(e);
        },
      });
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (id) this.inFlight.delete(id);
    }
  }

  /** Cancels a run of this process; false when it is not running here. */
  cancel(id: string): boolean {
    const c = this.inFlight.get(id);
    c?.abort();
    return c !== undefined;
  }

  async list(): Promise<AgentRunDoc[]> {
    const { runs } = await this.store.list();
    return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  get(id: string): Promise<AgentRunDoc> {
    return this.store.read(id);
  }

  async summary(id: string) {
    return runSummary(await this.store.read(id));
  }

  async csv(id: string): Promise<string> {
    return summaryCsv(await this.store.read(id));
  }

  // ---- For the app's agents page: runs in the background, host keys, the CSV on disk --------------

  /**
   * Starts a push in the background and answers its id once the run is journaled: the run goes on
   * when the page (or the browser's socket) goes away; the page polls `get`/`summary`.
   */
  startInBackground(r: SshPushRequest | WinRmPushRequest, channel: 'ssh' | 'winrm'): Promise<string> {
    return this.background((o) => this.runner.start(this.plan(r, channel), o));
  }

  /** `resume` in the background (the page's "resume" on an interrupted or cancelled run). */
  resumeInBackground(id: string, retryFailed = false): Promise<string> {
    return this.background((o) => this.runner.resume(id, { ...o, retryFailed }));
  }

  private background(go: (o: RunOptions) => Promise<AgentRunDoc>): Promise<string> {
    return new Promise((resolve, reject) => {
      let id: string | undefined;
      const done = this.tracked(
        {
          onEvent: (e) => {
            if (id) return;
            id = e.runId;
            resolve(id);
          },
        },
        go,
      );
      this.running.add(done);
      done.then(
        (doc) => resolve(doc.id),
        // After the start the journal says how the run ended; before it, the caller hears why.
        (e: unknown) => (id ? undefined : reject(asError(e))),
      );
      void done.catch(() => undefined).finally(() => this.running.delete(done));
    });
  }

  private readonly running = new Set<Promise<AgentRunDoc>>();

  /** Cancels the runs of this process and waits for them to journal it (the app is closing). */
  async dispose(): Promise<void> {
    for (const c of this.inFlight.values()) c.abort();
    await Promise.allSettled([...this.running]);
  }

  /**
   * The host key each host presents, against the app's known_hosts and the user's: known, never
   * seen (to confirm), changed (refused), or unreachable. Nothing is trusted here.
   */
  async scanHostKeys(
    hosts: ReadonlyArray<{ host: string; port: number }>,
    concurrency = 16,
  ): Promise<HostKeyScanResult[]> {
    const out: HostKeyScanResult[] = new Array<HostKeyScanResult>(hosts.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < hosts.length) {
        const i = next++;
        out[i] = await this.scanOne(hosts[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, hosts.length) }, worker));
    return out;
  }

  private async scanOne(h: { host: string; port: number }): Promise<HostKeyScanResult> {
    let presented;
    try {
      presented = await probeHostKey(h, { timeoutMs: 10_000 });
    } catch (e) {
      return { host: h.host, port: h.port, status: 'unreachable', message: messageOf(e) };
    }
    const seen = {
      host: h.host,
      port: h.port,
      keyType: presented.keyType,
      fingerprint: presented.fingerprint,
    };
    try {
      await this.deps.hostKeys.verify(h.host, h.port, presented.blob, () => Promise.resolve(false));
      return { ...seen, status: 'known' };
    } catch (e) {
      if (isAppError(e, 'SSH_HOST_KEY_UNKNOWN')) return { ...seen, status: 'unknown' };
      if (isAppError(e, 'SSH_HOST_KEY_MISMATCH')) return { ...seen, status: 'changed', message: e.message };
      throw e;
    }
  }

  /**
   * Remembers the keys the responder confirmed. Each host is asked again and must present exactly
   * the fingerprint confirmed; a key that is already known differently stays refused.
   */
  async trustHostKeys(
    keys: ReadonlyArray<{ host: string; port: number; fingerprint: string }>,
  ): Promise<{ trusted: number; refused: HostKeyScanResult[] }> {
    let trusted = 0;
    const refused: HostKeyScanResult[] = [];
    for (const k of keys) {
      let presented;
      try {
        presented = await probeHostKey(k, { timeoutMs: 10_000 });
      } catch (e) {
        refused.push({ host: k.host, port: k.port, status: 'unreachable', message: messageOf(e) });
        continue;
      }
      const seen = {
        host: k.host,
        port: k.port,
        keyType: presented.keyType,
        fingerprint: presented.fingerprint,
      };
      if (presented.fingerprint !== k.fingerprint) {
        refused.push({
          ...seen,
          status: 'changed',
          message: `${k.host}:${k.port} now presents ${presented.fingerprint}, not the ${k.fingerprint} you confirmed. Nothing was remembered; scan again.`,
        });
        continue;
      }
      try {
        await this.deps.hostKeys.verify(k.host, k.port, presented.blob, () => Promise.resolve(true));
        trusted++;
      } catch (e) {
        if (!isAppError(e, 'SSH_HOST_KEY_MISMATCH')) throw e;
        refused.push({ ...seen, status: 'changed', message: e.message });
      }
    }
    return { trusted, refused };
  }

  /** Each WinRM listener's certificate against the app's pins, or the CA given. Nothing is pinned. */
  scanWinRmCerts(
    hosts: ReadonlyArray<{ host: string; port: number }>,
    caPem?: string,
  ): Promise<WinRmCertScan[]> {
    return scanCertificates(this.winrmCerts, hosts, { timeoutMs: 10_000, ...(caPem ? { caPem } : {}) });
  }

  /** Pins the certificates the responder confirmed (each host must still present that one). */
  trustWinRmCerts(
    certs: ReadonlyArray<{ host: string; port: number; fingerprint: string }>,
  ): Promise<{ trusted: number; refused: WinRmCertScan[] }> {
    return trustCertificates(this.winrmCerts, certs, { timeoutMs: 10_000 });
  }

  /** The run's summary CSV written to the data folder's exports (`exports/agent-runs/`). */
  async exportCsv(id: string): Promise<{ savedTo: string; name: string; rows: number }> {
    const doc = await this.store.read(id);
    const dir = join(this.deps.dataDir, 'exports', 'agent-runs');
    await mkdir(dir, { recursive: true });
    const safe =
      doc.name
        .replace(/[^A-Za-z0-9._-]+/g, '_')
        .replace(/^\.+/, '')
        .slice(0, 80) || 'run';
    const name = `agents-${safe}-${doc.id}.csv`;
    const savedTo = join(dir, name);
    await writeFile(savedTo, summaryCsv(doc));
    return { savedTo, name, rows: doc.hosts.length };
  }

  // ---- kits: offline collectors, returned collections, enrollment checks

  private toolSources(files?: Record<string, string>) {
    return {
      releases: this.deps.releases,
      toolCacheDir: this.deps.toolCacheDir ?? join(this.deps.dataDir, 'tool-cache'),
      ...(files ? { files } : {}),
    };
  }

  /** The collector's spec checked, its CreateCollector parameters and every tool with source and hash. */
  async planCollector(
    target: ServerTarget,
    r: CollectorRequest,
    o: KitProgress = {},
  ): Promise<CollectorPlan> {
    const spec = OfflineCollectorSpec.parse(r.spec);
    const server = await this.deps.server(target);
    const parameters = collectorParameters(
      spec,
      spec.encryption.scheme === 'password'
        ? `(keychain ${spec.encryption.passwordRef})`
        : spec.encryption.scheme === 'app-key'
          ? `(the certificate of the app's key, keychain ${COLLECTOR_KEY_REF})`
          : undefined,
    );
    const preload = await planToolPreload(
      server,
      spec.os,
      spec.artifacts,
      this.toolSources(r.toolFiles),
      o.signal,
    );
    return { spec, parameters, preload };
  }

  /**
   * Preloads every tool into the server's inventory (refused while one has no file), then has the
   * server build the collector and saves it into `folder`.
   */
  async buildCollector(
    target: ServerTarget,
    r: CollectorRequest & { folder: string },
    o: KitProgress = {},
  ): Promise<CollectorBuild> {
    const plan = await this.planCollector(target, r, o);
    const server = await this.deps.server(target);
    const preloaded = await preloadTools(server, plan.preload, {
      ...(o.signal ? { signal: o.signal } : {}),
      onTool: (name) => o.onProgress?.({ step: `preload ${name}` }),
      onProgress: (sent, total) => o.onProgress?.({ step: 'upload', sent, total }),
    });
    o.onProgress?.({ step: 'build' });
    const collector = await buildOfflineCollector(
      server,
      keychainWhenNeeded(this.deps.secrets),
      r.spec,
      r.folder,
      o.signal ? { signal: o.signal } : {},
    );
    if (plan.spec.encryption.scheme === 'app-key')
      // The collector is built and saved either way; a failed index write only leaves the key unlisted
      // until the next app-key build (or repair) lists it.
      await this.deps.keyRecord
        ?.register({
          id: COLLECTOR_KEY_REF,
          name: 'Offline collector key (the app’s own: collections built with it need it to import)',
          kind: 'private-key',
          owner: {},
          expiresAt: null,
        })
        .catch(() => undefined);
    return { plan, preloaded, collector };
  }

  /**
   * Copies a returned collection ZIP to the server, imports it and reads every source's rows back. A
   * password collection is opened with the keychain entry `passwordRef` (the one the collector was
   * built with).
   */
  async importCollection(
    target: ServerTarget,
    input: ImportCollectionRequest,
    o: KitProgress = {},
  ): Promise<ImportedCollection> {
    const { passwordRef, ...rest } = input;
    let password: string | undefined;
    if (passwordRef) {
      password = await keychainWhenNeeded(this.deps.secrets).get(passwordRef);
      if (password === undefined)
        throw new AppError(
          'SECRET_MISSING',
          'The collection password is missing from the keychain: save it again under the same name.',
        );
    }
    const server = await this.deps.server(target);
    return importCollection(
      server,
      { ...rest, ...(password ? { password } : {}) },
      {
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (sent, total) => o.onProgress?.({ step: 'upload', sent, total }),
        onStep: (step) => o.onProgress?.({ step }),
        // Only an X509 collection asks; without a keychain it cannot be the app's key.
        x509Password: async (meta, label) => {
          const keychain = await this.deps.secrets();
          return keychain ? appKeySessionPassword(keychain, meta, label) : null;
        },
      },
    );
  }

  /** The agent config for a server (its own URLs or `frontends`, plus enrolment labels). */
  async agentConfigFor(target: ServerTarget, o: Pick<AgentConfigOptions, 'frontends' | 'labels'> = {}) {
    const server = await this.deps.server(target);
    return agentConfig(await server.orgClientConfig(), o);
  }

  /** The verified binary a kit carries: a release for `platform`, or the responder's file. */
  async kitBinary(
    binary: KitBinary,
    platform: Parameters<ReleaseCache['obtain']>[1],
    signal?: AbortSignal,
  ): Promise<VerifiedBinary> {
    return 'path' in binary
      ? acceptLocalBinary(binary.path)
      : this.deps.releases.obtain(binary.tag, platform, signal ? { signal } : {});
  }

  /** An Ansible role, playbook and inventory installing the Linux agent with this server's config. */
  async ansibleKit(
    target: ServerTarget,
    r: AnsibleKitRequest,
    o: KitProgress = {},
  ): Promise<AnsibleKit & { serverUrls: string[]; binaryWarning: string | null }> {
    const config = await this.agentConfigFor(target, {
      ...(r.frontends ? { frontends: r.frontends } : {}),
      labels: r.labels ?? [],
    });
    const binary = await this.kitBinary(r.binary, { os: 'linux', arch: 'amd64', variant: '' }, o.signal);
    const kit = await writeAnsibleKit({
      configYaml: config.yaml,
      binaryPath: binary.path,
      hosts: r.hosts.map((h) => ({
        host: h.host,
        ...(h.port ? { port: h.port } : {}),
        os: 'linux' as const,
      })),
      user: r.user,
      dir: r.dir,
    });
    return { ...kit, serverUrls: config.serverUrls, binaryWarning: binary.warning };
  }

  /**
   * A deb, rpm or MSI carrying this server's agent config, built here by the verified binary's own
   * `debian client` / `rpm client` / `config repack --msi`.
   */
  async buildInstaller(
    target: ServerTarget,
    r: InstallerRequest,
    o: KitProgress = {},
  ): Promise<BuiltInstaller> {
    const config = await this.agentConfigFor(target, {
      ...(r.frontends ? { frontends: r.frontends } : {}),
      labels: r.labels ?? [],
    });
    o.onProgress?.({ step: 'binary' });
    let packed: VerifiedBinary;
    if (r.kind === 'msi')
      packed = r.msi
        ? await acceptLocalBinary(r.msi)
        : await this.kitBinary(
            r.binary,
            { os: 'windows', arch: 'amd64', variant: '', format: 'msi' },
            o.signal,
          );
    else
      packed = await this.kitBinary(
        r.binary,
        { os: 'linux', arch: r.arch ?? 'amd64', variant: '' },
        o.signal,
      );
    // What runs here: the test drop-in, the responder's runner, the Linux client itself on a Linux
    // machine of its architecture, or the verified release for this machine.
    const host = hostPlatform();
    const runBinary = this.deps.localVelociraptor
      ? await this.deps.localVelociraptor()
      : r.runner
        ? (await acceptLocalBinary(r.runner)).path
        : r.kind !== 'msi' && host.os === 'linux' && host.arch === (r.arch ?? 'amd64')
          ? packed.path
          : (await this.kitBinary('tag' in r.binary ? r.binary : { tag: 'latest' }, host, o.signal)).path;
    o.onProgress?.({ step: `build ${r.kind}` });
    const built = await buildInstaller({
      kind: r.kind,
      configYaml: config.yaml,
      runBinary,
      ...(r.kind === 'msi' ? { msi: packed.path } : { packBinary: packed.path }),
      outDir: r.outDir,
      binarySha256: packed.sha256,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return packed.warning ? { ...built, notes: [...built.notes, packed.warning] } : built;
  }

  /** A GPO kit folder + ZIP: the MSI, the README with the real steps, a startup script, SHA256SUMS. */
  async gpoKit(target: ServerTarget, r: GpoKitRequest): Promise<BuiltKit> {
    const config = await this.agentConfigFor(target);
    return writeGpoKit({
      msi: r.msi,
      dir: r.dir,
      serverUrls: config.serverUrls,
      ...(r.share ? { share: r.share } : {}),
    });
  }

  /** Whether the server lists clients with these ids or host names (exact host match). */
  async checkEnrollment(target: ServerTarget, queries: string[]): Promise<EnrollmentStatus[]> {
    const server = await this.deps.server(target);
    const out: EnrollmentStatus[] = [];
    for (const q of queries) {
      const found = /^C\.[0-9a-f]{1,32}$/.test(q)
        ? await server.getClient(q).then(
            (c) => [c],
            (e: unknown) => {
              if (isAppError(e, 'NOT_FOUND')) return [];
              throw e;
            },
          )
        : (HostName.parse(q), await server.searchClients({ search: `host:${q}`, limit: 100 })).filter(
            (c) => c.hostname.toLowerCase() === q.toLowerCase() || c.fqdn.toLowerCase() === q.toLowerCase(),
          );
      out.push({
        query: q,
        enrolled: found.length > 0,
        clients: found.map((c) => ({
          clientId: c.clientId,
          hostname: c.hostname,
          online: c.online,
          ...(c.firstSeen ? { firstSeen: c.firstSeen } : {}),
          ...(c.lastSeen ? { lastSeen: c.lastSeen } : {}),
          labels: c.labels,
        })),
      });
    }
    return out;
  }
}

/** One host's answer to a host-key scan. */
export interface HostKeyScanResult {
  host: string;
  port: number;
  status: 'known' | 'unknown' | 'changed' | 'unreachable';
  keyType?: string;
  fingerprint?: string;
  message?: string;
}
