/**
 * The stand-in agent (`megaraptor sim agent --config client.config.yaml`): enrols with the simulator's
 * frontend using OUR OWN simplified protocol (see frontend.ts; not Velociraptor's client protocol),
 * pinning the server certificate to the config's CA, then polls until stopped. Like Velociraptor's
 * client it keeps its identity in the writeback file of its OS (Client.writeback_linux …): an RSA key
 * whose public modulus gives the client id (VR crypto/utils ClientIDFromPublicKey), so a reinstalled
 * agent that kept its writeback comes back under the same id; and it reports Client.labels, which the
 * server applies at enrolment (VR actions/client_info.go).
 */
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { request } from 'node:https';
import { hostname as osHostname, networkInterfaces, release as osRelease, arch } from 'node:os';
import { parse, stringify } from 'yaml';
import { AppError, asError } from '../../../shared/errors';
import { SERVER_NAME } from './sim-pki';

export interface AgentConfig {
  serverUrls: string[];
  caCertificatePem: string;
  nonce?: string;
  labels: string[];
  writeback: { linux?: string; darwin?: string; windows?: string };
}

export function parseClientConfig(text: string): AgentConfig {
  const doc = parse(text) as unknown;
  const client =
    typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).Client : undefined;
  if (typeof client !== 'object' || client === null)
    throw new AppError('CONFIG_MISSING_KEY', 'The client config has no Client section.');
  const c = client as Record<string, unknown>;
  const urls = Array.isArray(c.server_urls)
    ? c.server_urls.filter((u): u is string => typeof u === 'string')
    : [];
  if (!urls.length) throw new AppError('CONFIG_MISSING_KEY', 'The client config has no Client.server_urls.');
  if (typeof c.ca_certificate !== 'string')
    throw new AppError('CONFIG_MISSING_KEY', 'The client config has no Client.ca_certificate.');
  const opt = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  return {
    serverUrls: urls,
    caCertificatePem: c.ca_certificate,
    nonce: opt(c.nonce),
    labels: Array.isArray(c.labels) ? c.labels.filter((l): l is string => typeof l === 'string') : [],
    writeback: {
      linux: opt(c.writeback_linux),
      darwin: opt(c.writeback_darwin),
      windows: opt(c.writeback_windows),
    },
  };
}

/** Velociraptor's client id of an RSA public key: "C." + hex of the first 8 bytes of sha256(mpint(N)). */
export function clientIdOfKey(privateKeyPem: string): string {
  const jwk = createPublicKey(privateKeyPem).export({ format: 'jwk' });
  let n = Buffer.from(String(jwk.n), 'base64url');
  while (n.length > 1 && n[0] === 0) n = n.subarray(1);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(n.length + 1, 0);
  return `C.${createHash('sha256')
    .update(Buffer.concat([prefix, n]))
    .digest('hex')
    .slice(0, 16)}`;
}

/**
 * The agent's identity from its writeback file, made (key, client id, install time; mode 0600) when
 * the file does not exist yet — as Velociraptor's client does at its first start.
 */
export function loadOrCreateWriteback(
  path: string,
  now = Date.now(),
): { clientId: string; created: boolean } {
  if (existsSync(path)) {
    const doc = parse(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
    const key = typeof doc?.private_key === 'string' ? doc.private_key : undefined;
    if (!key) throw new AppError('CONFIG_MISSING_KEY', `The writeback ${path} holds no private_key.`);
    return { clientId: clientIdOfKey(key), created: false };
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const clientId = clientIdOfKey(pem);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    stringify(
      { install_time: Math.floor(now / 1000), private_key: pem, client_id: clientId },
      { lineWidth: 0 },
    ),
    { mode: 0o600 },
  );
  return { clientId, created: true };
}

export interface AgentIdentity {
  hostname: string;
  os: 'windows' | 'linux' | 'darwin';
  release: string;
  machine: string;
  fqdn: string;
  mac: string;
}

export function localIdentity(overrides: Partial<AgentIdentity> = {}): AgentIdentity {
  const mac =
    Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.mac !== '00:00:00:00:00:00')?.mac ?? '';
  const os = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'darwin' : 'linux';
  return {
    hostname: osHostname(),
    os,
    release: osRelease(),
    machine: arch() === 'x64' ? 'x86_64' : arch(),
    fqdn: osHostname(),
    mac,
    ...overrides,
  };
}

function post(url: URL, caPem: string, body: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: caPem,
        servername: SERVER_NAME,
        // Pinned to the config's CA; the certificate must name the Velociraptor server, not the host dialled.
        checkServerIdentity: (_host, cert) =>
          cert.subject?.CN === SERVER_NAME
            ? undefined
            : new Error(`server certificate is for ${String(cert.subject?.CN)}, not ${SERVER_NAME}`),
        headers: { 'Content-Type': 'application/json' },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
            if ((res.statusCode ?? 500) >= 400)
              reject(new Error(`enrolment refused (${res.statusCode ?? 0}): ${String(json.error)}`));
            else resolve(json);
          } catch (e) {
            reject(asError(e));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

export interface RunningAgent {
  clientId: string;
  stop(): void;
}

/** Enrols, then polls every `pollMs` until stop(). */
export async function runAgent(
  config: AgentConfig,
  identity: AgentIdentity,
  pollMs = 10_000,
  knownId?: string,
): Promise<RunningAgent> {
  const body = {
    ...identity,
    nonce: config.nonce,
    labels: config.labels,
    ...(knownId ? { client_id: knownId } : {}),
  };
  // Like Velociraptor's client, the next frontend of Client.server_urls when one does not answer.
  let enrolled: Record<string, unknown> | undefined;
  let base = new URL(config.serverUrls[0] ?? '');
  let lastError: unknown;
  for (const url of config.serverUrls) {
    try {
      base = new URL(url);
      enrolled = await post(new URL('/megaraptor-sim/enrol', base), config.caCertificatePem, body);
      break;
    } catch (e) {
      lastError = e;
    }
  }
  if (!enrolled) throw asError(lastError);
  const clientId = String(enrolled.client_id);
  const timer = setInterval(() => {
    post(new URL('/megaraptor-sim/poll', base), config.caCertificatePem, {
      ...body,
      client_id: clientId,
    }).catch(() => undefined);
  }, pollMs);
  return { clientId, stop: () => clearInterval(timer) };
}
