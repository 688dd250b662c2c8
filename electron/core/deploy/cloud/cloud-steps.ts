/**
 * What every cloud target (AWS, Azure) does the same way, as the base class of their deployers: the
 * step list around the cloud's own steps (account, the infrastructure, the config secret), the
 * verified binary the VM downloads, the identities minted once the VM's address is known, the wait for
 * the boot, the API/frontends/GUI checks through the way the app reaches the VM (directly or through
 * an SSH tunnel), the config secret's deletion once verified (seal) and the connection. A cloud's
 * deployer says only what differs: its settings, clients, resources, preflight and removal.
 *
 * Step order: account, binary, <the cloud's infrastructure steps>, identity, secret, boot, verify-api,
 * verify-frontends (minions only), verify-gui, seal, connect.
 */
import type { z } from 'zod';
import type { PreflightCheck, ResourceRef } from '../../../../shared/deploy';
import { AppError, messageOf } from '../../../../shared/errors';
import { autoDestroyAt, checkApi, checkGui, connectStep, obtainRelease } from '../common-steps';
import type { ConnectionSink } from '../connection-sink';
import { MINION_FIRST_TASK_NOTE, nodeName, type FrontendNode } from '../frontends';
import type {
  DeploymentPlan,
  DeployRequest,
  PlanContext,
  RemoveContext,
  StepContext,
  StepDefinition,
} from '../model';
import type { PlatformWanted } from '../releases/assets';
import type { ReleaseCache } from '../releases/cache';
import { apiClientConfig, identitySecrets, mintIdentities } from '../server-identity';
import type { SshDeps } from '../ssh/connect';
import { hostLayout, type HostLayout } from '../ssh-host/layout';
import { verifyFrontends } from '../verify-frontends';
import { CloudReach, hostPort, type Dial } from './reach';
import { waitForServer } from './server-wait';
import { minionPortsOf, type CloudAccess, type CloudCommon } from './settings';

/** The settings every cloud target has (its own schema spreads CloudCommon). */
export type CloudSettings = z.output<z.ZodObject<typeof CloudCommon>>;

/** The VM's platform, service user and datastore: the same image family on every cloud. */
export const CLOUD_VM = {
  platform: { os: 'linux', arch: 'amd64', variant: '' } satisfies PlatformWanted,
  serviceUser: 'velociraptor',
  datastore: '/var/lib/velociraptor',
};

export interface CloudDeployerDeps {
  releases: ReleaseCache;
  connections: ConnectionSink;
  /** The SSH layer, for deployments reached through an SSH tunnel. */
  ssh?: SshDeps;
  /** Test seam: where a VM's public address is dialled from here (loopback stand-ins). */
  dial?: Dial;
  /**
   * Test seam: the stand-in VMs' filesystem root, the address their server binds (loopback) and how
   * fast the boot script polls. Never set by the app.
   */
  vm?: { root: string; bindAddress: string; pollSeconds?: number; configWaitSeconds?: number };
  /** How often the cloud and the boot are polled (5 s by default). */
  pollMs?: number;
}

/** The titles of the steps every cloud shares; the cloud names its account, infrastructure, secret and seal. */
export function cloudStepTitles<Own extends Record<string, string>>(own: {
  account: string;
  infrastructure: Own;
  secret: string;
  seal: string;
}) {
  return {
    account: own.account,
    binary: 'Verified Velociraptor binary',
    ...own.infrastructure,
    identity: 'Certificates, API identity and admin password',
    secret: own.secret,
    boot: 'VM boots, reads its config, starts Velociraptor',
    'verify-api': 'API answers as the registered identity',
    'verify-frontends': 'Every minion reports to the master',
    'verify-gui': 'GUI accepts the admin password',
    seal: own.seal,
    connect: "Add to the app's connections",
  };
}

const VERIFY = new Set(['verify-api', 'verify-frontends', 'verify-gui', 'seal', 'connect']);

type Run = (ctx: StepContext) => Promise<void>;
type PlanOf<S> = { deploymentId: string; name: string; settings: S };

/** The plan before its steps: what `plan()` of every cloud starts from. */
export function cloudPlanBase<S>(
  request: DeployRequest<unknown>,
  ctx: PlanContext,
  target: DeploymentPlan['target'],
  settings: S,
): DeploymentPlan<S> {
  return {
    deploymentId: ctx.deploymentId,
    name: request.name,
    target,
    profile: ctx.profile,
    settings,
    steps: [],
    warnings: [],
    createdAt: ctx.now.toISOString(),
    autoDestroyAt: autoDestroyAt(ctx),
  };
}

/** What a template makes, for the review ("1 × EC2::Instance, 2 × EC2::EIP"). */
export function describeContents(counts: Record<string, number>, providerPrefix: RegExp): string {
  return Object.entries(counts)
    .map(([type, n]) => `${n} × ${type.replace(providerPrefix, '')}`)
    .join(', ');
}

/** What the review says about who reaches which port. */
export function accessNotes(
  access: CloudAccess,
  ports: { api: number; gui: number },
  frontendPorts: number[],
  rules: number,
): string[] {
  const notes: string[] = [];
  if (access.agentCidrs.some((c) => c.endsWith('/0')))
    notes.push(
      `The frontend port(s) ${[...new Set(frontendPorts)].join(', ')} are open to the whole internet (agents anywhere). Narrow the agents' ranges if you know them.`,
    );
  notes.push(
    access.via.mode === 'direct'
      ? `The GUI (${ports.gui}) and API (${ports.api}) are open to ${access.responderCidrs.join(', ')} only; nothing else reaches them (${rules} inbound rule(s) in all).`
      : `Only SSH (22) is open to ${access.responderCidrs.join(', ')}; the GUI and API listen on the VM's loopback and the app reaches them through an SSH tunnel (${rules} inbound rule(s) in all).`,
  );
  return notes;
}

/** Preflight checks, each run on its own: a check that throws fails with its message, the others run. */
export class PreflightChecks {
  readonly list: PreflightCheck[] = [];

  async run(
    id: string,
    title: string,
    check: () => Promise<PreflightCheck['status'] | [PreflightCheck['status'], string]>,
    ok: string,
  ): Promise<void> {
    try {
      const r = await check();
      const [status, message] = Array.isArray(r) ? r : [r, ok];
      this.list.push({ id, title, status, message });
    } catch (e) {
      this.list.push({ id, title, status: 'failed', message: messageOf(e) });
    }
  }

  /** The connection the deployment adds must not exist yet. */
  async connectionFree(connections: ConnectionSink, name: string): Promise<void> {
    const exists = await connections.has(name);
    this.list.push({
      id: 'connection',
      title: 'Connection name free',
      status: exists ? 'failed' : 'ok',
      message: exists ? `A connection named "${name}" exists already; choose another name.` : name,
    });
  }
}

export abstract class CloudDeployer<S extends CloudSettings> {
  readonly reach: CloudReach;

  /** Every step's title, in order (cloudStepTitles). */
  protected abstract readonly titles: Record<string, string>;
  /** What the seal step logs once the config secret is gone. */
  protected abstract readonly sealNote: string;
  /** Where the boot script's log is, for a boot that timed out. */
  protected abstract readonly bootLogHint: string;

  constructor(
    protected readonly base: CloudDeployerDeps,
    /** The login of the cloud's images (ec2-user on Amazon Linux, the admin user on Azure). */
    defaultLogin: string,
  ) {
    this.reach = new CloudReach(
      { ...(base.ssh ? { ssh: base.ssh } : {}), ...(base.dial ? { dial: base.dial } : {}) },
      defaultLogin,
    );
  }

  close(): void {
    this.reach.close();
  }

  /** The cloud's own steps: account, its infrastructure, the config secret. */
  protected abstract ownSteps(plan: DeploymentPlan<S>): Record<string, Run>;
  /** The config secret's journal entry (made at deploy and by a config delivery, deleted once verified). */
  abstract secretRef(plan: PlanOf<S>): ResourceRef;
  /** Throws when the cloud says the VM(s) stopped or failed while booting. */
  protected abstract stillThere(
    plan: DeploymentPlan<S>,
    outputs: Readonly<Record<string, unknown>>,
  ): Promise<void>;
  abstract remove(ref: ResourceRef, ctx: RemoveContext): Promise<void>;

  protected pollMs(): number {
    return this.base.pollMs ?? 5_000;
  }

  /** Where things are on the VM (the tests' stand-ins keep them under a folder of their own). */
  layout(deploymentId: string): HostLayout {
    return hostLayout(deploymentId, this.base.vm?.root ?? '', CLOUD_VM.datastore);
  }

  /** The boot script's waits: how long for the config, how often it polls. */
  protected vmTiming(): { configWaitSeconds: number; pollSeconds: number } {
    return {
      configWaitSeconds: this.base.vm?.configWaitSeconds ?? 1800,
      pollSeconds: this.base.vm?.pollSeconds ?? 10,
    };
  }

  /** The nodes' frontend ports: the master's, then each minion's. */
  protected nodePorts(s: S): number[] {
    return [s.ports.frontend, ...minionPortsOf(s)];
  }

  protected stepIds(s: S): string[] {
    return Object.keys(this.titles).filter((id) => id !== 'verify-frontends' || s.minions > 0);
  }

  /** The journal entries every cloud's plan has: the identities in the keychain and the connection. */
  protected sharedRefs(plan: PlanOf<S>): { identity: ResourceRef[]; connect: ResourceRef[] } {
    const secrets = identitySecrets(plan.deploymentId);
    return {
      identity: [secrets.ca, secrets.serverConfig, secrets.apiIdentity, secrets.adminPassword],
      connect: [
        {
          kind: 'connection',
          id: plan.name,
          scope: 'app',
          title: `connection "${plan.name}" (API config in the keychain)`,
        },
      ],
    };
  }

  /** The plan's steps with the resources each makes; `titles` may say more than the step list's. */
  protected plannedSteps(
    s: S,
    resources: Partial<Record<string, ResourceRef[]>>,
    titles: Record<string, string> = this.titles,
  ): DeploymentPlan['steps'] {
    return this.stepIds(s).map((id) => ({ id, title: titles[id]!, resources: resources[id] ?? [] }));
  }

  steps(plan: DeploymentPlan<S>): StepDefinition[] {
    const run: Record<string, Run> = {
      binary: (ctx) => this.binary(plan, ctx),
      identity: (ctx) => this.identity(plan, ctx),
      boot: (ctx) => this.boot(plan, ctx),
      'verify-api': (ctx) => this.verifyApi(plan, ctx),
      'verify-frontends': (ctx) => this.verifyFrontends(plan, ctx),
      'verify-gui': (ctx) => this.verifyGui(plan, ctx),
      seal: (ctx) => this.seal(plan, ctx),
      connect: (ctx) => this.connect(plan, ctx),
      ...this.ownSteps(plan),
    };
    return this.stepIds(plan.settings).map((id) => ({
      id,
      title: this.titles[id]!,
      phase: VERIFY.has(id) ? ('verify' as const) : ('apply' as const),
      run: run[id]!,
    }));
  }

  /** The on-VM timer's time: the journal's (deployedAt + hours) comes a few minutes later. */
  protected vmDestroyAt(plan: DeploymentPlan<S>, ctx: StepContext): string | null {
    const hours = plan.profile.autoDestroyHours;
    return hours === null ? null : new Date(ctx.now().getTime() + hours * 3_600_000).toISOString();
  }

  /** The verified release for linux-amd64: the VM downloads it from its URL and checks the SHA-256. */
  private async binary(plan: DeploymentPlan<S>, ctx: StepContext): Promise<void> {
    const tag = plan.settings.release.tag;
    ctx.log(`Fetching Velociraptor ${tag} (linux-amd64) into the release cache`);
    const bin = await obtainRelease(this.base.releases, tag, CLOUD_VM.platform, ctx);
    if (!bin.url)
      throw new AppError(
        'RELEASE_UNAVAILABLE',
        `The release list is out of reach, so the VM would not know where to download ${bin.assetName ?? 'the binary'}. Try again when the release source answers.`,
      );
    ctx.log(
      `Signature verified (key ${bin.signature.status === 'valid' ? bin.signature.fingerprint : '?'}); the VM accepts only SHA-256 ${bin.sha256}`,
    );
    await ctx.setOutput('binaryUrl', bin.url);
    await ctx.setOutput('binarySha256', bin.sha256);
    await ctx.setOutput('binarySigned', bin.signature.status === 'valid');
    if (bin.version) await ctx.setOutput('binaryVersion', bin.version);
    if (bin.tag) await ctx.setOutput('binaryTag', bin.tag);
  }

  /** The frontend nodes with the addresses the cloud gave them (`node<i>Address`). */
  protected nodes(plan: DeploymentPlan<S>, outputs: Readonly<Record<string, unknown>>): FrontendNode[] {
    const bind = this.base.vm?.bindAddress ?? '0.0.0.0';
    return this.nodePorts(plan.settings).map((port, i) => ({
      hostname:
        i === 0 && plan.settings.frontendHostname
          ? plan.settings.frontendHostname
          : String(outputs[`node${i}Address`]),
      port,
      bindAddress: bind,
    }));
  }

  private async identity(plan: DeploymentPlan<S>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const [master, ...minions] = this.nodes(plan, ctx.outputs);
    // In the tests the stand-in VMs listen on loopback; in the cloud the security group is the boundary.
    const onLoopback = this.base.vm?.bindAddress?.startsWith('127.') ?? false;
    const direct = s.access.via.mode === 'direct';
    await mintIdentities(ctx, {
      frontendHostname: master!.hostname,
      ports: s.ports,
      frontendBindAddress: master!.bindAddress,
      placement: 'host',
      ...(direct && !onLoopback ? { exposeApi: true, exposeGui: true } : {}),
      datastoreDir: this.layout(plan.deploymentId).datastore,
      adminUser: s.adminUser,
      apiUser: s.apiUser,
      certificates: plan.profile.certificates,
      logRetentionDays: plan.profile.logRetentionDays,
      ...(typeof ctx.outputs.binaryVersion === 'string' ? { version: ctx.outputs.binaryVersion } : {}),
      ...(minions.length
        ? {
            frontends: {
              minions,
              // Minions dial the master's API at its private address (the group lets its members in).
              apiHostname: this.reach.dial(String(ctx.outputs.node0PrivateIp), s.ports.api).host,
              apiBindAddress: onLoopback ? '127.0.0.1' : '0.0.0.0',
            },
          }
        : {}),
    });
    if (minions.length) await ctx.setOutput('minionNodes', minions.map(nodeName).join(','));
  }

  /** Runs `work` with the master's API as this machine reaches it (directly, or the tunnel's local end). */
  protected withApi<T>(
    plan: DeploymentPlan<S>,
    outputs: Readonly<Record<string, unknown>>,
    work: (endpoint: string) => Promise<T>,
  ): Promise<T> {
    return this.reach.with(plan.settings.access, String(outputs.node0Address), plan.settings.ports.api, work);
  }

  protected apiYaml(plan: DeploymentPlan<S>, ctx: StepContext, endpoint: string): Promise<string> {
    return apiClientConfig(ctx.secrets, plan.deploymentId, plan.settings.apiUser, endpoint);
  }

  private async boot(plan: DeploymentPlan<S>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    await waitForServer(
      {
        apiUser: s.apiUser,
        timeoutMs: s.bootTimeoutMs,
        pollMs: this.pollMs(),
        withApiYaml: (work) =>
          this.withApi(plan, ctx.outputs, async (endpoint) => work(await this.apiYaml(plan, ctx, endpoint))),
        stillThere: () => this.stillThere(plan, ctx.outputs),
        logHint: this.bootLogHint,
      },
      ctx,
    );
  }

  private async verifyApi(plan: DeploymentPlan<S>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const direct = s.access.via.mode === 'direct';
    const endpoint = await this.withApi(plan, ctx.outputs, async (at) => {
      const user = await checkApi(ctx, await this.apiYaml(plan, ctx, at), s.apiUser);
      ctx.log(`The API answered over mTLS as ${user}${direct ? '' : ' (through an SSH tunnel)'}`);
      return at;
    });
    const address = String(ctx.outputs.node0Address);
    const gui = this.reach.dial(address, s.ports.gui);
    await ctx.setOutput('apiEndpoint', direct ? endpoint : `127.0.0.1:${s.ports.api}`);
    await ctx.setOutput(
      'guiUrl',
      direct ? `https://${hostPort(gui.host, gui.port)}/` : `https://127.0.0.1:${s.ports.gui}/`,
    );
    await ctx.setOutput(
      'frontendUrl',
      `https://${hostPort(this.nodes(plan, ctx.outputs)[0]!.hostname, s.ports.frontend)}/`,
    );
    if (!direct)
      await ctx.setOutput(
        'tunnelCommand',
        `ssh -N -L ${s.ports.api}:127.0.0.1:${s.ports.api} -L ${s.ports.gui}:127.0.0.1:${s.ports.gui} ${this.reach.login(s.access)}@${address}`,
      );
  }

  private async verifyFrontends(plan: DeploymentPlan<S>, ctx: StepContext): Promise<void> {
    const nodes = String(ctx.outputs.minionNodes ?? '')
      .split(',')
      .filter(Boolean);
    await this.withApi(plan, ctx.outputs, async (endpoint) =>
      verifyFrontends(await this.apiYaml(plan, ctx, endpoint), nodes, {
        timeoutMs: Math.min(plan.settings.bootTimeoutMs, 180_000),
        signal: ctx.signal,
        onNode: (n) => ctx.log(`Frontend ${n} reports to the master`),
      }),
    );
    ctx.log(MINION_FIRST_TASK_NOTE);
  }

  private async verifyGui(plan: DeploymentPlan<S>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    await checkGui(ctx, plan.deploymentId, s.adminUser, (check) =>
      this.reach.with(s.access, String(ctx.outputs.node0Address), s.ports.gui, (at) =>
        check(`https://${at}/`),
      ),
    );
    ctx.log(`The GUI accepted ${s.adminUser}'s password and refused a wrong one`);
  }

  private async seal(plan: DeploymentPlan<S>, ctx: StepContext): Promise<void> {
    await ctx.remove(this.secretRef(plan));
    ctx.log(this.sealNote);
  }

  private async connect(plan: DeploymentPlan<S>, ctx: StepContext): Promise<void> {
    const yaml = await this.apiYaml(plan, ctx, String(ctx.outputs.apiEndpoint));
    await connectStep(ctx, this.sharedRefs(plan).connect[0]!, this.base.connections, plan.name, yaml);
  }
}
