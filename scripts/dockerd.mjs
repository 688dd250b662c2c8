// A Docker engine of the test run's own (test-recipes.md): Debian's dockerd on a socket, data root
// and exec root in a temp dir, no iptables, no bridge (tests reach containers on 127.0.0.1 through
// host networking; nothing gets a private-range address). Used by scripts/test.mjs around the
// integration stage and by the Docker tests when run on their own.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why no engine can be started here, or null when one can. */
export function dockerdUnavailable() {
  if (process.platform !== 'linux') return 'dockerd runs on Linux only';
  if (spawnSync('sh', ['-c', 'command -v dockerd'], { stdio: 'ignore' }).status !== 0)
    return 'dockerd is not installed (scripts/setup-test-env.sh installs docker.io)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'dockerd needs root';
  return null;
}

function ping(socket) {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts dockerd and resolves once it answers /_ping: { socket, host (DOCKER_HOST form), dir, pid }. */
export async function startDockerd() {
  const why = dockerdUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'megaraptor-dockerd-'));
  const socket = join(dir, 'docker.sock');
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child = spawn(
    'dockerd',
    [
      '--iptables=false',
      '--bridge=none',
      '--host',
      `unix://${socket}`,
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'docker.pid'),
    ],
    { stdio: ['ignore', log, log], detached: true },
  );
  child.unref();
  for (let i = 0; i < 120; i++) {
    if (await ping(socket)) return { socket, host: `unix://${socket}`, dir, pid: child.pid };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const output = existsSync(join(dir, 'dockerd.log'))
    ? readFileSync(join(dir, 'dockerd.log'), 'utf8').slice(-2000)
    : '';
  await stopDockerd({ dir, pid: child.pid });
  throw new Error(`dockerd did not answer within 30 s:\n${output}`);
}

/** Stops it (SIGTERM, then SIGKILL after 15 s), unmounts what it left and removes its folder. */
export async function stopDockerd({ dir, pid }) {
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    for (let i = 0; i < 60; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  spawnSync('umount', [join(dir, 'exec', 'netns', 'default')], { stdio: 'ignore' });
  // Overlay mounts of containers a killed daemon left behind.
  const mounts = spawnSync('sh', ['-c', `grep -o ' ${join(dir, 'data')}[^ ]*' /proc/mounts | sort -r`], {
    encoding: 'utf8',
  });
  for (const m of (mounts.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean))
    spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
