/**
 * Certificates that do not expire on the responder. Every deployment's certificates — its CA, the
 * Frontend (which also serves the API), the GUI gateway and the app's API identity — are tracked
 * from the journal's outputs, with warnings 30, 7 and 1 days before they end.
 *
 * The server cannot renew them itself: its config carries no CA key (upstream's own advice), and
 * Velociraptor renews an expired Frontend certificate at start only when `CA.private_key` is there
 * (docs/velociraptor/deployment.md#identities-on-a-deployed-server). So the app renews them here,
 * under the CA kept in the keychain, KEEPING THE KEYS (a new Frontend key would orphan collections
 * encrypted to the old one), through the pki rotation service (journaled, reversible until
 * confirmed), and pushes the new config through the target's own channel: deliver → restart →
 * verify → the app's connection updated → confirm. A failure undoes it: the previous secrets come
 * back and, if the new config had reached the server, the previous one is delivered again.
 */
import { parse, stringify } from 'yaml';
import type { CertificateRole, CertificateStatus, ExpiryLevel } from '../../../shared/deploy';
import { AppError } from '../../../shared/errors';
import {
  loadCertificateAuthority,
  parseCertificate,
  type CertificateAuthority,
  type IssuedCertificate,
  type RotationService,
} from '../pki/index';
import type { ConnectionSink } from './connection-sink';
import type { Deployer, DeploymentPlan, OperationDefinition, Scalar, StepContext } from './model';
import type { CertificateLifetimes } from './profiles';
import { apiClientConfig, assertNoCaKey, identitySecrets, loadServerConfig } from './server-identity';
import type { TargetOperations } from './target-operations';

const DAY_MS = 86_400_000;

/** The warning thresholds, in days before expiry, largest first. */
export const EXPIRY_WARNING_DAYS = [30, 7, 1] as const;

const TRACKED: ReadonlyArray<{ role: CertificateRole; output: string; title: string }> = [
  { role: 'frontend', output: 'frontendCertNotAfter', title: 'Frontend and API server certificate' },
  { role: 'gateway', output: 'gatewayCertNotAfter', title: 'GUI gateway certificate' },
  { role: 'api', output: 'apiCertNotAfter', title: "The app's API identity" },
  { role: 'ca', output: 'caNotAfter', title: "The deployment's CA" },
];

export function expiryLevel(daysLeft: number): ExpiryLevel {
  if (daysLeft <= 0) return 'expired';
  if (daysLeft <= 1) return 'within-1d';
  if (daysLeft <= 7) return 'within-7d';
  if (daysLeft <= 30) return 'within-30d';
  return 'ok';
}

/** Every tracked certificate of a deployment, from its journaled outputs, as of `now`. */
export function certificateStatuses(
  outputs: Readonly<Record<string, Scalar>>,
  now: Date,
): CertificateStatus[] {
  const out: CertificateStatus[] = [];
  for (const t of TRACKED) {
    const v = outputs[t.output];
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) continue;
    const daysLeft = (Date.parse(v) - now.getTime()) / DAY_MS;
    out.push({
      role: t.role,
      title: t.title,
      notAfter: v,
      daysLeft: Math.round(daysLeft * 100) / 100,
      level: expiryLevel(daysLeft),
      renewable: t.role !== 'ca',
    });
  }
  return out;
}

/**
 * Whether the app renews a certificate by itself now: when a third of its life or 7 days are left,
 * whichever is shorter, but at least a day ahead (a 7-day rapid certificate renews with ~2 days left,
 * a one-year one with 7).
 */
export function renewalDue(status: CertificateStatus, lifetimeDays: number): boolean {
  if (!status.renewable) return false;
  const ahead = Math.max(1, Math.min(7, lifetimeDays / 3));
  return status.daysLeft <= ahead;
}

export interface RenewalInput {
  plan: DeploymentPlan;
  mode: 'renew' | 'rotate-gateway';
  deployer: Deployer;
  operations: TargetOperations;
  rotations: RotationService;
  connections: ConnectionSink;
  lifetimes: CertificateLifetimes;
}

interface StoredPair {
  certificatePem: string;
  privateKeyPem: string;
}

async function readPair(ctx: StepContext, ref: string, what: string): Promise<StoredPair> {
  const raw = await ctx.secrets.get(ref);
  if (raw === undefined)
    throw new AppError('SECRET_MISSING', `The ${what} of this deployment is missing from the keychain.`);
  const v = JSON.parse(raw) as Partial<StoredPair>;
  if (typeof v.certificatePem !== 'string' || typeof v.privateKeyPem !== 'string')
    throw new AppError('STORE_CORRUPT', `The ${what} in the keychain is damaged.`);
  return { certificatePem: v.certificatePem, privateKeyPem: v.privateKeyPem };
}

async function loadCa(ctx: StepContext, deploymentId: string): Promise<CertificateAuthority> {
  const ca = await readPair(ctx, identitySecrets(deploymentId).ca.id, 'CA');
  return loadCertificateAuthority(ca.certificatePem, ca.privateKeyPem);
}

const notAfter = (pem: string) => new Date(parseCertificate(pem).validTo).toISOString();

/** Rotation ids of the renewal in flight (journaled, so an undo after a restart finds them). */
const ROTATIONS = 'renewalRotations';
const DELIVERED = 'renewalDelivered';

/**
 * The renewal as an operation: issue (same keys) → deliver → restart → verify → connection → confirm.
 * `rotate-gateway` gives the GUI gateway a new key instead (it is internal to the server: nothing is
 * encrypted to it), leaving the other certificates as they are.
 */
export function certificateOperation(input: RenewalInput): OperationDefinition {
  const { plan, rotations } = input;
  const id = plan.deploymentId;
  const refs = identitySecrets(id);
  const verify = input.deployer
    .steps(plan)
    .filter((s) => s.phase === 'verify' && (s.id === 'verify-api' || s.id === 'verify-gui'));
  const rotationIds = (ctx: StepContext) =>
    String(ctx.outputs[ROTATIONS] ?? '')
      .split(',')
      .filter(Boolean);

  const issue = async (ctx: StepContext) => {
    const ca = await loadCa(ctx, id);
    const config = parse(await loadServerConfig(ctx.secrets, id)) as Record<string, unknown>;
    const ids: string[] = [];
    let next = config;
    let identity: IssuedCertificate | undefined;
    if (input.mode === 'renew') {
      ctx.progress({ fraction: 0.1, message: 'Renewing the Frontend certificate (same key)' });
      const front = await rotations.renewFrontend(next, ca, { validityDays: input.lifetimes.serverDays });
      ids.push(front.rotationId);
      ctx.progress({ fraction: 0.4, message: 'Renewing the GUI gateway certificate (same key)' });
      const gui = await rotations.renewGui(front.config, ca, { validityDays: input.lifetimes.serverDays });
      ids.push(gui.rotationId);
      next = gui.config;
      ctx.progress({ fraction: 0.7, message: "Renewing the app's API identity (same key, same user)" });
      const api = await rotations.renewApiClient(
        await readPair(ctx, refs.apiIdentity.id, 'API identity'),
        ca,
        {
          validityDays: input.lifetimes.apiDays,
        },
      );
      ids.push(api.rotationId);
      identity = api.identity;
    } else {
      ctx.progress({ fraction: 0.3, message: 'Giving the GUI gateway a new key and certificate' });
      const gui = await rotations.rotateGui(next, ca);
      ids.push(gui.rotationId);
      next = gui.config;
    }
    assertNoCaKey(next);
    // The rotation ids first: an undo after a crash from here on finds the backups.
    await ctx.setOutput(ROTATIONS, ids.join(','));
    await ctx.secrets.set(refs.serverConfig.id, stringify(next, { lineWidth: 0 }));
    if (identity) await ctx.secrets.set(refs.apiIdentity.id, JSON.stringify(identity));
    ctx.log(
      input.mode === 'renew'
        ? `Renewed under the deployment's CA, keys kept: Frontend and gateway for ${input.lifetimes.serverDays} days, API identity for ${input.lifetimes.apiDays} days`
        : 'The GUI gateway has a new key and certificate',
    );
  };

  const deliver = async (ctx: StepContext) => {
    await input.operations.deliverConfig(plan, await loadServerConfig(ctx.secrets, id), ctx);
    await ctx.setOutput(DELIVERED, true);
  };

  const connection = async (ctx: StepContext) => {
    const name = String(ctx.outputs.connectionName ?? plan.name);
    const yaml = await apiClientConfig(
      ctx.secrets,
      id,
      String(ctx.outputs.apiUser),
      String(ctx.outputs.apiEndpoint),
    );
    await input.connections.replace({ name, yaml });
    ctx.log(`The connection "${name}" now uses the renewed API identity`);
  };

  const confirm = async (ctx: StepContext) => {
    for (const r of rotationIds(ctx)) await rotations.confirm(r);
    const config = parse(await loadServerConfig(ctx.secrets, id)) as {
      Frontend: { certificate: string };
      GUI: { gw_certificate: string };
    };
    const api = await readPair(ctx, refs.apiIdentity.id, 'API identity');
    await ctx.setOutput('frontendCertNotAfter', notAfter(config.Frontend.certificate));
    await ctx.setOutput('gatewayCertNotAfter', notAfter(config.GUI.gw_certificate));
    await ctx.setOutput('apiCertNotAfter', notAfter(api.certificatePem));
    await ctx.setOutput('certificatesRenewedAt', ctx.now().toISOString());
    await ctx.setOutput(ROTATIONS, '');
    await ctx.setOutput(DELIVERED, false);
  };

  const undo = async (ctx: StepContext) => {
    const ids = rotationIds(ctx);
    if (!ids.length) return;
    let config = parse(await loadServerConfig(ctx.secrets, id)) as Record<string, unknown>;
    // Newest first: each rollback restores the section it changed.
    for (const r of [...ids].reverse()) {
      const back = await rotations.rollback(r, { config });
      if (back.config) config = back.config;
      if (back.identity) await ctx.secrets.set(refs.apiIdentity.id, JSON.stringify(back.identity));
    }
    await ctx.secrets.set(refs.serverConfig.id, stringify(config, { lineWidth: 0 }));
    await ctx.setOutput(ROTATIONS, '');
    ctx.log('The previous certificates are back in the keychain');
    if (ctx.outputs[DELIVERED] === true) {
      await input.operations.deliverConfig(plan, stringify(config, { lineWidth: 0 }), ctx);
      await input.operations.restart(plan, ctx);
      await ctx.setOutput(DELIVERED, false);
      ctx.log('The server runs with its previous config again');
    }
  };

  return {
    kind: input.mode === 'renew' ? 'renew-certificates' : 'rotate-gateway',
    title:
      input.mode === 'renew'
        ? 'Renew the certificates (same keys)'
        : 'Rotate the GUI gateway key and certificate',
    steps: [
      { id: 'issue', title: "Issue under the deployment's CA (in the keychain)", run: issue },
      { id: 'deliver', title: 'Deliver the server config through the target', run: deliver },
      { id: 'restart', title: 'Restart the server', run: (ctx) => input.operations.restart(plan, ctx) },
      ...verify.map((v) => ({ id: v.id, title: v.title, run: (ctx: StepContext) => v.run(ctx) })),
      ...(input.mode === 'renew'
        ? [{ id: 'connection', title: "Update the app's connection", run: connection }]
        : []),
      { id: 'confirm', title: 'Confirm (drop the previous certificates)', run: confirm },
    ],
    undo,
    details: (doc) => ({
      frontendCertNotAfter: String(doc.outputs.frontendCertNotAfter ?? ''),
      gatewayCertNotAfter: String(doc.outputs.gatewayCertNotAfter ?? ''),
      apiCertNotAfter: String(doc.outputs.apiCertNotAfter ?? ''),
    }),
  };
}
