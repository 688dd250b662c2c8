/**
 * TEST DOUBLE — not a product target. A deployer whose "remote files" are real files in a folder of
 * the test's own, so the runner's journaling, rollback, resume and crash clean-up can be exercised
 * fast and in child processes. It declares the `ssh` target only because remote files are what an
 * SSH host deployment makes; it speaks to no host.
 *
 * Settings choose where it fails (`failAt` step id) and which removal fails (`stuckFile`), to drive
 * the error paths.
 */
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreflightCheck, ResourceRef } from '../../../../shared/deploy';
import { AppError } from '../../../../shared/errors';
import type { Deployer, DeploymentPlan, DeployRequest, PlanContext, StepDefinition } from '../model';

export interface FileSettings {
  dir: string;
  /** Files made by each of the three apply steps. */
  filesPerStep: number;
  failAt?: string;
  /** A file whose removal fails (the folder is made read-only for it). */
  stuckFile?: string;
  preflightFails?: boolean;
}

const STEPS = ['secrets', 'files-a', 'files-b', 'files-c', 'verify'] as const;

export class FileDeployer implements Deployer<FileSettings> {
  readonly target = 'ssh' as const;
  readonly kinds = ['remote-file'] as const;
  /** Removals that should fail (tests set it). */
  readonly refuseRemoval = new Set<string>();

  async plan(request: DeployRequest<FileSettings>, ctx: PlanContext): Promise<DeploymentPlan<FileSettings>> {
    const s = request.settings;
    const id = ctx.deploymentId;
    return {
      deploymentId: id,
      name: request.name,
      target: this.target,
      profile: ctx.profile,
      settings: s,
      steps: STEPS.map((step) => ({
        id: step,
        title: `Step ${step}`,
        resources: this.resourcesOf(id, s, step),
      })),
      warnings: [],
      createdAt: ctx.now.toISOString(),
      autoDestroyAt: null,
    };
  }

  private resourcesOf(id: string, s: FileSettings, step: string): ResourceRef[] {
    if (step === 'secrets')
      return [0, 1].map((i) => ({
        kind: 'secret',
        id: `deploy:${id}:s${i}`,
        scope: 'keychain',
        title: `secret ${i}`,
      }));
    if (!step.startsWith('files-')) return [];
    return Array.from({ length: s.filesPerStep }, (_, i) => ({
      kind: 'remote-file' as const,
      id: join(s.dir, `${id}-${step}-${i}`),
      scope: 'test-folder',
      title: `file ${step}/${i}`,
    }));
  }

  async preflight(plan: DeploymentPlan<FileSettings>): Promise<PreflightCheck[]> {
    await mkdir(plan.settings.dir, { recursive: true });
    return [
      {
        id: 'folder',
        title: 'Folder writable',
        status: plan.settings.preflightFails ? 'failed' : 'ok',
        message: plan.settings.preflightFails ? 'told to fail' : plan.settings.dir,
      },
    ];
  }

  steps(plan: DeploymentPlan<FileSettings>): StepDefinition[] {
    const s = plan.settings;
    return STEPS.map((step) => ({
      id: step,
      title: `Step ${step}`,
      phase: step === 'verify' ? ('verify' as const) : ('apply' as const),
      run: async (ctx) => {
        if (s.failAt === step) throw new AppError('DEPLOY_FAILED', `told to fail at ${step}`);
        for (const ref of this.resourcesOf(plan.deploymentId, s, step)) {
          if (ref.kind === 'secret')
            await ctx.create(ref, () => ctx.secrets.set(ref.id, `value-of-${ref.id}`));
          else
            await ctx.create(
              ref,
              () => writeFile(ref.id, step),
              () => ({ bytes: step.length }),
            );
        }
        if (step === 'verify') {
          for (const ref of plan.steps.flatMap((x) => x.resources).filter((r) => r.kind === 'remote-file'))
            await access(ref.id);
          await ctx.setOutput('verified', true);
        } else await ctx.setOutput(`${step}-done`, true);
      },
    }));
  }

  async remove(ref: ResourceRef): Promise<void> {
    if (this.refuseRemoval.has(ref.id)) throw new Error(`permission denied: ${ref.id}`);
    await rm(ref.id, { force: true });
  }
}
