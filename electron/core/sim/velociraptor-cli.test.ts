/**
 * The simulator's drop-in command line, in process: `user add` before start persists in the datastore
 * and `frontend` serves that user over mTLS; the GUI takes the admin's initial_users hash; the local
 * `query` health check exits 0 against a live frontend and 1 against a dead one, as Velociraptor's does.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { writeApiClientConfig, writeServerConfig } from '../pki/config-files';
import { issueApiClientCertificate } from '../pki/certificates';
import { testChain } from '../pki/testing/fixtures';
import { createApiClient } from '../velociraptor/client';
import { loadApiConfig } from '../velociraptor/config/api-config';
import { VelociraptorConnection } from '../velociraptor/connection';
import { build, vql } from '../velociraptor/vql/builder';
import { USER_FILE } from './user-file';
import { capturedIo, type CapturedIo } from './testing/captured-io';
import { parseVelociraptorArgs, runVelociraptorCommandLine } from './velociraptor-cli';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-vrcli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const io = (): CapturedIo => capturedIo(dir);

/** Resolves when `text()` matches, polling every 20 ms for up to 10 s. */
async function until(text: () => string, re: RegExp): Promise<RegExpExecArray> {
  for (let i = 0; i < 500; i++) {
    const m = re.exec(text());
    if (m) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${re} in:\n${text()}`);
}

async function serverConfig(): Promise<string> {
  const chain = await testChain();
  const written = writeServerConfig({
    caCertificatePem: chain.ca.certificatePem,
    frontend: chain.frontend,
    gateway: chain.gateway,
    frontendHostname: 'localhost',
    placement: 'host',
    ports: { frontend: 0 + 1, api: 2, gui: 3 },
    admins: [{ name: 'admin', password: 'correct horse battery' }],
    datastoreDir: join(dir, 'datastore'),
  });
  // Free ports: 0 lets each listener pick one (the simulator reports them).
  const config = written.config as Record<string, Record<string, unknown>>;
  config.API!.bind_port = 0;
  config.GUI!.bind_port = 0;
  config.Frontend!.bind_port = 0;
  const path = join(dir, 'server.config.yaml');
  await writeFile(path, stringify(config));
  return path;
}

describe('velociraptor command line (simulator)', () => {
  it('tells its commands from the simulator options', () => {
    expect(parseVelociraptorArgs(['--config', 'f.yaml', 'frontend', '-v'])).toEqual({
      config: 'f.yaml',
      command: 'frontend',
      rest: [],
    });
    expect(parseVelociraptorArgs(['user', 'add', 'bob', 'pw', '--role', 'api', '--config=f'])).toEqual({
      config: 'f',
      command: 'user',
      rest: ['add', 'bob', 'pw', '--role', 'api'],
    });
    expect(parseVelociraptorArgs(['--port', '1'])).toBeNull();
    expect(parseVelociraptorArgs(['--config', 'f'])).toBeNull();
  });

  it('says it is the simulator in `version`', async () => {
    const t = io();
    expect(await runVelociraptorCommandLine(['version'], t)).toBe(0);
    expect(t.out()).toMatch(/^name: velociraptor\nversion: \d+\.\d+\.\d+\n/);
    expect(t.out()).toMatch(/SIMULATOR — not a real Velociraptor server/);
  });

  it('fails `user add` without a password and without a terminal, as Velociraptor does', async () => {
    const t = io();
    const config = await serverConfig();
    expect(
      await runVelociraptorCommandLine(['--config', config, 'user', 'add', 'bot', '--role', 'api'], t),
    ).toBe(1);
    expect(t.err()).toMatch(/Unable to read password from terminal/);
    const bad = io();
    expect(
      await runVelociraptorCommandLine(
        ['--config', config, 'user', 'add', 'bot', 'pw-long-enough', '--role', 'root'],
        bad,
      ),
    ).toBe(1);
    expect(bad.err()).toMatch(/Invalid role root/);
  });

  it('serves users added before the start, and the admin of initial_users', async () => {
    const config = await serverConfig();
    const add = io();
    expect(
      await runVelociraptorCommandLine(
        ['--config', config, 'user', 'add', 'app-bot', 'throw-away-password', '--role', 'api,investigator'],
        add,
      ),
    ).toBe(0);
    const stored = JSON.parse(await readFile(join(dir, 'datastore', USER_FILE), 'utf8')) as {
      users: Array<{ name: string; password: { password_hash: string } }>;
    };
    expect(stored.users.map((u) => u.name)).toEqual(['app-bot']);
    expect(JSON.stringify(stored)).not.toContain('throw-away-password');

    const t = io();
    const running = runVelociraptorCommandLine(['--config', config, 'frontend', '-v'], t);
    const api = Number((await until(t.err, /gRPC API server on [\d.]+:(\d+)/))[1]);
    const gui = Number((await until(t.err, /GUI is ready .*:(\d+)\//))[1]);
    const fe = Number((await until(t.err, /Frontend is ready .*:(\d+)\//))[1]);

    const chain = await testChain();
    const cert = await issueApiClientCertificate(chain.ca, 'app-bot');
    const cfg = loadApiConfig(
      writeApiClientConfig({
        caCertificatePem: chain.ca.certificatePem,
        client: cert,
        name: 'app-bot',
        apiConnectionString: `127.0.0.1:${api}`,
      }),
    );
    const client = createApiClient(cfg);
    try {
      const conn = new VelociraptorConnection('t', '', client, cfg);
      const r = await conn.queryRows(build(vql`SELECT whoami() AS Me FROM scope()`));
      expect(r.rows).toEqual([{ Me: 'app-bot' }]);
    } finally {
      client.close();
    }

    const auth = (pw: string) => ({
      Authorization: `Basic ${Buffer.from(`admin:${pw}`).toString('base64')}`,
    });
    const ok = await fetchInsecure(
      `https://127.0.0.1:${gui}/api/v1/GetUserUITraits`,
      auth('correct horse battery'),
    );
    expect(ok.status).toBe(200);
    expect((await fetchInsecure(`https://127.0.0.1:${gui}/`, auth('wrong'))).status).toBe(401);

    // The container health check: a local query that logs an ERROR when /healthz does not answer 200.
    const health = (port: number) =>
      `SELECT log(level='ERROR', message='Velociraptor frontend is not healthy: %v', args=Response, dedup=-1) FROM http_client(url='https://127.0.0.1:${port}/healthz', disable_ssl_security=TRUE) WHERE Response != 200`;
    const healthy = io();
    expect(await runVelociraptorCommandLine(['query', health(fe)], healthy)).toBe(0);
    expect(healthy.out().trim()).toBe('[]');
    t.stop();
    expect(await running).toBe(0);
    const dead = io();
    expect(await runVelociraptorCommandLine(['query', health(fe)], dead)).toBe(1);
    expect(dead.err()).toMatch(/\[ERROR\] .* Velociraptor frontend is not healthy: 500/);
  });
});

async function fetchInsecure(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
