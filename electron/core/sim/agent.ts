/**
 * The stand-in agent (`megaraptor sim agent --config client.config.yaml`): enrols with the simulator's
 * frontend using OUR OWN simplified protocol (see frontend.ts; not Velociraptor's client protocol),
 * pinning the server certificate to the config's CA, then polls until stopped.
 */
import { request } from 'node:https';
import { hostname as osHostname, networkInterfaces, release as osRelease, arch } from 'node:os';
import { parse } from 'yaml';
import { AppError, asError } from '../../../shared/errors';
import { SERVER_NAME } from './sim-pki';

export interface AgentConfig {
  serverUrls: string[];
  caCertificatePem: string;
  nonce?: string;
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
  return {
    serverUrls: urls,
    caCertificatePem: c.ca_certificate,
    nonce: typeof c.nonce === 'string' ? c.nonce : undefined,
  };
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
): Promise<RunningAgent> {
  const base = new URL(config.serverUrls[0] ?? '');
  const body = { ...identity, nonce: config.nonce };
  const enrolled = await post(new URL('/megaraptor-sim/enrol', base), config.caCertificatePem, body);
  const clientId = String(enrolled.client_id);
  const timer = setInterval(() => {
    post(new URL('/megaraptor-sim/poll', base), config.caCertificatePem, {
      ...body,
      client_id: clientId,
    }).catch(() => undefined);
  }, pollMs);
  return { clientId, stop: () => clearInterval(timer) };
}
