/** The deployments contract (shared/contracts/deploy.ts) answered by the DeploymentService. */
import type { deployContract, PlanView, ProfileView } from '../../../shared/contracts/deploy';
import type { Handlers } from '../rpc/index';
import { engineFromEnv } from './docker/engine';
import type { EvidenceExport } from './evidence-export';
import type { DeploymentPlan } from './model';
import { PROFILES, type Profile } from './profiles';
import { RECOMMENDED_RELEASE } from './releases/source';
import type { RemovalOutcome } from './runner';
import type { DeploymentService } from './service';
import { checkHostKey, trustHostKey } from './ssh/host-key-check';

export const removedView = (removed: RemovalOutcome[]) =>
  removed.map((r) => ({
    kind: r.resource.kind,
    id: r.resource.id,
    ok: r.ok,
    ...(r.error ? { error: r.error } : {}),
  }));

export const evidenceView = (e: EvidenceExport) => ({
  folder: e.folder,
  files: e.files.length,
  manifest: e.manifest,
  failures: e.failures,
});

export function profileView(p: Profile): ProfileView {
  return {
    name: p.name,
    title: p.title,
    description: p.description,
    allowedTargets: [...p.allowedTargets],
    limits: { ...p.limits },
    minimum: { ...p.minimum },
    certificates: { ...p.certificates },
    autoDestroyHours: p.autoDestroyHours,
    logRetentionDays: p.logRetentionDays,
  };
}

/** The plan as the review step shows it (settings as journaled: no secret is in them). */
export function planView(plan: DeploymentPlan): PlanView {
  return {
    deploymentId: plan.deploymentId,
    name: plan.name,
    target: plan.target,
    profile: { ...profileView(plan.profile), overridden: [...plan.profile.overridden] },
    steps: plan.steps,
    warnings: plan.warnings,
    autoDestroyAt: plan.autoDestroyAt,
    ...(plan.cost ? { cost: plan.cost } : {}),
    settings: JSON.parse(JSON.stringify(plan.settings)) as Record<string, unknown>,
  };
}

export function deployHandlers(
  service: DeploymentService,
  env: NodeJS.ProcessEnv = process.env,
): Handlers<typeof deployContract> {
  return {
    'deploy:list': () => service.list(),
    'deploy:options': () => {
      const engine = engineFromEnv(env);
      return {
        profiles: Object.values(PROFILES).map(profileView),
        dockerEngine:
          engine.kind === 'socket' ? engine : { kind: 'tcp', host: engine.host, port: engine.port },
        defaultTag: RECOMMENDED_RELEASE,
      };
    },
    'deploy:host-key': (i) => checkHostKey(service.hostKeys, i),
    'deploy:trust-host-key': (i) => trustHostKey(service.hostKeys, i, i.fingerprint),
    'deploy:plan': async (i) =>
      planView(
        await service.plan(i.target, {
          name: i.name,
          profile: i.profile,
          ...(i.overrides ? { overrides: i.overrides } : {}),
          settings: i.settings,
        }),
      ),
    'deploy:check': async (i, ctx) => ({ checks: await service.check(i.id, ctx.signal) }),
    'deploy:start': (i, ctx) => service.deployEvents(i.id, ctx.signal),
    'deploy:resume': (i, ctx) => service.resumeEvents(i.id, ctx.signal),
    'deploy:cleanup': async (i) => ({ removed: removedView(await service.cleanup(i.id)) }),
    'deploy:status': (i, ctx) => service.status(i.id, ctx.signal),
    'deploy:logs': async (i, ctx) => ({ text: await service.logs(i.id, i.lines, ctx.signal) }),
    'deploy:restart': (i, ctx) => service.operationEvents((o) => service.restart(i.id, o), ctx.signal),
    'deploy:renew': (i, ctx) =>
      service.operationEvents((o) => service.renewCertificates(i.id, i.mode, o), ctx.signal),
    'deploy:extend': (i, ctx) => service.operationEvents((o) => service.extend(i.id, i.hours, o), ctx.signal),
    'deploy:legal-hold': async (i, ctx) => {
      const r = await service.setLegalHold(i.id, i.hold, i.reason, { signal: ctx.signal });
      return { operation: r.operation.id, state: r.operation.state };
    },
    'deploy:export-evidence': async (i, ctx) =>
      evidenceView(await service.exportEvidence(i.id, i.folder, { signal: ctx.signal })),
    'deploy:export-docs': (i) => service.exportDocs(i.id, i.folder),
    'deploy:destroy': async (i, ctx) => {
      const r = await service.destroy(i.id, {
        exportTo:
          i.evidence === 'export' ? (i.folder ?? service.evidenceFolder(await service.find(i.id))) : null,
        signal: ctx.signal,
      });
      return {
        removed: removedView(r.removed),
        ...(r.evidence ? { evidence: evidenceView(r.evidence) } : {}),
      };
    },
    'deploy:reap': async () => ({
      outcomes: (await service.reap()).map((r) => ({
        id: r.id,
        name: r.name,
        outcome: r.outcome,
        message: r.message,
      })),
    }),
    'deploy:notices': async () => ({ notices: await service.notices() }),
  };
}
