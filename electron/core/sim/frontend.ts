/**
 * The frontend port and its stand-in agent protocol.
 *
 * THIS IS NOT VELOCIRAPTOR'S CLIENT PROTOCOL. It is a simplified enrolment protocol of our own so
 * agent-deployment tests can observe "enrolled" through the API: the agent POSTs JSON over HTTPS
 * (server certificate pinned to the config's CA) to /megaraptor-sim/enrol with its host name and OS,
 * gets a client id, and then POSTs /megaraptor-sim/poll periodically. A real Velociraptor agent
 * cannot talk to it, and this agent cannot talk to a real server.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimPki } from './sim-pki';
import { messageOf } from '../../../shared/errors';

export interface EnrolRequest {
  hostname: string;
  os: 'windows' | 'linux' | 'darwin';
  release: string;
  machine: string;
  fqdn: string;
  mac: string;
  client_id?: string;
  org_id?: string;
  nonce?: string;
  labels: string[];
}

/** Who records an enrolment: the master's world, or a minion that hands it to the master. */
export interface Enroller {
  hasOrg(orgId: string): boolean;
  enrol(orgId: string, request: EnrolRequest, ip: string): { client_id: string };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('request too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

function parseEnrol(body: unknown): EnrolRequest | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const s = (k: string): string => (typeof b[k] === 'string' ? b[k].slice(0, 255) : '');
  const os = s('os');
  if (!s('hostname') || (os !== 'windows' && os !== 'linux' && os !== 'darwin')) return null;
  return {
    hostname: s('hostname'),
    os,
    release: s('release'),
    machine: s('machine'),
    fqdn: s('fqdn') || s('hostname'),
    mac: s('mac'),
    client_id: s('client_id') || undefined,
    org_id: s('org_id') || undefined,
    nonce: s('nonce') || undefined,
    labels: Array.isArray(b.labels)
      ? b.labels.filter((l): l is string => typeof l === 'string').map((l) => l.slice(0, 128))
      : [],
  };
}

export function startFrontendServer(
  host: string,
  port: number,
  pki: SimPki,
  enroller: Enroller,
  nonce: string | undefined,
): Promise<Server> {
  const server = createServer(
    { cert: pki.server.certificatePem, key: pki.server.privateKeyPem, minVersion: 'TLSv1.2' },
    (req: IncomingMessage, res: ServerResponse) => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      // Velociraptor's frontend answers /healthz with 200 once it serves (VR server/comms.go).
      if (req.method === 'GET' && req.url === '/healthz') {
        res.writeHead(200).end();
        return;
      }
      if (
        req.method !== 'POST' ||
        (req.url !== '/megaraptor-sim/enrol' && req.url !== '/megaraptor-sim/poll')
      ) {
        reply(404, {
          error: 'Megaraptor simulator frontend: only the stand-in agent protocol is served here',
        });
        return;
      }
      readJson(req).then(
        (body) => {
          const enrol = parseEnrol(body);
          if (!enrol) return reply(400, { error: 'bad enrolment request' });
          if (nonce && enrol.nonce !== nonce)
            return reply(403, { error: 'nonce does not match this server' });
          const orgId = enrol.org_id && enroller.hasOrg(enrol.org_id) ? enrol.org_id : 'root';
          const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
          const record = enroller.enrol(orgId, enrol, ip);
          reply(200, { client_id: record.client_id, org_id: orgId, simulator: true });
        },
        (e: unknown) => reply(400, { error: messageOf(e) }),
      );
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
