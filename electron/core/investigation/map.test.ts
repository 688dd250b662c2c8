import { describe, expect, it } from 'vitest';
import { ClientRowSchema, toClientSummary } from '../velociraptor/operations/clients';
import { parseRow } from '../velociraptor/operations/common';
import type { Row } from '../velociraptor/query/json';
import { HuntSummarySchema } from '../velociraptor/operations/hunts';
import { toClient, toHunt } from './map';

/** A server row as the typed operation reads it, then as the UI contract shows it. */
const client = (row: Row, now: number) =>
  toClient(toClientSummary(parseRow(ClientRowSchema, row, 0, 'test'), now));

describe('row mapping units', () => {
  const now = Date.UTC(2026, 7, 21, 12, 0, 0);
  it('reads last_seen_at as microseconds and first_seen_at as seconds', () => {
    const c = client(
      {
        client_id: 'C.1',
        last_seen_at: (now - 60_000) * 1000,
        first_seen_at: now / 1000 - 86_400,
        os_info: { hostname: 'h', system: 'linux' },
        labels: ['a'],
      },
      now,
    );
    expect(c.lastSeenMs).toBe(now - 60_000);
    expect(c.firstSeenMs).toBe(now - 86_400_000);
    expect(c.online).toBe(true);
  });
  it('is offline after 15 minutes without contact, and never-seen is offline', () => {
    expect(client({ client_id: 'C.1', last_seen_at: (now - 16 * 60_000) * 1000 }, now).online).toBe(false);
    expect(client({ client_id: 'C.1' }, now).online).toBe(false);
  });
  it('keeps objects out of text fields: a row of the wrong shape is an error, not a blank', () => {
    expect(() => client({ client_id: { evil: 1 }, os_info: { hostname: ['x'] } }, now)).toThrow(
      /unexpected row shape/,
    );
  });
  it('derives hunt completion from the stats', () => {
    const h = toHunt(
      HuntSummarySchema.parse({
        hunt_id: 'H.1',
        stats: {
          total_clients_scheduled: 10,
          total_clients_with_results: 3,
          total_clients_without_results: 4,
          total_clients_with_errors: 1,
        },
        condition: { os: { os: 'WINDOWS' } },
      }),
    );
    expect(h.stats).toEqual({ scheduled: 10, completed: 8, withResults: 3, errors: 1 });
    expect(h.os).toBe('windows');
  });
});
