/**
 * The GUI port: HTTPS with Basic authentication against GUI.initial_users (and users given a password
 * by user_create), checked with Velociraptor's password scheme (pki/password-hash.ts). It serves a
 * small page and JSON that say plainly this is the simulator, not Velociraptor's GUI.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyPassword } from '../pki/index';
import type { SimPki } from './sim-pki';
import type { UserStore } from './users';

export const SIMULATOR_BANNER = 'Megaraptor Velociraptor SIMULATOR — not a real Velociraptor server';

function authenticate(req: IncomingMessage, users: UserStore): string | null {
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const name = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const user = users.get(name);
  if (!user?.password) return null;
  return verifyPassword(password, user.password) ? name : null;
}

export function startGuiServer(
  host: string,
  port: number,
  pki: SimPki,
  users: UserStore,
  version: string,
): Promise<Server> {
  const server = createServer(
    { cert: pki.server.certificatePem, key: pki.server.privateKeyPem, minVersion: 'TLSv1.2' },
    (req: IncomingMessage, res: ServerResponse) => {
      const user = authenticate(req, users);
      if (!user) {
        res.writeHead(401, {
          'WWW-Authenticate': 'Basic realm="Velociraptor (Megaraptor simulator)"',
          'Content-Type': 'text/plain; charset=utf-8',
        });
        res.end('Unauthorized\n');
        return;
      }
      const info = {
        simulator: true,
        product: 'Megaraptor Velociraptor simulator',
        version,
        user,
        note: SIMULATOR_BANNER,
      };
      if ((req.url ?? '/').startsWith('/api/')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(info));
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': "default-src 'none'",
      });
      res.end(
        `<!doctype html><html><head><title>Velociraptor simulator (Megaraptor)</title></head><body><h1>Velociraptor simulator</h1><p>${SIMULATOR_BANNER}.</p><p>Signed in as ${user.replace(/[<>&"']/g, '')}. Version ${version}.</p></body></html>`,
      );
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
