import { describe, expect, it } from 'vitest';
import {
  canReveal,
  clampPage,
  expiryBadge,
  findingText,
  kindLabel,
  ownerLabel,
  shortFingerprint,
} from './credential-view';

const NOW = new Date('2026-03-01T12:00:00Z');
const at = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString();

describe('credential view', () => {
  it('expiry badge follows the core flags and words the distance', () => {
    expect(expiryBadge({ expiresAt: at(-3), expired: true, expiringSoon: true }, NOW)).toEqual({
      label: 'expired',
      color: 'red',
      when: '3 days ago',
    });
    expect(expiryBadge({ expiresAt: at(12.5), expired: false, expiringSoon: true }, NOW)).toEqual({
      label: 'expires soon',
      color: 'orange',
      when: 'in 12 days',
    });
    expect(expiryBadge({ expiresAt: at(1), expired: false, expiringSoon: true }, NOW)?.when).toBe('in 1 day');
    expect(expiryBadge({ expiresAt: at(0.2), expired: false, expiringSoon: true }, NOW)?.when).toBe('today');
    expect(expiryBadge({ expiresAt: at(200), expired: false, expiringSoon: false }, NOW)).toBeNull();
    expect(expiryBadge({ expiresAt: null, expired: false, expiringSoon: false }, NOW)).toBeNull();
  });

  it('never offers to reveal a CA key; labels kinds and owners', () => {
    expect(canReveal('ca-key')).toBe(false);
    expect(canReveal('api-config')).toBe(true);
    expect(canReveal('password')).toBe(true);
    expect(kindLabel('api-config')).toBe('API client config');
    expect(ownerLabel({ serverName: 'lab', deploymentId: 'd1' })).toBe('server lab · deployment d1');
    expect(ownerLabel({})).toBe('—');
  });

  it('shortens fingerprints to their ends', () => {
    const fp = Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':');
    expect(shortFingerprint(fp)).toBe('00:01:02…1D:1E:1F');
    expect(shortFingerprint('AA:BB')).toBe('AA:BB');
    expect(shortFingerprint(null)).toBe('—');
  });

  it('words repair findings as "would" on a dry run and as done otherwise', () => {
    const f = { kind: 'missing-secret', id: 'x', name: 'lab', action: 'none' } as const;
    expect(findingText(f, true)).toContain('would remove');
    expect(findingText({ ...f, action: 'removed-from-index' }, false)).toContain('removed the entry');
    expect(findingText({ kind: 'orphan-secret', id: 'mcp:t', action: 'none' }, true)).toContain('(mcp:t)');
  });

  it('clamps the page after the list shrank', () => {
    expect(clampPage(3, 40, 20)).toBe(2);
    expect(clampPage(2, 0, 20)).toBe(1);
    expect(clampPage(1, 5, 20)).toBe(1);
  });
});
