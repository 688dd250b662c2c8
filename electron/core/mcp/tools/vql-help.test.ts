/**
 * vql_help searches the server's own reference (the simulator's help()) with plain words: an
 * assistant's "search" never becomes a regular expression, so a catastrophic pattern answers at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../sim/index';
import { makeHarness, type Harness } from '../testing/harness';
import { simServers, type SimServers } from '../testing/sim-servers';
import { HELP_SEARCH_MAX, helpMatcher, vqlHelp } from './vql';

let sim: RunningSimulator;
let s: SimServers;
let h: Harness;

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1' });
  s = await simServers(sim);
  h = makeHarness(s.servers);
}, 60_000);

afterAll(async () => {
  s?.close();
  await sim?.stop();
});

async function names(search: string): Promise<string[]> {
  const r = await vqlHelp.invoke({ search, max_rows: 500 }, h.ctx);
  expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
  return (r.structuredContent as { rows: Array<{ name: string }> }).rows.map((x) => x.name);
}

describe('vql_help', () => {
  it('finds by plain words in the name or description, ^ anchoring the name', async () => {
    expect(await names('hunt')).toEqual(expect.arrayContaining(['hunts', 'hunt_results']));
    expect((await names('^hunt')).every((n) => n.startsWith('hunt'))).toBe(true);
    expect(await names('HUNT RESULTS')).toContain('hunt_results');
  });

  it('answers a catastrophic regular expression at once: it is only text', { timeout: 3_000 }, async () => {
    // As a RegExp, each of these backtracks for minutes on ordinary descriptions.
    for (const evil of ['(.*a){25}x', '(a+)+$', '^(\\w+\\s?)*$!']) expect(await names(evil)).toEqual([]);
  });

  it('takes at most 100 characters', async () => {
    const r = await vqlHelp.invoke({ search: 'x'.repeat(HELP_SEARCH_MAX + 1) }, h.ctx);
    expect(r.isError).toBe(true);
    expect(helpMatcher('a b')('a', 'nothing')).toBe(false);
    expect(helpMatcher('a b')('a', 'b')).toBe(true);
  });
});
