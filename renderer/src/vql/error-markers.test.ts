import { describe, expect, it } from 'vitest';
import { errorMarkers } from './error-markers';

describe('VQL error markers', () => {
  it('marks a syntax error at its line and column, over the token (both server versions)', () => {
    const q = 'SELECT * FROM info()\nWHERE WHERE x';
    expect(errorMarkers(q, 'VQL Error: 2:7: unexpected token "WHERE" (expected ")"). (VQL_ERROR)')).toEqual([
      {
        startLineNumber: 2,
        startColumn: 7,
        endLineNumber: 2,
        endColumn: 12,
        message: 'VQL Error: 2:7: unexpected token "WHERE" (expected ")").',
      },
    ]);
    expect(
      errorMarkers(
        'SELECT * FROM info( WHERE',
        'VQL Error: ROM info( |WHER: 1:21: unexpected token "WHERE" (expected <ident>).',
      ),
    ).toMatchObject([{ startLineNumber: 1, startColumn: 21, endColumn: 26 }]);
  });

  it('marks every call of a plugin or function the server does not know, without the scope dump', () => {
    const q = 'SELECT nosuchfn(x=1) FROM nosuchplugin()\nLET y = nosuchplugin()';
    const plugin = errorMarkers(
      q,
      'Plugin nosuchplugin not found. Current Scope is [NULL], [_SessionId] (VQL_ERROR)',
    );
    expect(plugin.map((m) => [m.startLineNumber, m.startColumn, m.endColumn])).toEqual([
      [1, 27, 39],
      [2, 9, 21],
    ]);
    expect(plugin[0]!.message).toBe('Plugin nosuchplugin not found.');
    expect(errorMarkers(q, 'Symbol nosuchfn not found. Current Scope is [], [$Query], []')).toMatchObject([
      { startLineNumber: 1, startColumn: 8, endColumn: 16 },
    ]);
    expect(errorMarkers(q, 'The server is unreachable (SERVER_UNREACHABLE)')).toEqual([]);
  });
});
