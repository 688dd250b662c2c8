import { describe, expect, it } from 'vitest';
import { formatBytes } from './bytes';

describe('formatBytes', () => {
  it('writes counts for people, 1024-based', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1)).toBe('1 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1 KiB');
    expect(formatBytes(1_474_560)).toBe('1.4 MiB');
    expect(formatBytes(512 * 1024 ** 2)).toBe('512 MiB');
    expect(formatBytes(4 * 1024 ** 3)).toBe('4 GiB');
    expect(formatBytes(8_589_934_592)).toBe('8 GiB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GiB');
    expect(formatBytes(20 * 1024 ** 3)).toBe('20 GiB');
    expect(formatBytes(3 * 1024 ** 5)).toBe('3 PiB');
  });

  it('shows what is not a count as it is', () => {
    expect(formatBytes(-1)).toBe('-1');
    expect(formatBytes(Number.NaN)).toBe('NaN');
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });
});
