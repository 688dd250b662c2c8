import { describe, expect, it } from 'vitest';
import { columnKinds, displayText, hoverText } from './cell-format';

describe('cell formats', () => {
  it('finds time columns by ISO values, or by a time name with epoch values; sizes by name and integers', () => {
    const columns = ['Timestamp', 'CreateTime', 'Pid', 'Size', 'Name', 'LastSeenAt', 'Mtime', 'PathLength'];
    const rows = [
      [
        '1796556625',
        '2026-12-06T11:30:25Z',
        '1796556625',
        '1048576',
        'svchost.exe',
        '1796556625000000',
        '',
        '12',
      ],
      ['1796556626', '2026-12-06T11:30:26Z', '4', '0', '2026-12-06T11:30:26Z', '1796556625000001', '', '3'],
    ];
    expect(columnKinds(columns, rows)).toEqual([
      'time',
      'time',
      'text',
      'size',
      'text',
      'time',
      'text',
      'size',
    ]);
    expect(columnKinds(['When'], [['yesterday']])).toEqual(['text']);
  });

  it('writes times by the one rule and sizes for people, keeping the data on hover', () => {
    expect(displayText('time', '2026-12-06T11:30:25.5Z', 'utc')).toBe('2026-12-06 11:30:25.500 UTC');
    expect(displayText('time', '1796556625', 'utc')).toBe('2026-12-06 11:30:25 UTC');
    expect(displayText('time', 'not a time', 'utc')).toBe('not a time');
    expect(displayText('size', '1474560', 'utc')).toBe('1.4 MiB');
    expect(hoverText('size', '1474560')).toBe('1,474,560 bytes');
    expect(hoverText('time', '1796556625')).toBe('1796556625');
    expect(displayText('size', '1023', 'utc')).toBe('1023 B');
    expect(displayText('size', String(20 * 1024 ** 3), 'utc')).toBe('20 GiB');
  });
});
