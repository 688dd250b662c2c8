import { describe, expect, it } from 'vitest';
import { classifyLog } from './logs';

describe('classifyLog', () => {
  it.each([
    ['Starting query execution.\n', 'INFO', undefined],
    ['Time 0: Test: Sending response part 0 302 B (1 rows).\n', 'INFO', undefined],
    ['VQL Error: Syntax error at line 1.\n', 'ERROR', 'VQL_ERROR'],
    ['ERROR:Plugin foo not found. Current Scope is [a b]\n', 'ERROR', 'VQL_ERROR'],
    ['ERROR:Symbol nope not found\n', 'ERROR', 'VQL_ERROR'],
    ['info: Permission denied: [MACHINE_STATE]\n', 'ERROR', 'PERMISSION_DENIED'],
    ['collect: <red>Timeout Error:</> Collection timed out after 10s\n', 'ERROR', 'TIMEOUT'],
    ['WARN:something odd\n', 'WARN', undefined],
    ['DEBUG:Query Stats: {}\n', 'DEBUG', undefined],
    ['DEFAULT:user message\n', 'DEFAULT', undefined],
    ['ERROR:anything at error level\n', 'ERROR', 'VQL_ERROR'],
  ])('%j → %s %s', (line, level, problem) => {
    const c = classifyLog(line);
    expect(c.level).toBe(level);
    expect(c.problem).toBe(problem);
    expect(c.message.endsWith('\n')).toBe(false);
  });

  it('strips the level prefix from the message', () => {
    expect(classifyLog('ERROR:Plugin foo not found.\n').message).toBe('Plugin foo not found.');
  });
});
