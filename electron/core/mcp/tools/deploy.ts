/**
 * Deployments through MCP, in one module: the tools (deploy a Velociraptor server to Docker, a Linux
 * host over SSH or the local lab; list; status and health; renew certificates; scale-out of a
 * multi-frontend deployment; hand-over docs; destroy), the resources (the deployments and each one) and the prompts ("rapid IR deployment",
 * "deploy and triage"). resources.ts and prompts.ts register the last two with their audit.
 *
 * Deploying, renewing and destroying are approved steps: the plan shows every step and every
 * resource the deployment will create (deploy) or the journal holds (destroy), the warnings, the
 * self-destruction time, and the evidence choice. What runs is the plan that was approved (decide).
 * Secrets never leave the keychain: settings name keychain references only, outputs are public facts.
 * The tools exist where the app's deployments do (its HTTP endpoint), not on a stdio server.
 */
import { z } from 'zod';
import type { DeploymentSummary } from '../../../../shared/contracts/deploy';
import { holdProtection, type ProgressEvent } from '../../../../shared/deploy';
import { AppError } from '../../../../shared/errors';
import {
  RECOMMENDED_RELEASE,
  refuseHeld,
  type DeploymentPlan,
  type DeploymentStatus,
  type JournalDoc,
} from '../../deploy/index';
import type { ApprovalPlan } from '../approvals';
import {
  defineTool,
  READ,
  type McpDeployments,
  type McpTool,
  type ProgressReporter,
  type ToolCall,
} from '../tool-kit';

export const deploymentRef = z
  .string()
  .min(1)
  .max(100)
  .describe('Deployment id (d…) or its name, from list_deployments.');

function deployments(call: { ctx: { deployments?: McpDeployments } }): McpDeployments {
  const d = call.ctx.deployments;
  // Not registered without them (server.ts); a direct invoke still gets a clear answer.
  if (!d)
    throw new AppError(
      'INVALID_ARGUMENT',
      "Deployments are handled by the Megaraptor Desktop app: use the app's MCP endpoint (HTTP), not a stdio server.",
    );
  return d;
}

const outputs = (o: Record<string, string | number | boolean>) => ({
  gui_url: typeof o.guiUrl === 'string' ? o.guiUrl : null,
  api_endpoint: typeof o.apiEndpoint === 'string' ? o.apiEndpoint : null,
  frontend_url: typeof o.frontendUrl === 'string' ? o.frontendUrl : null,
  ca_fingerprint: typeof o.caFingerprint === 'string' ? o.caFingerprint : null,
  connection: typeof o.connectionName === 'string' ? o.connectionName : null,
  admin_user: typeof o.adminUser === 'string' ? o.adminUser : null,
});

const OutputsShape = z.object({
  gui_url: z.string().nullable(),
  api_endpoint: z.string().nullable(),
  frontend_url: z.string().nullable(),
  ca_fingerprint: z.string().nullable(),
  connection: z.string().nullable(),
  admin_user: z.string().nullable(),
});

const DeploymentRow = z.object({
  id: z.string(),
  name: z.string(),
  target: z.string(),
  profile: z.string(),
  state: z.string(),
  interrupted: z.boolean(),
  auto_destroy_at: z.string().nullable(),
  legal_hold: z.string().nullable(),
  certificates: z.array(z.object({ certificate: z.string(), not_after: z.string(), level: z.string() })),
  notices: z.array(z.string()),
  outputs: OutputsShape,
});

function deploymentRow(d: DeploymentSummary): z.output<typeof DeploymentRow> {
  return {
    id: d.id,
    name: d.name,
    target: d.target,
    profile: d.profile,
    state: d.state,
    interrupted: d.interrupted,
    auto_destroy_at: d.autoDestroyAt,
    legal_hold: d.legalHold
      ? `${d.legalHold.since}: ${d.legalHold.reason}. ${holdProtection(d.legalHold)}`
      : null,
    certificates: d.certificates.map((c) => ({
      certificate: c.title,
      not_after: c.notAfter,
      level: c.level,
    })),
    notices: d.notices.map((n) => n.message),
    outputs: outputs(d.outputs),
  };
}

function statusView(st: DeploymentStatus) {
  return {
    deployment: deploymentRow(st.deployment),
    health: st.health ? { ok: st.health.ok, state: st.health.state, detail: st.health.detail } : null,
    health_error: st.healthError ?? null,
    resources: st.deployment.resources.map((r) => ({ kind: r.kind, id: r.id, state: r.state })),
  };
}

const StatusShape = {
  deployment: DeploymentRow,
  health: z.object({ ok: z.boolean(), state: z.string(), detail: z.string() }).nullable(),
  health_error: z.string().nullable(),
  resources: z.array(z.object({ kind: z.string(), id: z.string(), state: z.string() })),
};

/**
 * The runner's events as MCP progress: steps ended out of `steps` (the plan's, when known), with the
 * fraction of the running one. A deployment takes 15-30 s, a first release download longer: the
 * client sees it move instead of a silent call.
 */
function stepProgress(progress: ProgressReporter, steps?: string[]): (e: ProgressEvent) => void {
  const counted = (id: string) => !steps || steps.some((s) => id === s || id.endsWith(`-${s}`));
  let ended = 0;
  return (e) => {
    if (e.type === 'step' && counted(e.step)) {
      if (e.state === 'running') progress(ended + 0.01, steps?.length, e.title);
      else if (e.state !== 'pending') progress(++ended, steps?.length, `${e.title}: ${e.state}`);
    } else if (e.type === 'progress' && e.fraction !== undefined && counted(e.step)) {
      progress(ended + e.fraction * 0.98, steps?.length, e.message ?? '');
    }
  };
}

/** The approval plan of a deployment: every step with the resources it creates, and the warnings. */
export function deployApproval(plan: DeploymentPlan): ApprovalPlan {
  return {
    summary: `Deploy Velociraptor server "${plan.name}" on ${plan.target} (${plan.profile.title} profile)${plan.autoDestroyAt ? `; it destroys itself about ${plan.autoDestroyAt}` : ''}`,
    operations: [
      ...plan.steps.map((s) => ({
        operation: s.title,
        details: {
          step: s.id,
          creates: s.resources.map((r) => ({ kind: r.kind, id: r.id, where: r.scope, what: r.title })),
        },
      })),
      {
        operation: 'Settings as planned (ports, addresses, binary; secrets only as keychain references)',
        details: { settings: JSON.parse(JSON.stringify(plan.settings)) as Record<string, unknown> },
      },
      {
        operation: 'Warnings',
        details: {
          warnings: plan.warnings,
          ...(plan.cost ? { cost: plan.cost } : {}),
          limits: plan.profile.limits,
          certificates_days: plan.profile.certificates,
          auto_destroy_hours: plan.profile.autoDestroyHours,
        },
      },
    ],
  };
}

const SettingsInput = z
  .record(z.string(), z.unknown())
  .describe(
    "The target's settings, as the app's wizard makes them. docker: {engine:{kind:'socket',path}, image:{kind:'local',binary:{kind:'release',tag}}, network, frontend:{hostname,bindAddress,port}, api:{bindAddress:'127.0.0.1',port}, gui:{bindAddress:'127.0.0.1',port}}. ssh: {ssh:{host,port,username,auth:{method:'agent'|'key',keyPath},sudo:{mode:'sudo'}}, binary:{kind:'release',tag}, frontend:{hostname}}. lab: {binary:{kind:'release',tag}}. aws: {region, access:{agentCidrs:[…], responderCidrs:[your address/32]}, release:{tag}, credentials:{source:'chain'|'profile',profile}}. azure: {subscriptionId, location, access:{…}, release:{tag}}. Secrets are never given here: SSH passphrases and passwords are keychain references.",
  );

export const deployServer = defineTool({
  name: 'deploy_server',
  title: 'Deploy a Velociraptor server',
  description:
    "Deploy a Velociraptor server to Docker, a Linux host over SSH, this machine (lab), or a VM on AWS or Azure (config through Secrets Manager / Key Vault, GUI and API open to the responder's ranges only; the approval lists every cloud resource and the cost): verified release, certificates and identities made locally (the CA key stays in the keychain), every resource journaled, verified over the API and the GUI, added to the connections. The rapid profile destroys itself after 72 h (auto_destroy_hours changes it). Returns the URLs and the connection name; the admin password stays in the keychain. The responder is asked every time, whatever the policy allows.",
  input: {
    target: z.enum(['docker', 'ssh', 'lab', 'aws', 'azure']),
    name: z.string().min(1).max(100).describe('Deployment and connection name.'),
    profile: z.enum(['rapid', 'standard', 'enterprise']).default('rapid'),
    auto_destroy_hours: z.number().min(1).max(336).optional(),
    settings: SettingsInput,
  },
  output: {
    deployment_id: z.string(),
    state: z.string(),
    auto_destroy_at: z.string().nullable(),
    outputs: OutputsShape,
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  endpointData: false,
  targets: false,
  needs: 'deployments',
  example: () => ({
    target: 'lab',
    name: 'mcp-lab',
    profile: 'rapid',
    settings: { binary: { kind: 'release', tag: RECOMMENDED_RELEASE }, client: false },
  }),
  // It creates servers, keys and cloud resources that cost money: the responder reviews every plan.
  alwaysAsk: true,
  decide: async (call) =>
    deployments(call).plan(call.args.target, {
      name: call.args.name,
      profile: call.args.profile,
      ...(call.args.auto_destroy_hours !== undefined
        ? { overrides: { autoDestroyHours: call.args.auto_destroy_hours } }
        : {}),
      settings: call.args.settings,
    }),
  plan: ({ decided }) => deployApproval(decided),
  async run(call) {
    const out = await deployments(call).deploy(call.decided, {
      signal: call.signal,
      onEvent: stepProgress(
        call.progress,
        call.decided.steps.map((s) => s.id),
      ),
    });
    return {
      deployment_id: out.deploymentId,
      state: out.journal.state,
      auto_destroy_at: out.journal.autoDestroyAt,
      outputs: outputs(out.journal.outputs),
    };
  },
});

export const listDeployments = defineTool({
  name: 'list_deployments',
  title: 'List deployments',
  description:
    'Every Velociraptor server this app deployed (or was deploying when it stopped): state, profile, self-destruction time, legal hold, certificate expiry, notices and URLs.',
  input: {},
  output: { deployments: z.array(DeploymentRow), problems: z.array(z.string()) },
  annotations: READ,
  endpointData: false,
  targets: false,
  needs: 'deployments',
  example: () => ({}),
  async run(call) {
    const { deployments: list, problems } = await deployments(call).list();
    return {
      deployments: list.map(deploymentRow),
      problems: problems.map((p) => `${p.id}: ${p.message}`),
    };
  },
});

export const deploymentStatus = defineTool({
  name: 'deployment_status',
  title: 'Deployment status and health',
  description:
    "One deployment: its journal (resources, operations, certificates, notices) and its target's view right now (container health, service state, process).",
  input: { deployment: deploymentRef },
  output: StatusShape,
  annotations: READ,
  endpointData: false,
  targets: false,
  needs: 'deployments',
  example: () => ({ deployment: 'mcp-lab' }),
  run: async (call) => statusView(await deployments(call).status(call.args.deployment, call.signal)),
});

export const renewDeploymentCertificates = defineTool({
  name: 'renew_deployment_certificates',
  title: "Renew a deployment's certificates",
  description:
    "Renew the server's Frontend and GUI gateway certificates and the app's API identity under the deployment's CA (kept in the keychain), keeping their keys; the config goes to the server through its target and the server restarts (a few seconds without service). The server cannot renew them itself: its config carries no CA key. The responder is asked every time, whatever the policy allows.",
  input: { deployment: deploymentRef },
  output: {
    operation: z.string(),
    state: z.string(),
    frontend_not_after: z.string(),
    api_not_after: z.string(),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  endpointData: false,
  targets: false,
  needs: 'deployments',
  example: () => ({ deployment: 'mcp-lab' }),
  // It restarts the server and replaces its certificates: the responder decides when.
  alwaysAsk: true,
  decide: (call) => deployments(call).find(call.args.deployment),
  plan: ({ decided }: ToolCall<unknown, JournalDoc>) => ({
    summary: `Renew the certificates of "${decided.name}" (${decided.target}) and restart its server`,
    operations: [
      {
        operation: 'Renew under the CA in the keychain (same keys)',
        details: {
          frontend_not_after: decided.outputs.frontendCertNotAfter ?? null,
          gateway_not_after: decided.outputs.gatewayCertNotAfter ?? null,
          api_not_after: decided.outputs.apiCertNotAfter ?? null,
        },
      },
      {
        operation: 'Deliver the config through the target and restart the server',
        details: { target: decided.target },
      },
      { operation: "Verify the API and the GUI; update the app's connection", details: {} },
    ],
  }),
  async run(call) {
    const r = await deployments(call).renewCertificates(call.decided.id, 'renew', {
      signal: call.signal,
      onEvent: stepProgress(call.progress),
    });
    return {
      operation: r.operation.id,
      state: r.operation.state,
      frontend_not_after: String(r.journal.outputs.frontendCertNotAfter ?? ''),
      api_not_after: String(r.journal.outputs.apiCertNotAfter ?? ''),
    };
  },
});

type ScaleOutDecision = Awaited<ReturnType<McpDeployments['scaleOutPlan']>> & {
  request: { port?: number; bindAddress?: string };
};

export const scaleOutDeployment = defineTool({
  name: 'scale_out_deployment',
  title: 'Add a Velociraptor minion to a deployment',
  description:
    "Scale-out of a multi-frontend (enterprise) deployment on Docker or AWS: one more Velociraptor minion beside the master, sharing its file store, serving agents on its own port; the server config gets its entry and URL, and the master's API must report the new minion. On AWS a CloudFormation stack update adds the minion's VM, Elastic IP and inbound rules, and its config reaches it through a temporary Secrets Manager secret deleted once it reports; the approval lists those resources. Agents configured before keep their frontends; the hand-over docs then list every frontend. A one-server deployment refuses; Azure has no scale-out yet. The responder is asked every time, whatever the policy allows.",
  input: {
    deployment: deploymentRef,
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "The minion's port (default on Docker: the one after the highest frontend port; on AWS: the master's frontend port, on the minion's own VM).",
      ),
    bind_address: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .describe("Docker only: where it is published (default: the last minion's address)."),
  },
  output: { operation: z.string(), state: z.string(), node: z.string(), minions: z.number() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  endpointData: false,
  targets: false,
  needs: 'deployments',
  example: () => ({ deployment: 'ir-enterprise' }),
  // It adds servers (and on AWS billed VMs) to a deployment: the responder reviews every plan.
  alwaysAsk: true,
  decide: async (call): Promise<ScaleOutDecision> => {
    const request = {
      ...(call.args.port !== undefined ? { port: call.args.port } : {}),
      ...(call.args.bind_address !== undefined ? { bindAddress: call.args.bind_address } : {}),
    };
    // Checked before asking: a one-server deployment or a taken port is refused without an approval.
    return { ...(await deployments(call).scaleOutPlan(call.args.deployment, request)), request };
  },
  plan: ({ decided }: ToolCall<unknown, ScaleOutDecision>) => ({
    summary: `Add the Velociraptor minion ${decided.node} to "${decided.name}" (${decided.target})`,
    operations: [
      ...decided.steps.map((step) => ({ operation: step, details: {} })),
      {
        operation: 'Create',
        details: {
          resources: decided.resources.map((r) => ({
            kind: r.kind,
            id: r.id,
            where: r.scope,
            what: r.title,
          })),
        },
      },
    ],
  }),
  async run(call) {
    const r = await deployments(call).scaleOut(call.decided.id, call.decided.request, {
      signal: call.signal,
      onEvent: stepProgress(call.progress),
    });
    // Docker lists its minions; the clouds count them.
    const listed = (r.journal.settings as { minions?: unknown } | null)?.minions;
    const minions = Array.isArray(listed) ? listed.length : typeof listed === 'number' ? listed : 0;
    return { operation: r.operation.id, state: r.operation.state, node: call.decided.node, minions };
  },
});

export const exportDeploymentDocs = defineTool({
  name: 'export_deployment_docs',
  title: "Write a deployment's hand-over docs",
  description:
    "Writes README.md (URLs, CA fingerprint, certificate expiry, self-destruction, next steps for agents) and client.config.yaml (the agents' config: CA certificate, server URLs, nonce; no private key) into the app's data folder, and returns the README text.",
  input: { deployment: deploymentRef },
  output: { folder: z.string(), files: z.array(z.string()), readme: z.string() },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  endpointData: false,
  targets: false,
  needs: 'deployments',
  example: () => ({ deployment: 'mcp-lab' }),
  run: (call) => deployments(call).exportDocs(call.args.deployment),
});

interface DestroyDecision {
  doc: JournalDoc;
  exportTo: string | null;
}

export const destroyDeployment = defineTool({
  name: 'destroy_deployment',
  title: 'Destroy a deployment',
  description:
    "Destroy a deployment: exactly the resources its journal lists (containers, volumes, images, files, units, users, secrets, the connection). evidence='export' first exports every flow and hunt (zips + SHA-256 manifest) into the app's evidence folder and destroys nothing if that fails; 'skip' destroys without it. A legal hold refuses. A removal that fails is reported. The responder is asked every time, whatever the policy allows.",
  input: {
    deployment: deploymentRef,
    evidence: z.enum(['export', 'skip']).describe('Export every flow and hunt before destroying, or not.'),
  },
  output: {
    removed: z.array(
      z.object({ kind: z.string(), id: z.string(), ok: z.boolean(), error: z.string().nullable() }),
    ),
    evidence_folder: z.string().nullable(),
    evidence_files: z.number(),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  endpointData: false,
  targets: false,
  needs: 'deployments',
  example: () => ({ deployment: 'mcp-lab', evidence: 'export' }),
  alwaysAsk: true,
  decide: async (call): Promise<DestroyDecision> => {
    const d = deployments(call);
    // A hold refuses the destruction anyway: refuse before asking the responder to approve it.
    const doc = refuseHeld(await d.find(call.args.deployment));
    return { doc, exportTo: call.args.evidence === 'export' ? d.evidenceFolder(doc) : null };
  },
  plan: ({ decided: { doc, exportTo } }) => ({
    summary: `Destroy deployment "${doc.name}" (${doc.target}, ${doc.state})${exportTo ? ' after exporting every flow and hunt' : ' WITHOUT exporting its evidence'}`,
    operations: [
      ...(exportTo
        ? [
            {
              operation: 'Export every flow and hunt (zip + SHA-256 manifest)',
              details: { folder: exportTo },
            },
          ]
        : []),
      {
        operation: 'Remove every resource the journal lists',
        details: {
          resources: doc.resources
            .filter((r) => r.state !== 'removed' && r.state !== 'retained')
            .map((r) => ({ kind: r.kind, id: r.id, where: r.scope, what: r.title, state: r.state })),
          legal_hold: doc.legalHold ?? null,
        },
      },
    ],
  }),
  async run(call) {
    const r = await deployments(call).destroy(call.decided.doc.id, {
      exportTo: call.decided.exportTo,
      signal: call.signal,
      onEvent: stepProgress(call.progress),
    });
    return {
      removed: r.removed.map((x) => ({
        kind: x.resource.kind,
        id: x.resource.id,
        ok: x.ok,
        error: x.error ?? null,
      })),
      evidence_folder: r.evidence?.folder ?? null,
      evidence_files: r.evidence?.files.length ?? 0,
    };
  },
});

export const deployTools: McpTool[] = [
  deployServer,
  listDeployments,
  deploymentStatus,
  renewDeploymentCertificates,
  scaleOutDeployment,
  exportDeploymentDocs,
  destroyDeployment,
];

// ---- Resources ----------------------------------------------------------------------------------

/** A resource of the deployments: a fixed URI, or a template whose variable names one deployment. */
export interface DeploymentResource {
  name: string;
  uri: string;
  /** The variable a template's URI carries ({deployment}); absent for a fixed URI. */
  variable?: 'deployment';
  title: string;
  description: string;
  /** `deployment`: the template's variable, validated with deploymentRef. */
  read(d: McpDeployments, deployment?: string): Promise<unknown>;
}

export const deploymentResources: DeploymentResource[] = [
  {
    name: 'deployments',
    uri: 'velociraptor://deployments',
    title: 'Deployments',
    description:
      'Every Velociraptor server this app deployed: state, profile, self-destruction time, legal hold, certificate expiry, notices, URLs.',
    async read(d) {
      const { deployments: list, problems } = await d.list();
      return { deployments: list.map(deploymentRow), problems: problems.map((p) => `${p.id}: ${p.message}`) };
    },
  },
  {
    name: 'deployment',
    uri: 'velociraptor://deployments/{deployment}',
    variable: 'deployment',
    title: 'Deployment',
    description:
      "One deployment (id or name): its journal's resources, certificates and notices, and its target's health now.",
    async read(d, deployment) {
      return statusView(await d.status(deployment ?? ''));
    },
  },
];

// ---- Prompts ------------------------------------------------------------------------------------

const targetArg = z.string().max(10).optional().describe('docker, ssh or lab (default lab: this machine)');
const nameArg = z.string().max(100).optional().describe('Deployment and connection name');

function targetOfArg(t: string | undefined): 'docker' | 'ssh' | 'lab' {
  return t === 'docker' || t === 'ssh' ? t : 'lab';
}

/** The settings an assistant passes to deploy_server for a target (no secret: keychain references). */
function settingsLine(target: 'docker' | 'ssh' | 'lab', host: string | undefined): string {
  const binary = `{kind:'release',tag:'${RECOMMENDED_RELEASE}'}`;
  if (target === 'docker')
    return `settings={engine:{kind:'socket',path:'/var/run/docker.sock'}, image:{kind:'local',binary:${binary}}, frontend:{hostname:<the name agents dial>}} (GUI and API stay on 127.0.0.1)`;
  if (target === 'ssh')
    return `settings={ssh:{host:'${host ?? '<host>'}',port:22,username:<user>,auth:{method:'agent'},sudo:{mode:'sudo'}}, binary:${binary}, frontend:{hostname:'${host ?? '<host>'}'}} (a new host key is confirmed by the responder in the app)`;
  return `settings={binary:${binary}} (a client of this machine enrols too)`;
}

export interface DeploymentPrompt {
  name: string;
  title: string;
  description: string;
  argsSchema: Record<string, z.ZodOptional<z.ZodString>>;
  text(args: Record<string, string | undefined>): string;
}

export const deploymentPrompts: DeploymentPrompt[] = [
  {
    name: 'rapid_ir_deployment',
    title: 'Rapid IR deployment',
    description:
      'Stand up a Velociraptor server for an incident now (rapid profile: destroys itself after 72 h, evidence exported first), and hand the agents over.',
    argsSchema: {
      target: targetArg,
      name: nameArg,
      host: z.string().max(253).optional().describe('For ssh: the Linux host'),
    },
    text(a) {
      const target = targetOfArg(a.target);
      const name = a.name ?? 'ir-rapid';
      return [
        `Deploy a Velociraptor server for an incident response, target ${target}, named "${name}".`,
        '1. list_deployments: if a deployed server for this incident exists, use it and skip to step 4.',
        `2. deploy_server with target='${target}', name='${name}', profile='rapid', ${settingsLine(target, a.host)}. The responder approves a plan that lists every resource it creates; if denied, do not retry: ask what to change.`,
        '3. deployment_status: health ok, certificates valid. On a failure, report the step and the error; the app rolled back what it made.',
        '4. export_deployment_docs: give the responder the README (URLs, CA fingerprint, self-destruction time) and where client.config.yaml is: agents are installed by the responder, never by you.',
        `5. When agents enrol, search_clients with server='${name}' lists them; start triage there (triage_incident).`,
        '6. The rapid profile destroys the server itself after 72 h (the app exports every flow and hunt first) unless the responder extends it or sets a legal hold. destroy_deployment with evidence=export ends it earlier, only when the responder asks.',
        'Never put passwords, keys or tokens in settings or messages: the app keeps them in the OS keychain.',
      ].join('\n');
    },
  },
  {
    name: 'deploy_and_triage',
    title: 'Deploy and triage',
    description:
      'Deploy a rapid Velociraptor server, wait for the first endpoints, and triage them for an incident type.',
    argsSchema: {
      target: targetArg,
      name: nameArg,
      incident_type: z
        .string()
        .max(30)
        .optional()
        .describe('malware, intrusion, data_exfil, ransomware or unknown'),
    },
    text(a) {
      const target = targetOfArg(a.target);
      const name = a.name ?? 'ir-triage';
      return [
        `Deploy a Velociraptor server (target ${target}, named "${name}") and triage the endpoints that enrol, for a suspected ${a.incident_type ?? 'unknown'} incident.`,
        `1. deploy_server with target='${target}', name='${name}', profile='rapid', ${settingsLine(target, undefined)}; the responder approves the plan.`,
        '2. deployment_status until health is ok; export_deployment_docs and tell the responder how agents join (client.config.yaml).',
        `3. search_clients with server='${name}' a few times, a minute apart, until the endpoints in scope are online (stop after 10 tries and report).`,
        `4. For each endpoint: get_client for its OS, then triage_incident's steps (dfir_processes, dfir_network_connections, dfir_persistence, dfir_logons_users, dfir_recent_activity) with server='${name}'. Collections wait for the responder's approval.`,
        '5. Summarise per endpoint with timestamps; propose containment (quarantine_client) only with evidence.',
        '6. Leave the deployment running: it destroys itself after 72 h with its evidence exported first; the responder can extend it or set a legal hold.',
      ].join('\n');
    },
  },
];
