/**
 * Runs a bundled child with plain node and, when its output matches `killWhen`, SIGKILLs it (a crash
 * at a known point). Bounded by `timeoutMs`; the child never outlives the call.
 */
import { spawn } from 'node:child_process';

export interface ChildResult {
  stdout: string;
  stderr: string;
  killed: boolean;
  code: number | null;
}

export function runChild(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { killWhen?: RegExp; timeoutMs?: number } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`child did not finish in ${options.timeoutMs ?? 60_000} ms; output:\n${stdout}\n${stderr}`),
      );
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!killed && options.killWhen?.test(stdout)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, killed, code });
    });
  });
}
