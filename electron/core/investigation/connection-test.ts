/**
 * The step-by-step connection test. Each step isolates one cause so the message can say what to
 * fix: the config itself, the network path, TLS (CA / server name / client cert), whether the
 * server knows the API user, and whether that user may read clients.
 */
import { connect } from 'node:net';
import type { TestStep, TestStepId } from '../../../shared/contracts/connections';
import { isAppError } from '../../../shared/errors';
import { parseConnectionString } from '../velociraptor/config/connection-string';
import type { ServerSummary } from '../velociraptor/registry';
import type { VelociraptorService } from '../velociraptor/service';

const HINTS: Partial<Record<string, string>> = {
  SERVER_UNREACHABLE: 'Check that the server is running and that api_connection_string (host:port, default port 8001) is reachable from this machine: firewall, VPN, port forwarding.',
  TLS_HANDSHAKE_FAILED: 'The server\'s certificate was not signed by this config\'s CA, or its name does not match. Re-export the API config from this server with `velociraptor config api_client`.',
  USER_UNKNOWN: 'The server does not know this API user. Create it on the server: `velociraptor --config server.config.yaml config api_client --name <user> --role investigator api.config.yaml`.',
  PERMISSION_DENIED: 'The API user lacks a role. Grant one on the server: `velociraptor acl grant <user> --role investigator` (or administrator).',
  CERT_EXPIRED: 'The API client certificate expired. Mint a new API config on the server.',
  TIMEOUT: 'The server did not answer in time: it may be overloaded or a proxy is holding the connection.',
};

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    const t = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(t);
      sock.end();
      resolve();
    });
    sock.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

function failed(step: TestStepId, e: unknown): TestStep {
  const code = isAppError(e) ? e.code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  const hint = (code && HINTS[code]) ?? (step === 'reachable' ? HINTS.SERVER_UNREACHABLE : undefined);
  return { step, status: 'failed', message, ...(hint ? { hint } : {}), ...(code ? { code } : {}) };
}

export async function* testConnection(summary: ServerSummary, ops: VelociraptorService, now = new Date()): AsyncGenerator<TestStep> {
  const steps: TestStepId[] = ['config', 'reachable', 'tls', 'identity', 'permissions'];
  const skipRest = function* (from: number): Generator<TestStep> {
    for (const s of steps.slice(from)) yield { step: s, status: 'skipped', message: 'Skipped: an earlier step failed.' };
  };

  yield { step: 'config', status: 'running', message: 'Checking the API config…' };
  if (new Date(summary.certNotAfter) < now) {
    yield { step: 'config', status: 'failed', message: `The client certificate expired on ${summary.certNotAfter}.`, hint: HINTS.CERT_EXPIRED ?? '', code: 'CERT_EXPIRED' };
    yield* skipRest(1);
    return;
  }
  yield { step: 'config', status: 'ok', message: `API user "${summary.user}", certificate valid until ${summary.certNotAfter}.` };

  yield { step: 'reachable', status: 'running', message: `Opening a TCP connection to ${summary.connectionString}…` };
  try {
    const ep = parseConnectionString(summary.connectionString);
    if (ep.kind === 'tcp') {
      await tcpProbe(ep.host, ep.port, 5000);
      yield { step: 'reachable', status: 'ok', message: `${ep.host}:${ep.port} accepts connections.` };
    } else yield { step: 'reachable', status: 'ok', message: `Unix socket ${ep.path}.` };
  } catch (e) {
    yield failed('reachable', e);
    yield* skipRest(2);
    return;
  }

  yield { step: 'tls', status: 'running', message: 'Mutual TLS handshake and health check…' };
  try {
    const status = await ops.conn.check();
    yield { step: 'tls', status: 'ok', message: `TLS established with "${summary.serverName}"; health: ${status}.` };
  } catch (e) {
    yield failed('tls', e);
    yield* skipRest(3);
    return;
  }

  yield { step: 'identity', status: 'running', message: 'Asking the server who we are…' };
  try {
    const user = await ops.whoami();
    yield { step: 'identity', status: 'ok', message: `The server knows us as "${user || summary.user}".` };
  } catch (e) {
    yield failed('identity', e);
    yield* skipRest(4);
    return;
  }

  yield { step: 'permissions', status: 'running', message: 'Checking that this user may read clients…' };
  try {
    const rows = await ops.searchClients({ search: 'all', limit: 1 });
    yield { step: 'permissions', status: 'ok', message: rows.length ? 'Can read clients (READ_RESULTS).' : 'Can read clients (READ_RESULTS); the server has no clients yet.' };
  } catch (e) {
    yield failed('permissions', e);
  }
}
