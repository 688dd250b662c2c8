/**
 * The built CLI (out/cli/megaraptor.mjs, from `npm run build`) run as a separate process against
 * the simulator over mTLS: what a user, CI job or assistant sandbox runs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, onPath, REPO_ROOT } from '../../../test/real-parts';
import { startSimulator, type RunningSimulator } from '../../core/sim/index';

const CLI = join(REPO_ROOT, 'out', 'cli', 'megaraptor.mjs');
const built = builtCli('vql');
const strace = onPath(['strace'], 'scripts/setup-test-env.sh installs it');

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
  return run(process.execPath, [CLI, ...args], env);
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { PATH: process.env.PATH, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out, err });
    });
  });
}

it(`has ${built.name} (required in CI)`, () => built.check());

describe.runIf(built.run)('megaraptor vql (built CLI)', () => {
  let sim: RunningSimulator;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    sim = await startSimulator({ speed: 40 });
    dir = mkdtempSync(join(tmpdir(), 'mr-cli-int-'));
    config = join(dir, 'api.yaml');
    writeFileSync(config, await sim.mintApiConfig('cli-int', ['investigator', 'api']), { mode: 0o600 });
  });

  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints rows to stdout, logs to stderr, exit 0', async () => {
    const r = await cli(
      [
        'vql',
        '--format',
        'jsonl',
        'SELECT client_id, os_info.hostname AS Host FROM clients(search=Term) LIMIT 2',
        '--env',
        'Term=all',
      ],
      {
        VELOCIRAPTOR_API_CONFIG: config,
      },
    );
    expect(r.code).toBe(0);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { client_id: string });
    expect(rows).toHaveLength(2);
    expect(rows[0]?.client_id).toMatch(/^C\./);
    expect(r.err).toContain('Starting query execution');
  });

  it('exits non-zero on a VQL error and on a missing permission', async () => {
    const bad = await cli(['vql', '--api-config', config, 'SELECT * FROM info()'], {});
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/Permission denied/i);
    const syntax = await cli(['vql', '--api-config', config, 'SELECT FROM WHERE'], {});
    expect(syntax.code).toBe(1);
  });

  // Audit concern "temporary certificate files not securely deleted": key material stays in memory
  // (PEM buffers handed to grpc-js), so a whole query writes no file at all. strace sees every open
  // for writing, creation, rename or mkdir made by the process and its threads.
  it.runIf(strace.run)(
    'writes no file while it connects and queries (no temp copies of the key)',
    async () => {
      strace.check();
      const trace = join(dir, 'trace.txt');
      // Asynchronous: the simulator answering the CLI runs in this process.
      const r = await run(
        'strace',
        [
          '-f',
          '-qq',
          '-e',
          'trace=open,openat,creat,rename,renameat,renameat2,mkdir,mkdirat,link,symlink',
          '-e',
          'status=successful',
          '-o',
          trace,
          process.execPath,
          CLI,
          'vql',
          '--api-config',
          config,
          'SELECT client_id FROM clients() LIMIT 2',
        ],
        {},
      );
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toHaveLength(2);
      const calls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      expect(calls.some((l) => l.includes(config) && l.includes('O_RDONLY'))).toBe(true); // the trace does see file access
      const writes = calls.filter(
        (l) =>
          !/^\d+\s+(open|openat)\(/.test(l.replace(/^\[pid\s+/, '')) || /O_WRONLY|O_RDWR|O_CREAT/.test(l),
      );
      expect(writes.filter((l) => !/"\/dev\//.test(l))).toEqual([]);
    },
  );
});
