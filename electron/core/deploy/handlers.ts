/** The deployments contract (shared/contracts/deploy.ts) answered by the DeploymentService. */
import type { deployContract } from '../../../shared/contracts/deploy';
import type { Handlers } from '../rpc/index';
import type { RemovalOutcome } from './runner';
import type { DeploymentService } from './service';

const outcome = (removed: RemovalOutcome[]) => ({
  removed: removed.map((r) => ({
    kind: r.resource.kind,
    id: r.resource.id,
    ok: r.ok,
    ...(r.error ? { error: r.error } : {}),
  })),
});

export function deployHandlers(service: DeploymentService): Handlers<typeof deployContract> {
  return {
    'deploy:list': () => service.list(),
    'deploy:resume': (i, ctx) => service.resumeEvents(i.id, ctx.signal),
    'deploy:cleanup': async (i) => outcome(await service.cleanup(i.id)),
    'deploy:destroy': async (i) => outcome(await service.destroy(i.id)),
  };
}
