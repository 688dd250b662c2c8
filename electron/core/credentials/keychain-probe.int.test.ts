/**
 * Against the real Secret Service: `npm test` runs the integration project inside a private D-Bus
 * session with an unlocked gnome-keyring (MEGARAPTOR_TEST_KEYRING=1). Outside it the probe must
 * answer "unavailable" with advice, never hang or throw.
 */
import { describe, expect, it } from 'vitest';
import { probeKeychain } from './keychain-probe';

const inKeyringSession = process.env.MEGARAPTOR_TEST_KEYRING === '1';

describe('probeKeychain (real @napi-rs/keyring)', () => {
  it.runIf(inKeyringSession)('finds the unlocked gnome-keyring of the test session', async () => {
    const status = await probeKeychain({ timeoutMs: 10_000 });
    expect(status).toEqual({ available: true, backend: 'Secret Service' });
  });

  it('answers without a D-Bus session as unavailable, with advice', async () => {
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/megaraptor-bus';
    try {
      const status = await probeKeychain({ timeoutMs: 10_000 });
      expect(status.available).toBe(false);
      expect(status.detail).toBeTruthy();
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
    }
  });
});
