/**
 * Docker engines the app talks to: ONE dockerode client per engine for the life of the app (kept
 * alive connections; the old tool made a new client per call), created on first use and closed
 * cleanly at shutdown. An engine is addressed by an EngineRef the journal can hold (no secret in it:
 * TLS files are paths), so clean-up after a crash reaches the same engine again.
 */
import { Agent as HttpAgent } from 'node:http';
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { AppError, isAppError } from '../../../../shared/errors';

export type EngineRef =
  | { kind: 'socket'; path: string }
  | { kind: 'tcp'; host: string; port: number; tls?: { caPath: string; certPath: string; keyPath: string } };

/** The engine Docker's own CLI would use: DOCKER_HOST, else the platform's default socket. */
export function engineFromEnv(env: NodeJS.ProcessEnv = process.env, platform = process.platform): EngineRef {
  const host = env.DOCKER_HOST;
  if (!host)
    return { kind: 'socket', path: platform === 'win32' ? '//./pipe/docker_engine' : '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { kind: 'socket', path: host.slice('unix://'.length) };
  if (host.startsWith('npipe://'))
    return { kind: 'socket', path: host.slice('npipe://'.length) || '//./pipe/docker_engine' };
  const url = new URL(host.includes('//') ? host : `tcp://${host}`);
  if (url.protocol !== 'tcp:')
    throw new AppError(
      'INVALID_ARGUMENT',
      `DOCKER_HOST ${url.protocol}// engines are not supported; use unix://, npipe:// or tcp://.`,
    );
  const certDir = env.DOCKER_CERT_PATH;
  const tls =
    env.DOCKER_TLS_VERIFY === '1' && certDir
      ? { caPath: `${certDir}/ca.pem`, certPath: `${certDir}/cert.pem`, keyPath: `${certDir}/key.pem` }
      : undefined;
  return {
    kind: 'tcp',
    host: url.hostname,
    port: Number(url.port || (tls ? 2376 : 2375)),
    ...(tls ? { tls } : {}),
  };
}

/** A stable, human-readable key (the `scope` of the resources made on that engine). */
export function engineKey(ref: EngineRef): string {
  return ref.kind === 'socket'
    ? ref.path.startsWith('//./pipe/')
      ? `npipe://${ref.path}`
      : `unix://${ref.path}`
    : `${ref.tls ? 'tcp+tls' : 'tcp'}://${ref.host}:${ref.port}`;
}

/** Whether the engine runs on this machine (then ports and disk can be checked here). */
export function engineIsLocal(ref: EngineRef): boolean {
  return ref.kind === 'socket' || ref.host === '127.0.0.1' || ref.host === 'localhost' || ref.host === '::1';
}

/**
 * dockerode is loaded on first use: it pulls in ssh2's native addon, which the CLI bundle must not
 * carry (the simulator runs from that bundle in a container without node_modules).
 */
async function client(options: Docker.DockerOptions, agent: HttpAgent): Promise<Docker> {
  const { default: DockerClient } = await import('dockerode');
  // docker-modem takes an `agent` (its keep-alive pool); dockerode's types do not list it.
  const withAgent: Docker.DockerOptions & { agent: HttpAgent } = { ...options, agent };
  return new DockerClient(withAgent);
}

interface Entry {
  docker: Docker;
  agent: HttpAgent;
}

export class DockerEngines {
  private readonly engines = new Map<string, Promise<Entry>>();
  private closed = false;

  /** The one client of this engine. */
  async get(ref: EngineRef): Promise<Docker> {
    if (this.closed)
      throw new AppError('INTERNAL', 'The Docker engines were already closed (the app is stopping).');
    const key = engineKey(ref);
    let entry = this.engines.get(key);
    if (!entry) {
      entry = this.open(ref);
      this.engines.set(key, entry);
      entry.catch(() => this.engines.delete(key));
    }
    return (await entry).docker;
  }

  private async open(ref: EngineRef): Promise<Entry> {
    // Keep-alive: every call of a deployment reuses a few connections instead of opening one each.
    const agent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
    if (ref.kind === 'socket') return { docker: await client({ socketPath: ref.path }, agent), agent };
    if (!ref.tls) {
      if (!engineIsLocal(ref))
        throw new AppError(
          'DEPLOY_PREFLIGHT_FAILED',
          `The Docker engine at ${ref.host}:${ref.port} is reached without TLS: anyone on the network could drive it. Enable TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) or use an SSH tunnel.`,
        );
      return { docker: await client({ host: ref.host, port: ref.port, protocol: 'http' }, agent), agent };
    }
    const [ca, cert, key] = await Promise.all([
      readFile(ref.tls.caPath),
      readFile(ref.tls.certPath),
      readFile(ref.tls.keyPath),
    ]).catch((cause: unknown) => {
      throw new AppError(
        'DEPLOY_TARGET_UNREACHABLE',
        `The Docker engine's TLS files cannot be read: ${(cause as Error).message}`,
        { cause },
      );
    });
    const tlsAgent = new (await import('node:https')).Agent({
      keepAlive: true,
      maxSockets: 8,
      ca,
      cert,
      key,
    });
    return {
      docker: await client({ host: ref.host, port: ref.port, protocol: 'https', ca, cert, key }, tlsAgent),
      agent: tlsAgent,
    };
  }

  /** Engines opened so far (diagnostics and tests). */
  size(): number {
    return this.engines.size;
  }

  /** Closes every client's connections (app shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.engines.values()];
    this.engines.clear();
    for (const e of entries) {
      const entry = await e.catch(() => undefined);
      entry?.agent.destroy();
    }
  }
}

/** A dockerode error as the responder should read it. */
/** How long a pull or an image import may go without a progress message before it counts as stalled. */
export const PROGRESS_IDLE_MS = 120_000;

/**
 * Follows a pull or import stream to its end; the engine's error messages in the stream reject it.
 * A registry that stops sending (a dead proxy, a half-open connection) would otherwise leave the
 * deployment waiting for ever: no progress message for `idleMs` ends the stream with TIMEOUT.
 */
export function followProgress(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  what: string,
  idleMs = PROGRESS_IDLE_MS,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        reject(
          new AppError(
            'TIMEOUT',
            `Docker sent no progress for ${Math.round(idleMs / 1000)} s while ${what}: the registry or the engine stalled. Check the engine's network and proxy settings, then try again.`,
            { details: { idleMs } },
          ),
        );
        (stream as { destroy?: () => void }).destroy?.();
      }, idleMs);
    };
    arm();
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        clearTimeout(timer);
        if (err) return reject(err);
        const failure = output.find((o) => o.error || o.errorDetail);
        if (failure) return reject(new Error(failure.errorDetail?.message ?? failure.error ?? 'failed'));
        resolve();
      },
      arm,
    );
  });
}

export function dockerError(e: unknown, what: string): AppError {
  if (isAppError(e)) return e;
  const err = e as { statusCode?: number; json?: { message?: string }; message?: string; code?: string };
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'EACCES')
    return new AppError(
      'DEPLOY_TARGET_UNREACHABLE',
      `The Docker engine cannot be reached (${err.code}) while ${what}. Is Docker running, and may this user use its socket?`,
      { cause: e, details: { code: err.code } },
    );
  const message = err.json?.message ?? err.message ?? String(e);
  return new AppError('DEPLOY_FAILED', `Docker refused ${what}: ${message.trim()}`, {
    cause: e,
    details: { status: err.statusCode ?? null },
  });
}

export function isNotFound(e: unknown): boolean {
  return (e as { statusCode?: number }).statusCode === 404;
}
