/**
 * Checks that a deployed server really serves, the same for every target: the API answers over mTLS
 * with the identity we registered (it maps our certificate to that user), and the GUI accepts the
 * admin's password and refuses a wrong one. A server that is still coming up is retried until a
 * deadline; a wrong answer fails at once.
 */
import { request } from 'node:https';
import { AppError, isAppError, messageOf } from '../../../shared/errors';
import { SERVER_NAME } from '../pki/index';
import { ConnectionRegistry, vqlBuilder } from '../velociraptor/index';

export interface RetryOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  onAttempt?: (attempt: number, error: string) => void;
}

const RETRIABLE = new Set([
  'SERVER_UNREACHABLE',
  'TLS_HANDSHAKE_FAILED',
  'TIMEOUT',
  'DEPLOY_TARGET_UNREACHABLE',
]);

async function retry<T>(what: string, fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const retriable = isAppError(e) && RETRIABLE.has(e.code);
      if (!retriable || Date.now() > deadline || options.signal?.aborted) {
        throw new AppError('DEPLOY_VERIFY_FAILED', `${what}: ${messageOf(e)}`, {
          cause: e,
        });
      }
      options.onAttempt?.(attempt, messageOf(e));
      await new Promise((r) => setTimeout(r, Math.min(250 * attempt, 1000)));
    }
  }
}

/** Runs whoami() over the API with this config; resolves with the user the server saw. */
export async function verifyApi(
  apiConfigYaml: string,
  expectedUser: string,
  options: RetryOptions = {},
): Promise<string> {
  // A registry of its own: the check's channel is closed after it, whatever the app holds.
  const registry = new ConnectionRegistry();
  const summary = registry.add('deployment-check', apiConfigYaml);
  try {
    const conn = registry.connection('deployment-check');
    const { build, vql } = vqlBuilder;
    const rows = await retry(
      `The API at ${summary.connectionString} did not answer with the registered identity`,
      async () =>
        (await conn.queryRows(build(vql`SELECT whoami() AS User FROM scope()`), { idempotent: false })).rows,
      options,
    );
    const seen = rows[0]?.User;
    const user = typeof seen === 'string' ? seen : JSON.stringify(seen ?? null);
    if (user !== expectedUser)
      throw new AppError(
        'DEPLOY_VERIFY_FAILED',
        `The API answered as "${user}", not as the registered identity "${expectedUser}".`,
      );
    return user;
  } finally {
    registry.remove('deployment-check');
  }
}

function get(url: string, caPem: string, auth: string | null, signal?: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: caPem,
        // The GUI serves the Frontend certificate, named VelociraptorServer whatever address we dial.
        servername: SERVER_NAME,
        checkServerIdentity: (_host, cert) =>
          cert.subject.CN === SERVER_NAME
            ? undefined
            : new Error(
                `The GUI certificate is for ${[cert.subject.CN].flat().join(', ')}, not ${SERVER_NAME}.`,
              ),
        headers: auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {},
        timeout: 10_000,
        ...(signal ? { signal } : {}),
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new AppError('TIMEOUT', `${url} did not answer in time.`)));
    req.on('error', (e) =>
      reject(
        isAppError(e)
          ? e
          : /certificate|self.signed|unable to verify|SSL|TLS/i.test(e.message)
            ? new AppError(
                'DEPLOY_VERIFY_FAILED',
                `The GUI's certificate is not from the deployment's CA: ${e.message}`,
              )
            : new AppError('SERVER_UNREACHABLE', `${url} cannot be reached: ${e.message}`),
      ),
    );
    req.end();
  });
}

/** The GUI accepts user:password (200) and refuses a wrong password (401). */
export async function verifyGui(
  baseUrl: string,
  caPem: string,
  user: string,
  password: string,
  options: RetryOptions = {},
): Promise<void> {
  const url = new URL('app/index.html', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
  const status = await retry(
    `The GUI at ${baseUrl} did not answer`,
    () => get(url, caPem, `${user}:${password}`, options.signal),
    options,
  );
  if (status !== 200)
    throw new AppError(
      'DEPLOY_VERIFY_FAILED',
      `The GUI at ${baseUrl} refused the administrator's password (HTTP ${status}).`,
    );
  const wrong = await get(url, caPem, `${user}:not-the-password`, options.signal);
  if (wrong !== 401)
    throw new AppError(
      'DEPLOY_VERIFY_FAILED',
      `The GUI at ${baseUrl} let a wrong password in (HTTP ${wrong}): its authentication is off.`,
    );
}
