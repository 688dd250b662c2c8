/**
 * Turns @napi-rs/keyring's error messages into our three keychain failures. The library reports
 * everything as `GenericFailure`; only the message tells "no D-Bus / no Secret Service" apart from
 * "locked" and "denied". The patterns below are the messages seen on Debian with gnome-keyring
 * (keychain-errors.test.ts lists them) plus the macOS/Windows wording of the same conditions.
 */
import { AppError, messageOf } from '../../../shared/errors';

const LOCKED =
  /prompt was dismissed|is locked|locked collection|interaction is not allowed|errSecInteractionNotAllowed/i;
/** No bus, no Secret Service on the bus, or no default collection. */
const NO_SERVICE = /Failed to connect|autolaunch|ServiceUnknown|not provided by any|no result found/i;
/** The kernel-keyring fallback's refusal: what an unpinned entry reports when there is no Secret Service. */
const KEYUTILS_DENIAL = /^Couldn't access platform storage: AccessDenied$/;
const DENIED =
  /AccessDenied|access denied|not authori[sz]ed|permission denied|user canceled|errSecAuthFailed|ERROR_ACCESS_DENIED/i;

const LINUX_ADVICE =
  'Start a desktop session with a keyring (GNOME Keyring or KWallet) or run inside `dbus-run-session` with ' +
  '`gnome-keyring-daemon --unlock --components=secrets`. Without a keychain you can choose the passphrase-encrypted file vault.';

/** Classifies a keyring failure; `operation` names what we tried ("read", "store", "delete"). */
export function keychainError(e: unknown, operation: string, backend: string): AppError {
  const message = messageOf(e);
  // Order matters: "Couldn't access platform storage: Secret Service: unlock prompt was dismissed"
  // is a locked keyring, not a missing one.
  if (LOCKED.test(message)) {
    return new AppError(
      'KEYCHAIN_LOCKED',
      `The ${backend} is locked (${operation} refused: ${message}). Unlock your keyring and try again.`,
      {
        cause: e,
        details: { operation, backend },
      },
    );
  }
  if (NO_SERVICE.test(message) || KEYUTILS_DENIAL.test(message)) {
    return new AppError('KEYCHAIN_UNAVAILABLE', `No ${backend} is available (${message}). ${LINUX_ADVICE}`, {
      cause: e,
      details: { operation, backend },
    });
  }
  if (DENIED.test(message)) {
    return new AppError(
      'KEYCHAIN_ACCESS_DENIED',
      `The ${backend} refused access (${operation}: ${message}). Allow Megaraptor Desktop in the keychain prompt or its access settings.`,
      { cause: e, details: { operation, backend } },
    );
  }
  return new AppError('KEYCHAIN_UNAVAILABLE', `The ${backend} failed to ${operation} a secret: ${message}`, {
    cause: e,
    details: { operation, backend },
  });
}

export function keychainTimeout(operation: string, backend: string, timeoutMs: number): AppError {
  return new AppError(
    'KEYCHAIN_LOCKED',
    `The ${backend} did not answer within ${timeoutMs} ms (${operation}). It is probably locked and waiting for an unlock prompt: unlock your keyring and try again.`,
    { details: { operation, backend, timeoutMs } },
  );
}
