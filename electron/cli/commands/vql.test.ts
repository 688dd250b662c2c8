import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../core/sim/index';
import { runInProcess } from '../testing/run-cli';

let sim: RunningSimulator;
let dir: string;
let config: string;

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => runInProcess(argv, env, dir);

beforeAll(async () => {
  sim = await startSimulator({ speed: 40 });
  dir = mkdtempSync(join(tmpdir(), 'mr-cli-vql-'));
  config = join(dir, 'api.yaml');
  writeFileSync(config, await sim.mintApiConfig('cli-user', ['administrator']), { mode: 0o600 });
});

afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('megaraptor vql', () => {
  it('streams rows as JSON to stdout and logs to stderr', async () => {
    const r = await run([
      'vql',
      '--api-config',
      config,
      'SELECT whoami() AS User, Host FROM scope()',
      '--env',
      'Host=h1',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([{ User: 'cli-user', Host: 'h1' }]);
    expect(r.err).toContain('Starting query execution');
  });

  it('reads the config from VELOCIRAPTOR_API_CONFIG and writes JSON lines', async () => {
    const r = await run(['vql', '--format', 'jsonl', '--quiet', 'SELECT client_id FROM clients() LIMIT 3'], {
      VELOCIRAPTOR_API_CONFIG: 'api.yaml',
    });
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { client_id: string });
    expect(lines).toHaveLength(3);
    expect(lines[0]?.client_id).toMatch(/^C\./);
    expect(r.err).toBe('');
  });

  it('writes formula-safe CSV', async () => {
    const r = await run([
      'vql',
      '--api-config',
      config,
      '--format',
      'csv',
      '--quiet',
      'SELECT X, 1 AS N FROM scope()',
      '--env',
      'X==HYPERLINK("http://evil","x")',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('X,N\r\n"\'=HYPERLINK(""http://evil"",""x"")",1\r\n');
  });

  it('exits 1 on a VQL error reported as a log line', async () => {
    const r = await run(['vql', '--api-config', config, 'SELECT * FROM no_such_plugin()']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\[ERROR\].*no_such_plugin/);
  });

  it('exits 1 with a typed message on permission errors and 2 on usage errors', async () => {
    const reader = join(dir, 'reader.yaml');
    writeFileSync(reader, await sim.mintApiConfig('cli-reader', ['reader']), { mode: 0o600 });
    const r = await run(['vql', '--api-config', reader, 'SELECT 1 FROM scope()']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('PERMISSION_DENIED');
    expect((await run(['vql', 'SELECT 1 FROM scope()'])).code).toBe(2);
    expect(
      (await run(['vql', '--api-config', config, '--format', 'xml', 'SELECT 1 FROM scope()'])).code,
    ).toBe(2);
  });

  it('honours --org and --max-row', async () => {
    await run([
      'vql',
      '--api-config',
      config,
      "SELECT user_grant(user='cli-user', roles=['administrator'], orgs=['O123']) FROM scope()",
    ]);
    const r = await run([
      'vql',
      '--api-config',
      config,
      '--org',
      'O123',
      '--max-row',
      '1',
      '--format',
      'jsonl',
      '--quiet',
      'SELECT client_id FROM clients()',
    ]);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(3);
    const q = sim.receivedQueries().at(-1);
    expect(q?.orgId).toBe('O123');
    expect(q?.maxRow).toBe(1);
  });

  it('leaves nothing on stdout when it fails before the first row', async () => {
    const unreachable = join(dir, 'unreachable.yaml');
    writeFileSync(
      unreachable,
      (await sim.mintApiConfig('cli-gone', ['api'])).replace(
        /api_connection_string: .*/,
        'api_connection_string: 127.0.0.1:1',
      ),
      { mode: 0o600 },
    );
    const r = await run(['vql', '--api-config', unreachable, 'SELECT 1 FROM scope()']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('SERVER_UNREACHABLE');
    expect(r.out).toBe('');
    const reader = join(dir, 'reader-2.yaml');
    writeFileSync(reader, await sim.mintApiConfig('cli-reader-2', ['reader']), { mode: 0o600 });
    const denied = await run(['vql', '--api-config', reader, 'SELECT 1 FROM scope()']);
    expect(denied.code).toBe(1);
    expect(denied.out).toBe('');
    const none = await run(['vql', '--api-config', config, '--quiet', 'SELECT * FROM clients() WHERE FALSE']);
    expect(none).toMatchObject({ code: 0, out: '[]\n' });
  });

  it('strips terminal control characters from log lines and CSV; --raw keeps them', async () => {
    const hostile = 'Evil\x1b]0;pwned\x07\x1b[2J\x1b[1A\u009b31m';
    const log = ['vql', '--api-config', config, 'SELECT * FROM watch_monitoring(artifact=X)', '--env'];
    const stripped = await run([...log, `X=${hostile}`]);
    expect(stripped.err).toContain('Artifact Evil is not an event artifact');
    // eslint-disable-next-line no-control-regex
    expect(stripped.err).not.toMatch(/[\x1b\x07\u009b]/);
    const raw = await run([...log, `X=${hostile}`, '--raw']);
    expect(raw.err).toContain(hostile);
    const csv = ['vql', '--api-config', config, '--format', 'csv', '--quiet', 'SELECT X FROM scope()'];
    const cells = await run([...csv, '--env', `X=${hostile}`]);
    expect(cells.out).toBe('X\r\nEvil\r\n');
    expect((await run([...csv, '--env', `X=${hostile}`, '--raw'])).out).toContain(hostile);
  });

  it('writes JSON lines cut from the server batches, one row per line', async () => {
    const q = 'SELECT client_id, labels, os_info FROM clients() LIMIT 5';
    const lines = await run([
      'vql',
      '--api-config',
      config,
      '--format',
      'jsonl',
      '--quiet',
      '--max-row',
      '2',
      q,
    ]);
    const array = await run(['vql', '--api-config', config, '--quiet', q]);
    expect(lines.code).toBe(0);
    const parsed = lines.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(parsed).toEqual(JSON.parse(array.out));
    expect(parsed).toHaveLength(5);
  });
});
