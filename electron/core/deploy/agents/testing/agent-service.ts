/**
 * The AgentService of a test: its data in `dir` (releases, known hosts), no keychain unless `secrets`
 * is given, every target on the one server given, releases from `source` (checked against `trustedKey` when given).
 */
import { join } from 'node:path';
import type { SecretStore } from '../../../credentials/index';
import type { VelociraptorService } from '../../../velociraptor/index';
import { ReleaseCache } from '../../releases/cache';
import { ReleaseSource, type ReleaseSourceConfig } from '../../releases/source';
import type { TrustedKey } from '../../releases/signature';
import { HostKeyStore } from '../../ssh/index';
import { AgentService, type AgentServiceDeps } from '../service';

export function testAgentService(
  dir: string,
  server: () => VelociraptorService,
  o: { source: ReleaseSourceConfig; trustedKey?: TrustedKey; secrets?: SecretStore } & Pick<
    AgentServiceDeps,
    'localVelociraptor' | 'keyRecord'
  >,
): AgentService {
  return new AgentService({
    dataDir: dir,
    secrets: () => Promise.resolve(o.secrets ?? null),
    server: () => Promise.resolve(server()),
    releases: new ReleaseCache({
      dir: join(dir, 'releases'),
      source: new ReleaseSource(o.source),
      ...(o.trustedKey ? { trustedKey: o.trustedKey } : {}),
    }),
    hostKeys: new HostKeyStore({ appFile: join(dir, 'known_hosts'), userFiles: [] }),
    ...(o.localVelociraptor ? { localVelociraptor: o.localVelociraptor } : {}),
    ...(o.keyRecord ? { keyRecord: o.keyRecord } : {}),
  });
}
