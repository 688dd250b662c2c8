import { describe, expect, it, vi } from 'vitest';
import { formatClock, formatTime, parseTimeValue, zoneText } from './time';

// A zone with daylight saving, so the offset shown must be the one of each moment.
vi.stubEnv('TZ', 'Europe/Paris');

const WINTER = Date.UTC(2026, 11, 6, 11, 30, 25); // 2026-12-06 11:30:25 UTC
const SUMMER = Date.UTC(2026, 6, 1, 22, 5, 9, 120);

describe('one time rule', () => {
  it('writes the date, 24-hour time and the zone, in UTC or local time', () => {
    expect(formatTime(WINTER, 'utc')).toBe('2026-12-06 11:30:25 UTC');
    expect(formatTime(WINTER, 'local')).toBe('2026-12-06 12:30:25 +01:00');
    expect(formatTime(SUMMER, 'local')).toBe('2026-07-02 00:05:09 +02:00');
    expect(formatTime(SUMMER, 'utc', true)).toBe('2026-07-01 22:05:09.120 UTC');
    expect(formatTime(WINTER, 'utc', true)).toBe('2026-12-06 11:30:25 UTC');
    expect(formatTime(0, 'utc')).toBe('—');
    expect(formatTime(Number.NaN, 'local')).toBe('—');
    expect(formatClock(WINTER, 'local')).toBe('12:30:25');
    expect(zoneText(WINTER, 'utc')).toBe('UTC');
  });

  it('reads the moments data carries: ISO strings and epochs in s, ms, µs and ns', () => {
    for (const t of [
      '2026-12-06T11:30:25Z',
      '2026-12-06T12:30:25+01:00',
      '2026-12-06T12:30:25+0100',
      '2026-12-06 11:30:25',
      '1796556625',
      '1796556625000',
      '1796556625000000',
      '1796556625000000000',
    ])
      expect(parseTimeValue(t), t).toBe(WINTER);
    expect(parseTimeValue('2026-12-06T11:30:25.123456Z')).toBe(WINTER + 123);
    for (const t of ['', 'svchost.exe', '4242', '12.5', '-1796556625', '2026-13-45T99:99Z'])
      expect(parseTimeValue(t), t).toBeNull();
  });
});
