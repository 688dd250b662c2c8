/**
 * A separate simulator process (the built CLI's `megaraptor sim`) whose API config a spec imports,
 * as a responder would import a real server's: not the app's demo server.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@playwright/test';
import { parse } from 'yaml';
import { CLI } from './serve';

export interface SimWithConfig {
  /** The API config file the simulator wrote (complete: it parses and holds the client certificate). */
  apiConfigFile: string;
  stop(): void;
}

export async function startSimWithConfig(options: { role: string; name: string }): Promise<SimWithConfig> {
  const apiConfigFile = join(mkdtempSync(join(tmpdir(), 'mr-e2e-sim-')), 'api.config.yaml');
  const sim = spawn(
    process.execPath,
    [CLI, 'sim', '--write-api-config', apiConfigFile, '--role', options.role, '--name', options.name],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const clientCert = (): string => {
    if (!existsSync(apiConfigFile)) return 'missing';
    try {
      return typeof (parse(readFileSync(apiConfigFile, 'utf8')) as { client_cert?: unknown } | null)
        ?.client_cert;
    } catch {
      return 'partly written';
    }
  };
  await expect.poll(clientCert, { timeout: 20_000 }).toBe('string');
  return { apiConfigFile, stop: () => void sim.kill('SIGTERM') };
}
