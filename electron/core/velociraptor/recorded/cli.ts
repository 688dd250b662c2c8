/**
 * Records a server's answers to the product's queries (scripts/record-real-answers.mjs bundles and
 * runs this). Usage:
 *   node scripts/record-real-answers.mjs --api-config FILE --client C.… [--out DIR] [--version V]
 * Writes DIR/<version>/<step>.json (default DIR: electron/core/sim/fixtures/real). The API user
 * needs the administrator role (the scenario creates hunts, a user and a server collection). The
 * client should be an online Linux client: the scenario lists /etc and downloads a file from it.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { messageOf } from '../../../../shared/errors';
import { loadApiConfig } from '../config/api-config';
import { recordScenario, recordingService, writeRecordings } from './record';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function serverVersion(configText: string): Promise<string | undefined> {
  const r = recordingService(loadApiConfig(configText));
  try {
    const { rows } = await r.svc.runVql('SELECT config.version.version AS Version FROM scope()');
    const v = rows[0]?.Version;
    return typeof v === 'string' && /^\d+\.\d+(\.\d+)?$/.test(v) ? v : undefined;
  } catch {
    return undefined;
  } finally {
    r.close();
  }
}

async function main(): Promise<number> {
  const configPath = arg('--api-config');
  const clientId = arg('--client');
  if (!configPath || !clientId) {
    process.stderr.write(
      'usage: record-real-answers --api-config FILE --client C.… [--out DIR] [--version V]\n',
    );
    return 2;
  }
  const text = await readFile(resolve(configPath), 'utf8');
  const version = arg('--version') ?? (await serverVersion(text));
  if (!version) {
    process.stderr.write('The server does not say its version (config.version): pass --version.\n');
    return 2;
  }
  const out = join(resolve(arg('--out') ?? 'electron/core/sim/fixtures/real'), version);
  const recordings = await recordScenario(loadApiConfig(text), clientId, { version });
  const files = await writeRecordings(out, recordings);
  for (const r of recordings)
    process.stdout.write(
      `${r.outcome.outcome.padEnd(7)} ${r.step}${r.outcome.error ? `  (${r.outcome.error.code}: ${r.outcome.error.message})` : r.outcome.reason ? `  (${r.outcome.reason})` : ''}\n`,
    );
  process.stdout.write(`${files.length} recordings of Velociraptor ${version} in ${out}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`record-real-answers: ${messageOf(e)}\n`);
    process.exit(1);
  },
);
