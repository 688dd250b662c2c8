/**
 * The simulator answers the product's queries in the same SHAPE as the real Velociraptor releases
 * recorded in electron/core/sim/fixtures/real/<version>/ (scripts/record-real-answers.mjs): the
 * same scenario runs against the simulator through the same recording stub, and every step's
 * queries are compared — columns and order, field types and time units, rows or none, row order,
 * log line forms, errors, VFSGetBuffer outcomes — and so is the product's outcome of the step.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../sim/index';
import { loadApiConfig } from '../config/api-config';
import { ConnectionRegistry } from '../registry';
import { VelociraptorService } from '../service';
import { recordScenario, type Recording } from './record';
import { differences } from './shape';

const FIXTURES = join(import.meta.dirname, '..', '..', 'sim', 'fixtures', 'real');

function recorded(): Map<string, Recording[]> {
  const out = new Map<string, Recording[]>();
  for (const version of readdirSync(FIXTURES).sort()) {
    const dir = join(FIXTURES, version);
    const recs = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Recording);
    out.set(version, recs);
  }
  return out;
}

const byVersion = recorded();
const sims: RunningSimulator[] = [];
/** The simulator's recording of the scenario, per release it plays (the one each recording came from). */
const simRecordings = new Map<string, Recording[]>();

async function recordSimulator(version: string): Promise<Recording[]> {
  const sim = await startSimulator({ host: '127.0.0.1', speed: 50, velociraptorVersion: version });
  sims.push(sim);
  const config = loadApiConfig(await sim.mintApiConfig('recorder', ['administrator']));
  const registry = new ConnectionRegistry();
  registry.addConfig('sim', config);
  const svc = new VelociraptorService(registry.connection('sim'));
  const linux = (await svc.searchClients({ search: 'all', limit: 1000 })).find(
    (c) => c.os.toLowerCase() === 'linux' && c.online,
  );
  registry.close();
  if (!linux) throw new Error('the simulator has no online Linux client');
  return recordScenario(config, linux.clientId, { version: 'simulator' });
}

beforeAll(async () => {
  for (const version of byVersion.keys()) simRecordings.set(version, await recordSimulator(version));
}, 600_000);

afterAll(async () => {
  for (const sim of sims) await sim.stop();
});

describe.each([...byVersion.keys()])('the simulator answers like Velociraptor %s', (version) => {
  const steps = (byVersion.get(version) ?? []).map((r) => [r.step, r] as const);
  it.each(steps)('%s', (step, real) => {
    expect(real.velociraptorVersion).toBe(version);
    expect(
      differences(
        real,
        simRecordings.get(version)?.find((s) => s.step === step),
      ),
    ).toEqual([]);
  });
});
