/**
 * The connection manager writes API configs (and key passphrases) to the keychain itself; these
 * records list them in the credential index too, under the very keychain reference it used
 * (keychain-refs.ts), so the Credentials page shows them (owner = connection name, expiry = the
 * client certificate's notAfter) and repair does not mistake them for orphans.
 */
import { parse } from 'yaml';
import type { CredentialService } from '../credentials/index';
import { fingerprintSha256 } from '../pki/index';
import type { ServerSummary } from '../velociraptor/index';
import { connectionSecretRefs } from './keychain-refs';

export interface ConnectionCredentials {
  /** `name`'s config (and its passphrase, when given) was saved in the keychain. */
  saved(name: string, input: { yaml: string; passphrase: boolean; summary: ServerSummary }): Promise<void>;
  /**
   * `name` was re-opened from the keychain at start. Lists it when it is not listed yet
   * (saved before the index existed) or listed differently; writes nothing when it already is.
   */
  restored(
    name: string,
    input: { clientCertPem: string; passphrase: boolean; summary: ServerSummary },
  ): Promise<void>;
  /** `name`'s secrets were deleted. */
  removed(name: string): Promise<void>;
}

/** SHA-256 of a PEM certificate (colon-separated hex), or null when it cannot be read. */
function certFingerprint(pem: string): string | null {
  try {
    return fingerprintSha256(pem);
  } catch {
    return null;
  }
}

/** SHA-256 of the config's client certificate (colon-separated hex), or null when it cannot be read. */
export function clientCertFingerprint(yaml: string): string | null {
  try {
    const doc: unknown = parse(yaml);
    const pem =
      typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).client_cert : undefined;
    return typeof pem === 'string' ? certFingerprint(pem) : null;
  } catch {
    return null;
  }
}

/**
 * `register` and `unregister` write only what differs from the index (CredentialService), so
 * listing a server again - at every start - costs one read.
 */
export function connectionCredentials(
  service: Pick<CredentialService, 'register' | 'unregister'>,
): ConnectionCredentials {
  const list = async (
    name: string,
    input: { fingerprint: string | null; passphrase: boolean; summary: ServerSummary },
  ) => {
    const ids = connectionSecretRefs(name);
    const owner = { serverName: name };
    await service.register({
      id: ids.apiConfig,
      name: `${name} — API client config (${input.summary.user})`.slice(0, 200),
      kind: 'api-config',
      owner,
      expiresAt: new Date(input.summary.certNotAfter),
      fingerprint: input.fingerprint,
    });
    if (input.passphrase)
      await service.register({
        id: ids.passphrase,
        name: `${name} — key passphrase`,
        kind: 'passphrase',
        owner,
      });
    else await service.unregister(ids.passphrase);
  };
  return {
    saved: (name, input) =>
      list(name, {
        fingerprint: clientCertFingerprint(input.yaml),
        passphrase: input.passphrase,
        summary: input.summary,
      }),
    restored: (name, input) =>
      list(name, {
        fingerprint: certFingerprint(input.clientCertPem),
        passphrase: input.passphrase,
        summary: input.summary,
      }),
    async removed(name) {
      const ids = connectionSecretRefs(name);
      await service.unregister(ids.apiConfig);
      await service.unregister(ids.passphrase);
    },
  };
}
