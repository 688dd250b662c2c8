/**
 * Where in the query a VQL error points, as editor markers: a syntax error's `line:column` (both
 * Velociraptor versions write `1:21: unexpected token "WHERE"`), or every call of the plugin or
 * function an error names (`Plugin foo not found`, `Symbol foo not found`). Pure (unit-tested); the
 * editor shows them as squiggles with the message on hover.
 */

export interface ErrorMarker {
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
  message: string;
}

/** The error as the server wrote it, without the scope listing and the app's "(VQL_ERROR)" suffix. */
function shortMessage(message: string): string {
  return message
    .replace(/\s*\(VQL_ERROR\)\s*$/, '')
    .replace(/\.?\s*Current Scope is .*$/s, '.')
    .trim();
}

export function errorMarkers(source: string, message: string): ErrorMarker[] {
  const text = shortMessage(message);
  const lines = source.split('\n');
  const at = /(?:^|\s|:\s)(\d+):(\d+):\s*(unexpected (?:token "([^"]*)"|end of input)[^]*)$/.exec(text);
  if (at) {
    const line = Math.min(Math.max(1, Number(at[1])), Math.max(1, lines.length));
    const col = Math.max(1, Number(at[2]));
    const len = at[4]?.length ?? 1;
    return [
      {
        startLineNumber: line,
        startColumn: col,
        endLineNumber: line,
        endColumn: col + Math.max(1, len),
        message: text,
      },
    ];
  }
  const missing = /(?:Plugin|Symbol|Function)\s+([A-Za-z_][\w.]*)\s+not found/i.exec(text);
  if (missing) {
    const name = missing[1] as string;
    const out: ErrorMarker[] = [];
    const re = new RegExp(`(?<![\\w.])${name.replace(/\./g, '\\.')}\\s*\\(`, 'g');
    lines.forEach((l, i) => {
      for (const m of l.matchAll(re))
        out.push({
          startLineNumber: i + 1,
          startColumn: m.index + 1,
          endLineNumber: i + 1,
          endColumn: m.index + 1 + name.length,
          message: text,
        });
    });
    return out;
  }
  return [];
}
