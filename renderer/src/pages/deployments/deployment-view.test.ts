import { describe, expect, it } from 'vitest';
import { countdown, countdownColor, daysLeftLabel, soonestCertificate, urlsOf } from './deployment-view';

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

describe('certificates', () => {
  const cert = (role: 'ca' | 'api', daysLeft: number) => ({
    role,
    title: role,
    notAfter: '2027-01-01T00:00:00Z',
    daysLeft,
    level: 'ok' as const,
    renewable: role !== 'ca',
  });

  it('shows the one that expires first', () => {
    expect(soonestCertificate({ certificates: [cert('ca', 3600), cert('api', 6.5)] })?.role).toBe('api');
    expect(soonestCertificate({ certificates: [] })).toBeUndefined();
  });

  it('words the time left in days, then hours, and the time since expiry', () => {
    expect(daysLeftLabel(6.9)).toBe('in 6 d');
    expect(daysLeftLabel(0.5)).toBe('in 12 h');
    expect(daysLeftLabel(0.001)).toBe('in 1 h');
    expect(daysLeftLabel(-2.2)).toBe('expired 2 d ago');
  });
});
