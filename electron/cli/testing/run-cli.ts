/**
 * How the CLI tests run `megaraptor`: in process through `main` (the unit tests), or the built CLI
 * (out/cli/megaraptor.mjs) as a child process (the integration tests). Either way the exit code and
 * everything written to stdout and stderr.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { REPO_ROOT } from '../../../test/real-parts';
import { main } from '../megaraptor';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export const BUILT_CLI = join(REPO_ROOT, 'out', 'cli', 'megaraptor.mjs');

/** `main(argv)` with `env` as its whole environment, in `cwd`, and an empty stdin. */
export async function runInProcess(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(argv, { stdout, stderr, stdin: new PassThrough(), env, cwd });
  return { code, out, err };
}

/** The built CLI with this process's environment plus `env`; killed after two minutes. */
export function runBuiltCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out, err });
    });
  });
}
