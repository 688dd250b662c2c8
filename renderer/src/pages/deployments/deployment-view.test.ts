import { describe, expect, it } from 'vitest';
import { countdown, countdownColor, urlsOf } from './deployment-view';

describe('deployment view', () => {
  const now = Date.parse('2026-12-06T20:00:00Z');
  it('counts down to self-destruction and colours the last day and hour', () => {
    expect(countdown(null, now)).toBeNull();
    expect(countdown('2026-12-09T21:02:03Z', now)).toBe('3 d 01:02:03');
    expect(countdown('2026-12-06T20:45:00Z', now)).toBe('00:45:00');
    expect(countdown('2026-12-06T19:00:00Z', now)).toBe('due');
    expect(countdownColor('2026-12-09T21:02:03Z', now)).toBe('dimmed');
    expect(countdownColor('2026-12-07T10:00:00Z', now)).toBe('orange');
    expect(countdownColor('2026-12-06T20:45:00Z', now)).toBe('red');
  });

  it('lists the URLs among the outputs in a fixed order, and nothing else', () => {
    expect(
      urlsOf({
        apiEndpoint: '127.0.0.1:8001',
        caFingerprint: 'AB:CD',
        guiUrl: 'https://127.0.0.1:8889/',
        frontendUrl: '',
      }),
    ).toEqual([
      { key: 'guiUrl', label: 'GUI', value: 'https://127.0.0.1:8889/' },
      { key: 'apiEndpoint', label: 'API', value: '127.0.0.1:8001' },
    ]);
  });
});
