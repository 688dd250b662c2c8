import { describe, expect, it } from 'vitest';
import { backendName, probeKeychain, type ProbeEntry } from './keychain-probe';

/** An in-memory entry that records what the probe did with it. */
function memoryEntry(log: string[], overrides: Partial<ProbeEntry> = {}): ProbeEntry {
  let stored: string | null = null;
  return {
    setPassword: async (p) => {
      log.push('set');
      stored = p;
    },
    getPassword: async () => {
      log.push('get');
      return stored;
    },
    deletePassword: async () => {
      log.push('delete');
      stored = null;
      return true;
    },
    ...overrides,
  };
}

describe('probeKeychain', () => {
  it('reports available after a full set/get/delete round trip', async () => {
    const log: string[] = [];
    const status = await probeKeychain({ factory: async () => memoryEntry(log), platform: 'linux' });
    expect(status).toEqual({ available: true, backend: 'Secret Service' });
    expect(log).toEqual(['set', 'get', 'delete']);
  });

  it('turns the no-D-Bus error into an actionable "unavailable"', async () => {
    const log: string[] = [];
    const entry = memoryEntry(log, {
      setPassword: () => Promise.reject(new Error("Couldn't access platform storage: AccessDenied")),
    });
    const status = await probeKeychain({ factory: async () => entry, platform: 'linux' });
    expect(status.available).toBe(false);
    expect(status.detail).toContain('platform storage');
    expect(status.detail).toContain('gnome-keyring-daemon');
  });

  it('reports a keyring that never answers as unavailable after the timeout, and aborts it', async () => {
    let seen: AbortSignal | undefined;
    const entry = memoryEntry([], {
      setPassword: (_p, signal) => {
        seen = signal;
        return new Promise<void>(() => undefined);
      },
    });
    const t0 = Date.now();
    const status = await probeKeychain({ factory: async () => entry, timeoutMs: 100, platform: 'darwin' });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(status).toMatchObject({ available: false, backend: 'macOS Keychain' });
    expect(status.detail).toMatch(/no answer within 100 ms/);
    expect(seen?.aborted).toBe(true);
  });

  it('says unavailable when the secret read back differs, and still deletes the probe', async () => {
    const log: string[] = [];
    const entry = memoryEntry(log, { getPassword: async () => 'other' });
    const status = await probeKeychain({ factory: async () => entry, platform: 'win32' });
    expect(status.available).toBe(false);
    expect(status.backend).toBe('Windows Credential Manager');
    expect(log).toContain('delete');
  });

  it('reports a missing library with install advice', async () => {
    const status = await probeKeychain({
      factory: () => Promise.reject(new Error("Cannot find package '@napi-rs/keyring'")),
      platform: 'linux',
    });
    expect(status.available).toBe(false);
    expect(status.detail).toMatch(/could not be loaded/);
  });

  it('names the backend per platform', () => {
    expect(backendName('linux')).toBe('Secret Service');
    expect(backendName('darwin')).toBe('macOS Keychain');
    expect(backendName('win32')).toBe('Windows Credential Manager');
  });
});
