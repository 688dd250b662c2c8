/**
 * The host key a host presents, checked before a deployment or push logs in, so the responder can
 * compare and confirm a new key once (the wizard's fingerprint step, the CLI's --accept-host-key)
 * instead of meeting SSH_HOST_KEY_UNKNOWN half-way through. Both answers come from HostKeyStore's own
 * `verify` — one rule for what is trusted — and trusting goes through its `remember`. A changed or
 * revoked key is never confirmed here: that is an edit of the file that lists the old key.
 */
import type { HostKeyCheck } from '../../../../shared/contracts/deploy';
import { AppError, isAppError } from '../../../../shared/errors';
import { probeHostKey } from './connect';
import type { HostKeyStore, PresentedHostKey } from './host-keys';

export interface HostKeyCheckOptions {
  /** How long to wait for the host's key exchange. */
  timeoutMs?: number;
}

/** Whether `key` is trusted, new or changed for its host, by the store's own rule. Nothing is remembered. */
export async function hostKeyStatus(store: HostKeyStore, key: PresentedHostKey): Promise<HostKeyCheck> {
  const view = { host: key.host, port: key.port, keyType: key.keyType, fingerprint: key.fingerprint };
  try {
    await store.verify(key.host, key.port, key.blob, () => Promise.resolve(false));
    return { ...view, status: 'known', known: [] };
  } catch (e) {
    if (isAppError(e, 'SSH_HOST_KEY_UNKNOWN'))
      return { ...view, status: 'unknown', known: [], message: e.message };
    if (isAppError(e, 'SSH_HOST_KEY_MISMATCH')) {
      const details = (e.details ?? {}) as { known?: HostKeyCheck['known']; source?: string; line?: number };
      const known =
        details.known ??
        (details.source !== undefined
          ? [
              {
                keyType: key.keyType,
                fingerprint: key.fingerprint,
                source: details.source,
                line: details.line ?? 0,
              },
            ]
          : []);
      return { ...view, status: 'changed', known, message: e.message };
    }
    throw e;
  }
}

/** What `host:port` presents now and whether it is trusted, new or changed. Nothing is remembered. */
export async function checkHostKey(
  store: HostKeyStore,
  hop: { host: string; port: number },
  options: HostKeyCheckOptions = {},
): Promise<HostKeyCheck> {
  return hostKeyStatus(store, await probeHostKey(hop, options));
}

/**
 * Remembers the key `host:port` presents when it is new and its fingerprint is the one the responder
 * compared (`fingerprint`); a key already trusted is answered as known. A changed key, or a host that
 * now presents another key than the one confirmed, is refused and nothing is written.
 */
export async function trustHostKey(
  store: HostKeyStore,
  hop: { host: string; port: number },
  fingerprint: string,
  options: HostKeyCheckOptions = {},
): Promise<HostKeyCheck> {
  const key = await probeHostKey(hop, options);
  const check = await hostKeyStatus(store, key);
  if (check.status === 'known') return check;
  if (check.status === 'changed')
    throw new AppError('SSH_HOST_KEY_MISMATCH', check.message ?? 'The host key changed.', {
      details: { host: check.host, port: check.port, presented: check.fingerprint, known: check.known },
    });
  if (key.fingerprint !== fingerprint)
    throw new AppError(
      'SSH_HOST_KEY_MISMATCH',
      `${hop.host}:${hop.port} now presents ${key.keyType} ${key.fingerprint}, not the ${fingerprint} that was confirmed. Nothing was remembered; compare the key on the host again.`,
      { details: { host: hop.host, port: hop.port, presented: key.fingerprint, confirmed: fingerprint } },
    );
  await store.remember(key.host, key.port, key.blob);
  return {
    host: key.host,
    port: key.port,
    keyType: key.keyType,
    fingerprint: key.fingerprint,
    status: 'known',
    known: [],
  };
}
