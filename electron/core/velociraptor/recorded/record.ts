/**
 * Runs the scenario against a server through a RecordingStub and turns each step into a recording:
 * the step's outcome in the product, the exchanges (queries with a few sample rows, log lines,
 * errors; VFSGetBuffer sizes) and their shapes. Recordings are data only: artifact source text,
 * descriptions, parameter defaults and client configs are replaced by a placeholder, and long strings
 * are cut, before anything is kept.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApiConfig } from '../config/api-config';
import { createApiClient } from '../client';
import { ConnectionRegistry } from '../registry';
import { VelociraptorService } from '../service';
import type { Exchange, WireMessage } from './recording-stub';
import { RecordingStub } from './recording-stub';
import { runScenario, type Step, type StepOutcome } from './scenario';
import { summarize, type BufferShape, type QueryShape } from './shape';

export const RECORDING_FORMAT = 1;
const SAMPLE_ROWS = 3;
const MAX_STRING = 200;
/** Fields whose values are Velociraptor's own text (artifact sources, docs) or a whole config. */
const OMIT_KEYS = new Set([
  'query',
  'precondition',
  'description',
  'default',
  'export',
  'author',
  'reference',
  'references',
  '_client_config',
  'ca_certificate',
]);

export interface Recording {
  format: number;
  velociraptorVersion: string;
  recordedAt: string;
  step: string;
  outcome: StepOutcome;
  exchanges: Exchange[];
  queries: QueryShape[];
  buffers: BufferShape[];
}

function sanitize(v: unknown, key = ''): unknown {
  if (OMIT_KEYS.has(key) && v !== null && v !== '' && v !== undefined)
    return typeof v === 'string' ? `<omitted: ${v.length} chars>` : '<omitted>';
  if (typeof v === 'string') return v.length > MAX_STRING ? `<omitted: ${v.length} chars>` : v;
  if (Array.isArray(v)) return v.map((x) => sanitize(x, key));
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, sanitize(x, k)]));
  return v;
}

function sampleMessage(m: WireMessage): WireMessage & { rowCount?: number } {
  if ('rows' in m)
    return { ...m, rows: m.rows.slice(0, SAMPLE_ROWS).map((r) => sanitize(r)), rowCount: m.rows.length };
  if ('jsonl' in m) {
    const lines = m.jsonl.split('\n').filter((l) => l.trim());
    return {
      ...m,
      jsonl: lines
        .slice(0, SAMPLE_ROWS)
        .map((l) => JSON.stringify(sanitize(JSON.parse(l))))
        .join('\n'),
      rowCount: lines.length,
    };
  }
  return { log: m.log.length > 2000 ? `${m.log.slice(0, 2000)}…` : m.log };
}

/** At most the first and the last exchange of each query text (polls repeat the same query). */
function keepFirstAndLast(exchanges: Exchange[]): Exchange[] {
  const key = (ex: Exchange): string => (ex.kind === 'query' ? ex.vql : `buffer|${ex.clientIdSet}`);
  return exchanges.filter((ex, i) => {
    const k = key(ex);
    return (
      exchanges.findIndex((x) => key(x) === k) === i || exchanges.findLastIndex((x) => key(x) === k) === i
    );
  });
}

function sampleExchange(ex: Exchange): Exchange {
  if (ex.kind === 'buffer') return ex;
  return { ...ex, env: sanitize(ex.env) as Record<string, string>, messages: ex.messages.map(sampleMessage) };
}

/** The product stack over a recording stub: registry → connection → VelociraptorService. */
export function recordingService(
  config: ApiConfig,
  orgId = '',
): {
  svc: VelociraptorService;
  recorder: RecordingStub;
  close: () => void;
} {
  let recorder: RecordingStub | undefined;
  const registry = new ConnectionRegistry({
    createClient: (c) => {
      recorder = new RecordingStub(createApiClient(c));
      return recorder.stub;
    },
  });
  registry.addConfig('recorded', config);
  const svc = new VelociraptorService(registry.connection('recorded', orgId));
  if (!recorder) throw new Error('the registry did not create its client');
  return { svc, recorder, close: () => registry.close() };
}

/** Runs the scenario and returns one recording per step. */
export async function recordScenario(
  config: ApiConfig,
  clientId: string,
  options: { version: string; now?: () => Date; steps?: Step[] },
): Promise<Recording[]> {
  const r = recordingService(config);
  const out: Recording[] = [];
  try {
    await runScenario(
      { svc: r.svc, clientId },
      (outcome) => {
        const exchanges = r.recorder.take();
        const { queries, buffers } = summarize(exchanges);
        out.push({
          format: RECORDING_FORMAT,
          velociraptorVersion: options.version,
          recordedAt: (options.now?.() ?? new Date()).toISOString(),
          step: outcome.step,
          outcome,
          exchanges: keepFirstAndLast(exchanges).map(sampleExchange),
          queries,
          buffers,
        });
      },
      options.steps,
    );
  } finally {
    r.close();
  }
  return out;
}

/** Formats as the repo's Prettier does (the format stage checks fixtures too), when Prettier is installed. */
async function formatJson(file: string, text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...options, filepath: file });
  } catch {
    return text;
  }
}

export async function writeRecordings(dir: string, recordings: Recording[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const rec of recordings) {
    const file = join(dir, `${rec.step}.json`);
    await writeFile(file, await formatJson(file, `${JSON.stringify(rec, null, 2)}\n`));
    files.push(file);
  }
  return files;
}
