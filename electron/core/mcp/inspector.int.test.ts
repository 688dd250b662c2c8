/**
 * The MCP Inspector CLI — a client nobody here wrote — against `megaraptor mcp --stdio` (the built
 * CLI in out/, run by the project's own Node given as an absolute path) and the simulator. The
 * Inspector needs Node >= 22: it and an npm-packaged Node 22 live in tools/mcp-inspector (pinned by
 * its lockfile, installed by scripts/setup-test-env.sh with `npm ci --prefix tools/mcp-inspector`), so
 * nothing is fetched here and Node 22 never lands on this suite's PATH. Inspector exit codes: 0 ok,
 * 5 tool error, 4 unreachable, 3 auth required.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allOf, builtCli, files } from '../../../test/real-parts';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { toolsFor } from './registry';

const root = resolve(import.meta.dirname, '..', '..', '..');
const node22 = join(root, 'tools', 'mcp-inspector', 'node_modules', 'node', 'bin', 'node');
/**
 * By its real path: the CLI runs only when argv[1] is its own file, and tools/mcp-inspector/node_modules
 * may be a link (a git worktree sharing another checkout's install).
 */
const inspectorCliPath = join(
  root,
  'tools',
  'mcp-inspector',
  'node_modules',
  '@modelcontextprotocol',
  'inspector',
  'clients',
  'cli',
  'build',
  'index.js',
);
const inspectorCli = existsSync(inspectorCliPath) ? realpathSync(inspectorCliPath) : inspectorCliPath;
const megaraptor = join(root, 'out', 'cli', 'megaraptor.mjs');
const parts = allOf('the pinned Inspector and the built CLI', [
  files('the MCP Inspector package', [node22, inspectorCli], 'npm ci --prefix tools/mcp-inspector'),
  builtCli('mcp'),
]);
const ready = parts.ready;

let sim: RunningSimulator | undefined;
let dir: string;
let configPath: string;

beforeAll(async () => {
  if (!ready) return;
  sim = await startSimulator({ host: '127.0.0.1', speed: 50 });
  dir = mkdtempSync(join(tmpdir(), 'mr-inspector-'));
  configPath = join(dir, 'api.yaml');
  writeFileSync(configPath, await sim.mintApiConfig('mcp-inspector', ['administrator']), { mode: 0o600 });
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the Inspector CLI under Node 22 against our stdio server under the project's Node. */
function inspect(...args: string[]): Promise<Run> {
  const target = [process.execPath, megaraptor, 'mcp', '--stdio', '--api-config', configPath];
  const env = {
    // Only what the Inspector needs: a PATH without node22 on it, its catalog in the temp dir.
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    MCP_CATALOG_PATH: join(dir, 'catalog.json'),
  };
  return new Promise((done) => {
    execFile(
      node22,
      [
        inspectorCli,
        ...target,
        '-e',
        `MEGARAPTOR_DATA_DIR=${join(dir, 'data')}`,
        '--format',
        'json',
        ...args,
      ],
      { env, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** The Inspector's `--format json` answer: `{"result": <the MCP result>}`. */
function json<T>(r: Run): T {
  try {
    const parsed = JSON.parse(r.stdout) as { result?: T };
    if (parsed.result === undefined) throw new Error('no result');
    return parsed.result;
  } catch {
    throw new Error(
      `Inspector printed no JSON (exit ${r.code}): ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`,
    );
  }
}

describe('MCP Inspector CLI against megaraptor mcp --stdio', () => {
  it(`has ${parts.name} (required in CI)`, () => parts.check());

  it.runIf(ready)(
    'lists tools, resources and prompts',
    async () => {
      const tools = await inspect('--method', 'tools/list');
      expect(tools.code, tools.stderr).toBe(0);
      const names = json<{ tools: Array<{ name: string; annotations?: { readOnlyHint?: boolean } }> }>(
        tools,
      ).tools.map((t) => t.name);
      expect(names.sort()).toEqual(
        // A stdio server has no deployments: the app's endpoint alone offers those tools.
        toolsFor({})
          .map((t) => t.name)
          .sort(),
      );

      const resources = await inspect('--method', 'resources/list');
      expect(resources.code, resources.stderr).toBe(0);
      expect(json<{ resources: Array<{ uri: string }> }>(resources).resources.map((r) => r.uri)).toContain(
        'velociraptor://clients',
      );

      const prompts = await inspect('--method', 'prompts/list');
      expect(prompts.code, prompts.stderr).toBe(0);
      expect(json<{ prompts: Array<{ name: string }> }>(prompts).prompts.map((p) => p.name)).toContain(
        'triage_incident',
      );
    },
    120_000,
  );

  it.runIf(ready)(
    'calls a read tool',
    async () => {
      const r = await inspect(
        '--method',
        'tools/call',
        '--tool-name',
        'search_clients',
        '--tool-arg',
        'search=all',
        'max_rows=3',
      );
      expect(r.code, r.stderr).toBe(0);
      const out = json<{ isError?: boolean; structuredContent: { rows: Array<{ client_id: string }> } }>(r);
      expect(out.isError ?? false).toBe(false);
      expect(out.structuredContent.rows).toHaveLength(3);
      expect(out.structuredContent.rows[0]!.client_id).toMatch(/^C\./);
    },
    60_000,
  );

  it.runIf(ready)(
    'a destructive tool is refused without approval (exit 5, POLICY_FORBIDDEN) and nothing is collected',
    async () => {
      const found = json<{ structuredContent: { rows: Array<{ client_id: string }> } }>(
        await inspect(
          '--method',
          'tools/call',
          '--tool-name',
          'search_clients',
          '--tool-arg',
          'search=all',
          'max_rows=1',
        ),
      );
      const clientId = found.structuredContent.rows[0]!.client_id;
      const before = sim!.receivedQueries().length;
      const r = await inspect(
        '--method',
        'tools/call',
        '--tool-name',
        'quarantine_client',
        '--tool-arg',
        `client_id=${clientId}`,
      );
      expect(r.code).toBe(5);
      expect(r.stdout + r.stderr).toContain('POLICY_FORBIDDEN');
      expect(r.stdout + r.stderr).toMatch(/needs the responder's approval/);
      // The refusal came before any query that could change the endpoint.
      const sent = sim!
        .receivedQueries()
        .slice(before)
        .flatMap((q) => q.queries.map((x) => x.VQL));
      expect(sent.filter((v) => /collect_client|label\(/.test(v))).toEqual([]);
    },
    60_000,
  );
});
