/**
 * Operations on a deployed Azure server, through Azure's own channels only (the app has no shell on
 * the VM): the VM's power state (instance view), its serial log from boot diagnostics (the boot
 * script logs there), a new config put in Key Vault for the VM's config fetcher (journaled; deleted
 * and purged once the server serves again), restart as a power-off and start (every boot reruns the
 * fetcher before the server), and the self-destruction moved by re-tagging the VM (the on-VM timer
 * reads its tag from the instance metadata).
 */
import type { HoldTargetTimer, TargetHealth } from '../../../../shared/deploy';
import { AppError, messageOf } from '../../../../shared/errors';
import { HOLD_TAG_VALUE } from '../cloud/vm-script';
import type { DeploymentPlan, StepContext } from '../model';
import type { TargetOperations } from '../target-operations';
import { azurePlan, type AzureDeployer, type AzureSettings } from './azure-deployer';
import { azureError } from './clients';
import { AZURE_NAMES as N, AZURE_TAG, resourceGroupOf } from './names';
import { API_VERSIONS } from './template';

export class AzureOperations implements TargetOperations {
  readonly target = 'azure' as const;

  constructor(private readonly deps: { deployer: AzureDeployer; clock?: () => Date; pollMs?: number }) {}

  private vmPath(plan: DeploymentPlan<AzureSettings>): string {
    return `/subscriptions/${plan.settings.subscriptionId}/resourceGroups/${resourceGroupOf(plan.deploymentId)}/providers/Microsoft.Compute/virtualMachines/${N.vm}`;
  }

  private call(plan: DeploymentPlan<AzureSettings>, method: 'GET' | 'POST', suffix: string, doing: string) {
    return this.deps.deployer.clients.armCall(
      this.deps.deployer.connection(plan.settings),
      method,
      `${this.vmPath(plan)}${suffix}`,
      API_VERSIONS.compute,
      {
        doing,
        pollMs: this.deps.pollMs ?? 5_000,
      },
    );
  }

  /** The VM's power state ("running", "stopped", "deallocated", …). */
  async powerState(plan: DeploymentPlan<AzureSettings>): Promise<string> {
    const r = await this.call(plan, 'GET', '/instanceView', `reading the state of ${N.vm}`);
    const statuses = (r.body as { statuses?: Array<{ code?: string }> } | null)?.statuses ?? [];
    return (
      statuses.find((x) => x.code?.startsWith('PowerState/'))?.code?.slice('PowerState/'.length) ?? 'unknown'
    );
  }

  async health(planIn: DeploymentPlan): Promise<TargetHealth> {
    const plan = azurePlan(planIn);
    const checkedAt = (this.deps.clock?.() ?? new Date()).toISOString();
    try {
      const state = await this.powerState(plan);
      return {
        ok: state === 'running',
        state,
        detail: `VM ${N.vm} in ${resourceGroupOf(plan.deploymentId)} (${plan.settings.location}) is ${state}`,
        checkedAt,
      };
    } catch (e) {
      return { ok: false, state: 'unreachable', detail: messageOf(e), checkedAt };
    }
  }

  /** The VM's serial log (boot diagnostics), its last `lines` lines. */
  async logs(planIn: DeploymentPlan, lines: number): Promise<string> {
    const plan = azurePlan(planIn);
    const r = await this.call(
      plan,
      'POST',
      '/retrieveBootDiagnosticsData?sasUriExpirationTimeInMinutes=5',
      'reading the boot diagnostics',
    );
    const uri = (r.body as { serialConsoleLogBlobUri?: string } | null)?.serialConsoleLogBlobUri;
    if (!uri) throw new AppError('NOT_FOUND', `The VM ${N.vm} has no serial log yet (boot diagnostics).`);
    const text = await this.deps.deployer.clients.fetchText(uri, 'downloading the serial log');
    return text.split('\n').slice(-lines).join('\n');
  }

  async deliverConfig(planIn: DeploymentPlan, yaml: string, ctx: StepContext): Promise<void> {
    const plan = azurePlan(planIn);
    await this.deps.deployer.putConfig(plan, yaml, ctx);
    ctx.log('The new config is in Key Vault; the VM reads it at its next start');
  }

  async restart(planIn: DeploymentPlan, ctx: StepContext): Promise<void> {
    const plan = azurePlan(planIn);
    await this.call(plan, 'POST', '/powerOff', `powering off ${N.vm}`);
    const state = await this.powerState(plan);
    if (state !== 'stopped' && state !== 'deallocated')
      throw new AppError('DEPLOY_FAILED', `The VM ${N.vm} is ${state} after being powered off.`);
    ctx.log(`${N.vm} stopped; starting it again (the config fetcher runs before the server)`);
    await this.call(plan, 'POST', '/start', `starting ${N.vm}`);
    const boot = this.deps.deployer.steps(plan).find((x) => x.id === 'boot');
    if (!boot) throw new AppError('INTERNAL', 'The Azure deployer has no boot step.');
    await boot.run(ctx);
    await ctx.remove(this.deps.deployer.secretRef(plan));
    ctx.log('The server serves again; the config secret is deleted and purged');
  }

  async rescheduleExpiry(planIn: DeploymentPlan, at: Date, ctx: StepContext): Promise<void> {
    await this.tagDestroyAt(azurePlan(planIn), at.toISOString());
    await ctx.setOutput('targetDestroyAt', at.toISOString());
    ctx.log(
      `The VM's self-destruction timer now fires at ${at.toISOString()} (its ${AZURE_TAG.destroyAt} tag)`,
    );
  }

  /**
   * A legal hold: the VM's tag says "held", which its timer reads when it fires and then destroys
   * nothing (asking again hourly) until the lift tags a time again. A VM made before its timer knew
   * that value would read it as "now": it is left armed, and the hold says so.
   */
  async disarmExpiry(planIn: DeploymentPlan, ctx: StepContext): Promise<HoldTargetTimer> {
    if (ctx.outputs.targetHoldAware !== true) return 'armed';
    await this.tagDestroyAt(azurePlan(planIn), HOLD_TAG_VALUE);
    await ctx.setOutput('targetDestroyAt', '');
    ctx.log(
      `The VM's ${AZURE_TAG.destroyAt} tag is "${HOLD_TAG_VALUE}": its self-destruction timer destroys nothing until the hold is lifted`,
    );
    return 'disarmed';
  }

  private async tagDestroyAt(plan: ReturnType<typeof azurePlan>, value: string): Promise<void> {
    const arm = this.deps.deployer.clients.arm(this.deps.deployer.connection(plan.settings));
    try {
      const vm = await arm.resources.getById(this.vmPath(plan), API_VERSIONS.compute);
      await arm.resources.beginUpdateByIdAndWait(this.vmPath(plan), API_VERSIONS.compute, {
        tags: { ...(vm.tags ?? {}), [AZURE_TAG.destroyAt]: value },
      });
    } catch (e) {
      throw azureError(e, `re-tagging ${N.vm}`);
    }
  }
}
