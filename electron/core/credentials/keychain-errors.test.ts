import { describe, expect, it } from 'vitest';
import { keychainError } from './keychain-errors';

// Messages observed from @napi-rs/keyring 2.1 on Debian (see test-recipes.md and keychain-store.int.test.ts).
const cases: Array<[string, string]> = [
  [
    'Platform failure: DBus error: Failed to connect to socket /nonexistent: No such file or directory',
    'KEYCHAIN_UNAVAILABLE',
  ],
  [
    'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead',
    'KEYCHAIN_UNAVAILABLE',
  ],
  ["Couldn't access platform storage: AccessDenied", 'KEYCHAIN_UNAVAILABLE'],
  ["Couldn't access platform storage: Secret Service: no result found", 'KEYCHAIN_UNAVAILABLE'],
  [
    'zbus error: Failed to connect to address `unix:path=/run/user/0/bus`: No such file or directory (os error 2)',
    'KEYCHAIN_UNAVAILABLE',
  ],
  ["Couldn't access platform storage: Secret Service: unlock prompt was dismissed", 'KEYCHAIN_LOCKED'],
  [
    'Platform failure: DBus error: org.freedesktop.DBus.Error.AccessDenied: Rejected send message',
    'KEYCHAIN_ACCESS_DENIED',
  ],
  ["Couldn't access platform storage: User canceled the operation.", 'KEYCHAIN_ACCESS_DENIED'],
];

describe('keychainError', () => {
  it.each(cases)('%s → %s', (message, code) => {
    const err = keychainError(new Error(message), 'read', 'Secret Service');
    expect(err.code).toBe(code);
    expect(err.message).toContain(message);
    expect(err.details).toEqual({ operation: 'read', backend: 'Secret Service' });
  });

  it('tells the responder what to do when no keychain exists, including the vault choice', () => {
    const err = keychainError(
      new Error('Platform failure: DBus error: Failed to connect to socket /x'),
      'store',
      'Secret Service',
    );
    expect(err.message).toMatch(/gnome-keyring-daemon/);
    expect(err.message).toMatch(/file vault/);
  });
});
