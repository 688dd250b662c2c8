/**
 * Starts a real `node out/cli/megaraptor.mjs serve --port 0 --json` with its own data dir and reads
 * its "listening" line. Used by the Playwright fixture (one server per spec file) and usable from
 * any spec that needs a second server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI = join(ROOT, 'out', 'cli', 'megaraptor.mjs');

export interface ServeInfo {
  url: string;
  origin: string;
  port: number;
  token: string;
  dataDir: string;
}

export interface RunningServer extends ServeInfo {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startServe(
  options: { env?: NodeJS.ProcessEnv; args?: string[] } = {},
): Promise<RunningServer> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the e2e suite.`);
  const dataDir = mkdtempSync(join(tmpdir(), 'megaraptor-e2e-'));
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json', ...(options.args ?? [])], {
    cwd: tmpdir(), // the CLI must find its files relative to itself, not the cwd
    // Port 0 for the MCP endpoint: parallel instances must not compete for its fixed default.
    env: { ...process.env, MEGARAPTOR_MCP_PORT: '0', ...options.env, MEGARAPTOR_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));

  const info = await new Promise<ServeInfo>((resolveInfo, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`megaraptor serve did not start within 20 s:\n${out}`)),
      20_000,
    );
    const onData = () => {
      const line = out.split('\n').find((l) => l.startsWith('{"event":"listening"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolveInfo(JSON.parse(line) as ServeInfo);
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`megaraptor serve exited with ${code}:\n${out}`));
    });
  });

  return {
    ...info,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
