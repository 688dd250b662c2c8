/**
 * How a result column is shown. Most columns are text as the core sends it; two kinds are rewritten
 * for reading, with the original one hover away:
 *   - time: ISO date-times, and epochs (s, ms, µs, ns) in columns whose name says time, written by the
 *     app's one time rule in the zone the responder chose (`2026-12-06 11:30:25 UTC`);
 *   - size: byte counts in columns named for sizes, written `1.4 MiB` (exact bytes on hover).
 * A column's kind is decided from its name and the rows of the first page. Pure (unit-tested).
 */
import { formatBytes } from '../../../../shared/bytes';
import { formatTime, parseTimeValue } from '../investigation/time';

export type ColumnKind = 'text' | 'time' | 'size';

const TIME_NAME =
  /(time|date|stamp|_at$|[a-z]At$|^(m|a|c|b)time$|seen|created|modified|accessed|changed|expir|written|started|ended)/i;
const SIZE_NAME = /(^|_|[a-z])(size|bytes|length)$|^(size|bytes|length|st_size)$/i;
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
const INTEGER = /^\d+$/;

/** The kind of each column, from its name and the cell text of sample rows (in `columns` order). */
export function columnKinds(
  columns: readonly string[],
  sample: ReadonlyArray<readonly string[]>,
): ColumnKind[] {
  return columns.map((name, j) => {
    const values = sample.map((r) => r[j] ?? '').filter((v) => v !== '');
    if (values.length === 0) return 'text';
    const share = (ok: (v: string) => boolean) => values.filter(ok).length / values.length;
    const timed = (v: string) => parseTimeValue(v) !== null;
    if (share((v) => ISO_LIKE.test(v) && timed(v)) >= 0.8) return 'time';
    if (TIME_NAME.test(name) && share(timed) >= 0.8) return 'time';
    if (SIZE_NAME.test(name) && !TIME_NAME.test(name) && share((v) => INTEGER.test(v)) >= 0.8) return 'size';
    return 'text';
  });
}

/** What a cell shows. */
export function displayText(kind: ColumnKind, text: string, zone: 'utc' | 'local'): string {
  if (kind === 'time') {
    const ms = parseTimeValue(text);
    return ms === null ? text : formatTime(ms, zone, true);
  }
  if (kind === 'size' && INTEGER.test(text)) return formatBytes(Number(text));
  return text;
}

/** What hovering a cell shows: the value as the data has it (and the exact byte count of a size). */
export function hoverText(kind: ColumnKind, text: string): string {
  if (kind === 'size' && INTEGER.test(text)) return `${Number(text).toLocaleString('en-US')} bytes`;
  return text;
}
