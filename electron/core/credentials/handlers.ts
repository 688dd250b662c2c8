/**
 * The credentials contract mapped onto CredentialService, for the composition root:
 * `handlers = { ...credentialHandlers(service), ... }`.
 */
import type { z } from 'zod';
import type { credentialsContract } from '../../../shared/contracts/credentials';
import type { CredentialService } from './credential-service';

type C = typeof credentialsContract;
type In<K extends keyof C> = z.output<C[K]['input']>;

export function credentialHandlers(service: CredentialService) {
  return {
    'credentials:list': (input: In<'credentials:list'>) => service.list(input),
    'credentials:delete': (input: In<'credentials:delete'>) => service.delete(input.id),
    'credentials:repair': (input: In<'credentials:repair'>) => service.repair({ dryRun: input.dryRun }),
    'credentials:reveal': (input: In<'credentials:reveal'>) => service.reveal(input.id, input.confirm),
    'credentials:status': () => service.status(),
    'credentials:add': (input: In<'credentials:add'>) =>
      service.add({ name: input.name, kind: input.kind, secret: input.secret }),
    'credentials:vault-open': (input: In<'credentials:vault-open'>) =>
      service.openVault(input.passphrase, input.create),
  };
}
