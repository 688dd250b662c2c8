/**
 * Velociraptor reports VQL failures as log lines on an OK stream
 * (docs/velociraptor/query-stream.md#errors-arrive-as-log-lines). This classifies each line: its level (from an `ERROR:`/`WARN:`/… prefix) and, when it signals a
 * failure, the AppError code a result-wanting caller should get.
 */
import type { ErrorCode } from '../../../../shared/errors';

export type LogLevel = 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'DEFAULT' | 'ALERT';

export interface ClassifiedLog {
  level: LogLevel;
  /** The line without the level prefix and trailing newline. */
  message: string;
  /** Set when the line reports a failure of the query. */
  problem?: ErrorCode;
}

const LEVEL = /^(ERROR|WARN|WARNING|INFO|DEBUG|DEFAULT|ALERT):\s?/;

// Ordered: the first match wins. Timeouts and permissions before the generic error patterns.
const PROBLEMS: Array<[RegExp, ErrorCode]> = [
  [/Timeout Error:|timed out after/i, 'TIMEOUT'],
  [/Permission denied|PermissionDenied|is not allowed to/i, 'PERMISSION_DENIED'],
  [/^VQL Error:/, 'VQL_ERROR'],
  [/Symbol \S+ not found/, 'VQL_ERROR'],
  [/Plugin \S+ not found/, 'VQL_ERROR'],
  [/Function \S+ not found/i, 'VQL_ERROR'],
  [/Artifact \S+ not found/i, 'VQL_ERROR'],
  [/Query should be specified/, 'VQL_ERROR'],
];

export function classifyLog(line: string): ClassifiedLog {
  const text = line.endsWith('\n') ? line.slice(0, -1) : line;
  const m = LEVEL.exec(text);
  const raw = m?.[1];
  const level: LogLevel = raw === undefined ? 'INFO' : raw === 'WARNING' ? 'WARN' : (raw as LogLevel);
  const message = m ? text.slice(m[0].length) : text;
  for (const [re, code] of PROBLEMS) {
    if (re.test(message)) return { level: level === 'INFO' ? 'ERROR' : level, message, problem: code };
  }
  if (level === 'ERROR') return { level, message, problem: 'VQL_ERROR' };
  return { level, message };
}
