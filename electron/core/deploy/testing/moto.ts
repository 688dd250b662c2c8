/**
 * moto (the AWS emulator, from PyPI; pinned in requirements-test.txt, installed into .venv-test by
 * scripts/setup-test-env.sh) run as its server on a free loopback port, for the AWS tests: the real SDK
 * v3 clients point at it with fixed credentials. Every request it serves is recorded to a file
 * (MOTO_ENABLE_RECORDING), which the tests read to see what the app asked of AWS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, RealPart } from '../../../../test/real-parts';
import { freePort } from './free-port';

export { MOTO_CREDENTIALS } from './moto-credentials';

const SERVER = join(REPO_ROOT, '.venv-test', 'bin', 'moto_server');

export function motoServer(): RealPart {
  return new RealPart(
    'moto (AWS emulator)',
    existsSync(SERVER) ? undefined : `${SERVER} is missing (run scripts/setup-test-env.sh)`,
  );
}

export interface RecordedAwsRequest {
  method: string;
  url: string;
  /** The body as text (form-encoded query protocol or JSON). */
  body: string;
  /** The SDK's target header (JSON protocols) or the query protocol's Action. */
  action: string;
  /** Who asked: the app (aws-sdk-js) or a stand-in VM's CLI stub (Boto3). */
  userAgent: string;
}

export interface Moto {
  endpoint: string;
  /** Requests served since the start (or the last `forget`). */
  requests(): Promise<RecordedAwsRequest[]>;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  const dir = await mkdtemp(join(tmpdir(), 'megaraptor-moto-'));
  const recording = join(dir, 'recording.jsonl');
  const port = await freePort();
  const child: ChildProcess = spawn(SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
    env: {
      ...process.env,
      MOTO_ENABLE_RECORDING: 'True',
      MOTO_RECORDER_FILEPATH: recording,
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${stderr}`);
    try {
      const r = await fetch(`${endpoint}/moto-api/data.json`);
      if (r.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer in 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    async requests() {
      const text = await readFile(recording, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const e = JSON.parse(line) as {
            method: string;
            url: string;
            body: string | null;
            body_encoded: boolean;
            headers: Record<string, string>;
          };
          const body = e.body
            ? e.body_encoded
              ? Buffer.from(e.body, 'base64').toString('utf8')
              : e.body
            : '';
          const target = e.headers['X-Amz-Target'] ?? e.headers['x-amz-target'];
          const action = target ?? new URLSearchParams(body).get('Action') ?? '';
          const userAgent = e.headers['User-Agent'] ?? e.headers['user-agent'] ?? '';
          return { method: e.method, url: e.url, body, action, userAgent };
        });
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
