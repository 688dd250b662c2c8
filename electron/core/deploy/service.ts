/**
 * The deployments domain's one service, built once by the composition root: the runner with every
 * available target (Docker, SSH host, local lab; clouds join here), one Docker client per
 * engine, the release cache in the data dir, the journal folder, and the app's connections as where
 * verified servers land. At start it knows which deployments a dead process left unfinished; the UI
 * offers resume or clean-up for those.
 */
import { join } from 'node:path';
import type { DeploymentSummary } from '../../../shared/contracts/deploy';
import type { ProfileName, ProgressEvent, TargetKind } from '../../../shared/deploy';
import { AppError, asError } from '../../../shared/errors';
import type { ConnectionManager } from '../connections/index';
import type { SecretStore } from '../credentials/index';
import { connectionSink, ConnectionRemover } from './connection-sink';
import { DockerDeployer } from './docker/docker-deployer';
import { DockerEngines } from './docker/engine';
import { isInterrupted, JournalStore, type JournalDoc } from './journal';
import { LabDeployer } from './lab/lab-deployer';
import { SshHostDeployer } from './ssh-host/ssh-host-deployer';
import { HostKeyStore } from './ssh/host-keys';
import type { DeploymentPlan, DeployRequest } from './model';
import { ReleaseCache } from './releases/cache';
import { ReleaseSource, type ReleaseSourceConfig } from './releases/source';
import { DeploymentRunner, type DeployOutcome, type RemovalOutcome, type RunOptions } from './runner';

export interface DeploymentServiceDeps {
  dataDir: string;
  /** The OS keychain, or null when none answered: then nothing can be deployed (secrets live there). */
  secrets: () => Promise<SecretStore | null>;
  connections: ConnectionManager;
  releaseSource?: ReleaseSourceConfig;
}

/**
 * Where releases come from, from the environment: MEGARAPTOR_RELEASE_MIRROR (a mirror base URL) and
 * HTTPS_PROXY / https_proxy; GitHub's API by default. (The settings page will edit the same config.)
 */
export function releaseSourceFromEnv(env: NodeJS.ProcessEnv): ReleaseSourceConfig {
  const proxy = env.HTTPS_PROXY ?? env.https_proxy;
  const base = env.MEGARAPTOR_RELEASE_MIRROR
    ? { kind: 'mirror' as const, baseUrl: env.MEGARAPTOR_RELEASE_MIRROR }
    : { kind: 'github' as const };
  return { ...base, ...(proxy ? { proxy } : {}) };
}

export class DeploymentService {
  readonly engines = new DockerEngines();
  readonly journals: JournalStore;
  readonly releases: ReleaseCache;
  /** SSH host keys the responder confirmed (OpenSSH format, hashed), besides ~/.ssh/known_hosts. */
  readonly hostKeys: HostKeyStore;
  private sshHost: SshHostDeployer | undefined;
  private runnerPromise: Promise<DeploymentRunner> | undefined;

  constructor(private readonly deps: DeploymentServiceDeps) {
    this.journals = new JournalStore(join(deps.dataDir, 'deployments'));
    this.hostKeys = new HostKeyStore({ appFile: join(deps.dataDir, 'ssh', 'known_hosts') });
    this.releases = new ReleaseCache({
      dir: join(deps.dataDir, 'releases'),
      source: new ReleaseSource(deps.releaseSource ?? { kind: 'github' }),
    });
  }

  /** The runner, once the keychain answered (every deployment keeps its secrets there). */
  runner(): Promise<DeploymentRunner> {
    this.runnerPromise ??= (async () => {
      const secrets = await this.deps.secrets();
      if (!secrets)
        throw new AppError(
          'KEYCHAIN_UNAVAILABLE',
          'Deployments keep their CA key, API identity and admin password in the OS keychain, and none is available. Start a Secret Service (gnome-keyring) or unlock the keychain, then try again.',
        );
      const sink = connectionSink(this.deps.connections);
      return new DeploymentRunner({
        journals: this.journals,
        secrets,
        deployers: [
          new DockerDeployer({ engines: this.engines, releases: this.releases, connections: sink }),
          (this.sshHost = new SshHostDeployer({
            ssh: { secrets, hostKeys: this.hostKeys },
            releases: this.releases,
            connections: sink,
          })),
          new LabDeployer({
            labsDir: join(this.deps.dataDir, 'labs'),
            releases: this.releases,
            connections: sink,
          }),
        ],
        removers: [new ConnectionRemover(sink)],
      });
    })();
    this.runnerPromise.catch(() => {
      this.runnerPromise = undefined;
    });
    return this.runnerPromise;
  }

  async plan(
    target: TargetKind,
    request: DeployRequest<unknown> & { profile: ProfileName },
  ): Promise<DeploymentPlan> {
    return (await this.runner()).plan(target, request);
  }

  async deploy(plan: DeploymentPlan, options: RunOptions = {}): Promise<DeployOutcome> {
    return (await this.runner()).deploy(plan, options);
  }

  async list(): Promise<{
    deployments: DeploymentSummary[];
    problems: Array<{ id: string; message: string }>;
  }> {
    const { journals, problems } = await this.journals.list();
    return { deployments: journals.map((j) => summary(j)), problems };
  }

  /** Deployments a dead process left unfinished (checked at start). */
  async interrupted(): Promise<DeploymentSummary[]> {
    return (await this.list()).deployments.filter((d) => d.interrupted);
  }

  async resume(id: string, options: RunOptions = {}): Promise<DeployOutcome> {
    return (await this.runner()).resume(id, options);
  }

  async cleanup(id: string): Promise<RemovalOutcome[]> {
    return (await this.runner()).cleanup(id);
  }

  async destroy(id: string): Promise<RemovalOutcome[]> {
    return (await this.runner()).destroy(id);
  }

  /** Resume as a stream of progress events (the live progress bars and log of the UI). */
  resumeEvents(id: string, signal: AbortSignal): AsyncIterable<ProgressEvent> {
    return events((onEvent) => this.resume(id, { signal, onEvent }));
  }

  async dispose(): Promise<void> {
    this.sshHost?.close();
    await this.engines.close();
  }
}

/** What the Deployments page shows of a journal: never a secret (the journal holds none). */
export function summary(j: JournalDoc): DeploymentSummary {
  return {
    id: j.id,
    name: j.name,
    target: j.target,
    profile: (j.profile as { name?: ProfileName }).name ?? 'standard',
    state: j.state,
    interrupted: isInterrupted(j),
    createdAt: j.createdAt,
    deployedAt: j.deployedAt ?? null,
    autoDestroyAt: j.autoDestroyAt,
    resources: j.resources.map((r) => ({
      kind: r.kind,
      id: r.id,
      title: r.title,
      state: r.state,
      ...(r.error ? { error: r.error } : {}),
    })),
    outputs: j.outputs,
    warnings: j.warnings,
    ...(j.error ? { error: j.error } : {}),
  };
}

/** Turns a run with an onEvent callback into an async stream of its events, ending (or failing) with it. */
async function* events(
  run: (onEvent: (e: ProgressEvent) => void) => Promise<unknown>,
): AsyncGenerator<ProgressEvent> {
  const queue: ProgressEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: Error | undefined;
  const done = run((e) => {
    queue.push(e);
    wake?.();
  }).then(
    () => {
      finished = true;
      wake?.();
    },
    (e: unknown) => {
      failure = asError(e);
      finished = true;
      wake?.();
    },
  );
  while (!finished || queue.length) {
    if (!queue.length) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    while (queue.length) yield queue.shift()!;
  }
  await done;
  if (failure) throw failure;
}
