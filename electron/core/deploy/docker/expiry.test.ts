/**
 * The Docker timer's query, run by the simulator's drop-in `velociraptor query` against a unix-socket
 * HTTP server standing in for the engine's socket: it sleeps until its time, then asks for the four
 * removals in order (server, config volume, data volume, itself) — and every name arrives through
 * --env, never in the query text.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runVelociraptorCommandLine } from '../../sim/velociraptor-cli';
import { EXPIRY_VQL, expiryArgv, expiryContainerSpec } from './expiry';

let dir: string;
let server: Server;
let seen: Array<{ method: string; url: string; at: number }>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-expiry-'));
  seen = [];
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', at: Date.now() });
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => server.listen(join(dir, 'docker.sock'), r));
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('the self-destruction timer', () => {
  it('sleeps until its time, then removes the server, both volumes and itself through the socket', async () => {
    const at = new Date(Date.now() + 2000);
    const argv = expiryArgv('/usr/local/bin/velociraptor', 'dexp01', at).slice(1);
    // The socket of this test instead of the container's /var/run/docker.sock.
    const socket = join(dir, 'docker.sock');
    const local = argv.map((a) => a.replace('/var/run/docker.sock:unix', `${socket}:unix`));
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const t0 = Date.now();
    const code = await runVelociraptorCommandLine(local, {
      stdout,
      stderr: new PassThrough(),
      stdin: new PassThrough(),
      cwd: dir,
      waitForSignal: () => new Promise(() => undefined),
    });
    expect(code).toBe(0);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'DELETE /containers/megaraptor-dexp01-server?force=true&v=false',
      'DELETE /volumes/megaraptor-dexp01-config?force=true',
      'DELETE /volumes/megaraptor-dexp01-data?force=true',
      'DELETE /containers/megaraptor-dexp01-expiry?force=true',
    ]);
    // Not before its time (whole seconds: the query sleeps until the epoch second).
    expect(seen[0]!.at).toBeGreaterThanOrEqual(Math.floor(at.getTime() / 1000) * 1000 - 50);
    expect(seen[0]!.at - t0).toBeGreaterThan(900);
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { Removed: string }).Removed),
    ).toEqual(['server container', 'config volume', 'data volume', 'this timer']);
  });

  it('keeps names out of the query text and runs with no network and no capabilities', () => {
    expect(EXPIRY_VQL).not.toMatch(/megaraptor-|docker\.sock/);
    const spec = expiryContainerSpec({
      deploymentId: 'dexp01',
      image: 'megaraptor/velociraptor-server:dexp01',
      binary: '/usr/local/bin/velociraptor',
      at: new Date('2031-01-01T00:00:00Z'),
      engineSocket: '/run/user/1000/docker.sock',
    });
    expect(spec.HostConfig).toMatchObject({
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      ReadonlyRootfs: true,
      RestartPolicy: { Name: 'unless-stopped' },
      Mounts: [{ Type: 'bind', Source: '/run/user/1000/docker.sock', Target: '/var/run/docker.sock' }],
    });
    expect(spec.Cmd).toContain('DestroyAtEpoch=1924992000');
  });
});
