import { describe, expect, it } from 'vitest';
import type { QueryExchange } from './recording-stub';
import { diffQuery, logForm, looseLogForm, shapeOf, summarize } from './shape';

function exchange(rows: unknown[], logs: string[] = [], vql = 'SELECT * FROM x()'): QueryExchange {
  return {
    kind: 'query',
    vql,
    env: {},
    messages: [
      ...logs.map((log) => ({ log })),
      { columns: Object.keys((rows[0] as object | undefined) ?? {}), queryId: 0, part: 0, rows },
    ],
  };
}

function shape(rows: unknown[], logs: string[] = []) {
  const q = summarize([exchange(rows, logs)]).queries[0];
  if (!q) throw new Error('no query shape');
  return q;
}

describe('answer shapes', () => {
  it('types times by unit and format, ids as maps', () => {
    expect(
      shapeOf({ create_time: 1796577035707000, first_seen_at: 1796577035, mtime: '2025-06-24T14:39:12Z' }),
    ).toEqual({
      object: ['create_time', 'first_seen_at', 'mtime'],
      fields: { create_time: ['int/us'], first_seen_at: ['int/s'], mtime: ['string/rfc3339'] },
    });
    expect(shapeOf({ 'C.1234abcd': { a: 1 } })).toEqual({ map: [{ object: ['a'], fields: { a: ['int'] } }] });
  });

  it('finds invented and missing columns, other units, row order and log lines', () => {
    const real = shape(
      [
        { _OSPath: '/etc/a', Mode: 'drwxr-xr-x', create_time: 1796577035707000 },
        { _OSPath: '/etc/b', Mode: '-rw-r--r--', create_time: 1796577035707001 },
      ],
      ['user: Field user is required\n'],
    );
    const sim = shape([
      { OSPath: '/etc/b', IsDir: false, Mode: '-rw-r--r--', create_time: 1796577036 },
      { OSPath: '/etc/a', IsDir: true, Mode: 'drwxr-xr-x', create_time: 1796577035 },
    ]);
    const d = diffQuery(real, sim);
    expect(d.some((x) => x.includes('simulator lacks _OSPath'))).toBe(true);
    expect(d.some((x) => x.includes('simulator adds OSPath, IsDir'))).toBe(true);
    expect(d.some((x) => x.includes('create_time: real int/us, simulator int/s'))).toBe(true);
    expect(d.some((x) => x.includes('row order: real create_time:asc, simulator create_time:desc'))).toBe(
      true,
    );
    expect(d.some((x) => x.includes('user: Field user is required'))).toBe(true);
    expect(diffQuery(real, real)).toEqual([]);
  });

  it('takes unset values (null, 0, "") as saying nothing about a type', () => {
    expect(diffQuery(shape([{ a: null, b: '', c: 0 }]), shape([{ a: 'x', b: 'y', c: 5 }]))).toEqual([]);
    expect(diffQuery(shape([{ a: 'x' }]), shape([{ a: 5 }]))).toEqual(['row.a: real string, simulator int']);
  });

  it('blanks what changes between runs in log lines', () => {
    expect(logForm('Time 0: megaraptor: Sending response part 3 411 B (3 rows).\n')).toBe(
      'Time <n>: megaraptor: Sending response part <n> <size> (<n> rows).',
    );
    expect(logForm('hunt_results: artifact X not available in hunt H.DCAPET66NGSRI')).toBe(
      'hunt_results: artifact X not available in hunt <id>',
    );
    expect(looseLogForm('ERROR:Plugin p not found. Did you mean a b c? ')).toBe(
      'ERROR:Plugin p not found. Did you mean …',
    );
  });
});
