/**
 * "Test connection": each layer checked on its own, so a responder sees which one fails —
 * reachability (TCP or unix socket), TLS (server cert against the config's CA under the pinned
 * name, client cert accepted), identity (the user the server sees) and permissions (the user's
 * roles; the Query API needs ANY_QUERY, e.g. the `api` role). Bounded by one overall timeout.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { AppError, isAppError, type ErrorCode, messageOf } from '../../../shared/errors';
import type { ApiConfig } from './config/api-config';
import { createApiClient } from './client';
import { VelociraptorConnection } from './connection';
import { currentUser, whoami } from './operations/server';

export type StepId = 'reachable' | 'tls' | 'identity' | 'permissions';

export interface ConnectionStep {
  id: StepId;
  status: 'ok' | 'failed' | 'skipped' | 'warning';
  durationMs: number;
  message: string;
  errorCode?: ErrorCode;
  /** What the responder can do about a failure. */
  hint?: string;
}

/** What to do about each failure a step can report, shown next to the step's message. */
const HINTS: Partial<Record<ErrorCode, string>> = {
  SERVER_UNREACHABLE:
    'Check that the server is running and that api_connection_string (host:port, default port 8001) is reachable from this machine: firewall, VPN, port forwarding.',
  TLS_HANDSHAKE_FAILED:
    "The server's certificate was not signed by this config's CA, or its name does not match. Re-export the API config from this server with `velociraptor config api_client`.",
  USER_UNKNOWN:
    'The server does not know this API user. Create it on the server: `velociraptor --config server.config.yaml config api_client --name <user> --role investigator api.config.yaml`.',
  PERMISSION_DENIED:
    'The API user lacks a role. Grant one on the server: `velociraptor acl grant <user> --role investigator` (or administrator).',
  CERT_EXPIRED: 'The API client certificate expired. Mint a new API config on the server.',
  TIMEOUT: 'The server did not answer in time: it may be overloaded or a proxy is holding the connection.',
};

export function connectionHint(code: ErrorCode): string | undefined {
  return HINTS[code];
}

export interface ConnectionTestReport {
  ok: boolean;
  steps: ConnectionStep[];
  user?: string;
  roles?: string[];
}

export interface TestConnectionOptions {
  timeoutMs?: number;
  orgId?: string;
  /** Called as each step starts (status 'running') and ends, for a UI that shows progress live. */
  onStep?: (step: ConnectionStep | { id: StepId; status: 'running' }) => void;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new AppError('TIMEOUT', `${what} did not answer within ${Math.max(0, Math.round(ms))} ms.`)),
      Math.max(0, ms),
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function rawSocket(config: ApiConfig): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s =
      config.endpoint.kind === 'unix'
        ? netConnect({ path: config.endpoint.path })
        : netConnect({ host: config.endpoint.host, port: config.endpoint.port });
    s.once('connect', () => resolve(s));
    s.once('error', (e) =>
      reject(
        new AppError(
          'SERVER_UNREACHABLE',
          `Cannot reach ${config.connectionString}: ${e.message}. Check that the server runs and the API port is open to this machine.`,
          { cause: e },
        ),
      ),
    );
  });
}

/** TLS 1.3 reports a refused client cert only after the handshake: wait briefly for that alert. */
function tlsHandshake(config: ApiConfig): Promise<string> {
  return new Promise((resolve, reject) => {
    const base = {
      ca: config.caCertificatePem,
      cert: config.clientCertPem,
      key: config.clientPrivateKeyPem,
      servername: config.serverName,
      ALPNProtocols: ['h2'],
    };
    const s =
      config.endpoint.kind === 'unix'
        ? tlsConnect({ ...base, path: config.endpoint.path })
        : tlsConnect({ ...base, host: config.endpoint.host, port: config.endpoint.port });
    const fail = (e: Error): void => {
      s.destroy();
      reject(
        new AppError(
          'TLS_HANDSHAKE_FAILED',
          `TLS with ${config.connectionString} failed: ${e.message}. Check that this API config belongs to this server (CA and pinned name "${config.serverName}").`,
          { cause: e },
        ),
      );
    };
    s.once('error', fail);
    s.once('secureConnect', () => {
      const peer = s.getPeerCertificate();
      setTimeout(() => {
        s.removeListener('error', fail);
        s.destroy();
        const cn = peer.subject?.CN;
        resolve(
          `server certificate "${Array.isArray(cn) ? cn.join(',') : (cn ?? '?')}" verified against the config's CA; valid until ${peer.valid_to}`,
        );
      }, 150);
    });
  });
}

export async function testConnection(
  config: ApiConfig,
  options: TestConnectionOptions = {},
): Promise<ConnectionTestReport> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const left = (): number => deadline - Date.now();
  const steps: ConnectionStep[] = [];
  const report: ConnectionTestReport = { ok: false, steps };
  const push = (s: ConnectionStep): void => {
    steps.push(s);
    options.onStep?.(s);
  };
  const run = async (id: StepId, fn: () => Promise<string>, warnOn?: ErrorCode): Promise<boolean> => {
    const t = performance.now();
    options.onStep?.({ id, status: 'running' });
    try {
      const message = await withTimeout(fn(), left(), id);
      push({ id, status: 'ok', durationMs: Math.round(performance.now() - t), message });
      return true;
    } catch (e) {
      const err = isAppError(e) ? e : new AppError('INTERNAL', messageOf(e), { cause: e });
      const hint = HINTS[err.code];
      push({
        id,
        status: err.code === warnOn ? 'warning' : 'failed',
        durationMs: Math.round(performance.now() - t),
        message: err.message,
        errorCode: err.code,
        ...(hint ? { hint } : {}),
      });
      return false;
    }
  };
  const skipRest = (from: StepId[]): void => {
    for (const id of from)
      push({ id, status: 'skipped', durationMs: 0, message: 'Skipped: an earlier step failed.' });
  };

  if (
    !(await run('reachable', async () => {
      const s = await rawSocket(config);
      s.destroy();
      return `Connected to ${config.connectionString}.`;
    }))
  ) {
    skipRest(['tls', 'identity', 'permissions']);
    return report;
  }
  if (!(await run('tls', () => tlsHandshake(config)))) {
    skipRest(['identity', 'permissions']);
    return report;
  }
  const client = createApiClient(config);
  const conn = new VelociraptorConnection('test', options.orgId ?? '', client, config);
  try {
    const identityOk = await run('identity', async () => {
      const user = await whoami(conn, { deadlineMs: Math.max(1, left()) });
      report.user = user;
      if (user !== config.commonName) {
        throw new AppError(
          'USER_UNKNOWN',
          `The server sees user "${user}" but the certificate names "${config.commonName}".`,
        );
      }
      return `The server knows this certificate as user "${user}".`;
    });
    if (!identityOk) {
      skipRest(['permissions']);
      return report;
    }
    await run(
      'permissions',
      async () => {
        const u = await currentUser(conn, { deadlineMs: Math.max(1, left()) });
        report.roles = u.roles;
        return u.roles.length
          ? `Roles in this org: ${u.roles.join(', ')}.`
          : 'The user has no roles in this org.';
        // Queries run (whoami worked) but roles are not readable: a warning, not a failure.
      },
      'PERMISSION_DENIED',
    );
    report.ok = steps.every((s) => s.status === 'ok' || s.status === 'warning');
    return report;
  } finally {
    client.close();
  }
}
