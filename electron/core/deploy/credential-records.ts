/**
 * A deployment's secrets (CA, server config, API identity, administrator password: server-identity.ts)
 * are written to the keychain by its steps and removed by clean-up. This store does the same writes and
 * deletes and also lists each secret in the credential index, owned by its deployment, so the
 * Credentials page shows them and the wizard's result can reveal the administrator's password through
 * the one confirmed reveal (`credentials:reveal`) — never through a deployment channel of its own.
 */
import type { CredentialKind } from '../../../shared/contracts/credentials';
import type { CredentialService, SecretStore } from '../credentials/index';

const KINDS: Record<string, { kind: CredentialKind; what: string }> = {
  ca: { kind: 'ca-key', what: 'CA certificate and private key' },
  'server-config': { kind: 'private-key', what: 'server config (Frontend and GUI keys)' },
  'api-identity': { kind: 'private-key', what: "the app's API identity" },
  'admin-password': { kind: 'password', what: 'GUI administrator password' },
};

const DEPLOYMENT_SECRET = /^deploy:([a-z0-9][a-z0-9-]{2,63}):([a-z0-9-]+)$/;

export type CredentialRecords = Pick<CredentialService, 'register' | 'unregister'>;

export function listedDeploymentSecrets(
  store: SecretStore,
  records: CredentialRecords,
  /** The deployment's display name (from its journal); the id when it cannot be read. */
  nameOf: (deploymentId: string) => Promise<string>,
): SecretStore {
  return {
    backend: store.backend,
    get: (ref) => store.get(ref),
    async set(ref, value) {
      await store.set(ref, value);
      const m = DEPLOYMENT_SECRET.exec(ref);
      if (!m) return;
      const [, deploymentId, which] = m as unknown as [string, string, string];
      const known = KINDS[which] ?? { kind: 'other' as const, what: which };
      const name = await nameOf(deploymentId).catch(() => deploymentId);
      await records.register({
        id: ref,
        name: `${name} — ${known.what}`.slice(0, 200),
        kind: known.kind,
        owner: { deploymentId },
      });
    },
    async delete(ref) {
      await store.delete(ref);
      if (DEPLOYMENT_SECRET.test(ref)) await records.unregister(ref);
    },
  };
}
