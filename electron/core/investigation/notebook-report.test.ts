import { describe, expect, it } from 'vitest';
import type { Notebook } from '../../../shared/contracts/notebooks';
import { mdText, notebookReport, REPORT_ROWS } from './notebook-report';

const RUN = {
  ranAt: '2026-12-06T11:30:25.000Z',
  server: 'lab',
  endpoint: 'vr.example:8001',
  org: 'O123',
  identity: 'alice',
  total: 500,
  saved: 500,
  columns: ['Name', 'Note'],
  elapsedMs: 1234,
};

const nb: Notebook = {
  id: 'nb-1',
  title: 'Case *1*',
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-06T12:00:00.000Z',
  cells: [
    { id: 'm', kind: 'markdown', source: '## Notes\nThe responder wrote this.' },
    {
      id: 'a',
      kind: 'vql',
      source: 'SELECT Name FROM x()',
      run: { ...RUN, vql: 'SELECT Name, Note FROM x()' },
    },
    { id: 'b', kind: 'vql', source: 'SELECT 1 FROM scope()' },
    {
      id: 'c',
      kind: 'vql',
      source: 'SELECT * FROM bad()',
      run: {
        ...RUN,
        vql: 'SELECT * FROM bad()',
        total: 0,
        saved: 0,
        columns: [],
        error: 'Plugin bad not found',
      },
    },
  ],
};

describe('notebook report', () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({
    Name: `proc${i}`,
    Note: i === 0 ? '| **x** <b>\nnext' : '',
  }));
  const text = notebookReport(nb, (id) => (id === 'a' ? rows : []), new Date('2026-12-07T08:00:00Z'));

  it('carries each query as it ran, when, on which server and org, as whom, and its first rows', () => {
    expect(text).toContain('# Case \\*1\\*');
    expect(text).toContain('written 2026-12-07 08:00:00 UTC');
    expect(text).toContain('## Notes\nThe responder wrote this.');
    expect(text).toContain('```vql\nSELECT Name, Note FROM x()\n```');
    expect(text).toContain(
      'Ran 2026-12-06 11:30:25 UTC on **lab** (`vr.example:8001`, org `O123`) as `alice`: 500 rows in 1.23 s.',
    );
    expect(text).toContain('the query above is the one that ran');
    expect(text.match(/\| proc\d+ \|/g)).toHaveLength(REPORT_ROWS);
    expect(text).toContain(`_${REPORT_ROWS} of 500 rows shown; 500 are saved with the notebook._`);
    expect(text).toContain('_Not run._');
    expect(text).toContain('**The query failed:** Plugin bad not found');
  });

  it('keeps endpoint data as text in a table: no markup, no broken rows', () => {
    expect(text).toContain('| proc0 | \\| \\*\\*x\\*\\* \\<b\\> next |');
    expect(mdText('a'.repeat(300)).length).toBeLessThan(210);
  });
});
