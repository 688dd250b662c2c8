/**
 * What the app, the CLI and MCP use for agent pushes: one runner over the run journals in the data
 * dir (`agent-runs/`), the SSH pusher built on the deployments' release cache and host-key store (the
 * same verified binaries and the same confirmed keys as server deployments), the servers agents enrol
 * with through the app's connections. Runs in flight can be cancelled by id; a run a dead process left
 * is resumed from its journal.
 */
import { join } from 'node:path';
import type { PushHostInput } from '../../../../shared/agents';
import { AppError } from '../../../../shared/errors';
import type { SecretStore } from '../../credentials/index';
import type { VelociraptorService } from '../../velociraptor/index';
import type { ReleaseCache } from '../releases/cache';
import type { ConfirmHostKey, HostKeyStore } from '../ssh/index';
import { AgentPushRunner, type RunOptions } from './fanout';
import { AgentRunStore, type AgentRunDoc } from './run-journal';
import { SshAgentPusher, type SshPushSettingsInput } from './ssh-push';
import { runSummary, summaryCsv } from './summary';
import { WinRmAgentPusher, type WinRmPushSettingsInput } from './winrm-push';

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
    const winrm = new WinRmAgentPusher({
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
}
