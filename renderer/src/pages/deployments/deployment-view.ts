/**
 * Pure display logic of the Deployments page: labels and colours of states and targets, the
 * countdown to self-destruction, the URLs among a deployment's outputs, and which actions a
 * deployment in a given state offers.
 */
import type { DeploymentSummary } from '../../../../shared/contracts/deploy';
import type { CertificateStatus, DeploymentState, ExpiryLevel, TargetKind } from '../../../../shared/deploy';

export const TARGET_LABELS: Record<TargetKind, string> = {
  docker: 'Docker',
  ssh: 'Linux host (SSH)',
  lab: 'Local lab',
  aws: 'AWS',
  azure: 'Azure',
};

export function stateColor(state: DeploymentState, interrupted: boolean): string {
  if (interrupted) return 'orange';
  switch (state) {
    case 'deployed':
      return 'green';
    case 'failed':
    case 'rollback-failed':
      return 'red';
    case 'destroyed':
    case 'rolled-back':
      return 'gray';
    default:
      return 'blue';
  }
}

export function stateLabel(state: DeploymentState, interrupted: boolean): string {
  return interrupted ? `interrupted (${state})` : state;
}

/**
 * `2 d 03:12:09`, `45:00`; `due` once the time has passed (the reaper destroys it at the next
 * round). Null when the deployment does not destroy itself.
 */
export function countdown(autoDestroyAt: string | null, now: number): string | null {
  if (autoDestroyAt === null) return null;
  const t = Date.parse(autoDestroyAt);
  if (Number.isNaN(t)) return null;
  let s = Math.floor((t - now) / 1000);
  if (s <= 0) return 'due';
  const days = Math.floor(s / 86_400);
  s -= days * 86_400;
  const pad = (n: number) => String(n).padStart(2, '0');
  const hms = `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return days ? `${days} d ${hms}` : hms;
}

/** Under a day left: the countdown turns red (the 24 h notice has gone out). */
export function countdownColor(autoDestroyAt: string | null, now: number): string {
  if (autoDestroyAt === null) return 'dimmed';
  const left = Date.parse(autoDestroyAt) - now;
  return left <= 3_600_000 ? 'red' : left <= 86_400_000 ? 'orange' : 'dimmed';
}

const URL_LABELS: Record<string, string> = {
  guiUrl: 'GUI',
  frontendUrl: 'Frontend (agents)',
  apiEndpoint: 'API',
};

/** The URLs among the outputs, labelled, in a fixed order. */
export function urlsOf(
  outputs: DeploymentSummary['outputs'],
): Array<{ key: string; label: string; value: string }> {
  return Object.entries(URL_LABELS)
    .filter(([k]) => typeof outputs[k] === 'string' && outputs[k] !== '')
    .map(([key, label]) => ({ key, label, value: String(outputs[key]) }));
}

/** Journals whose deployment is gone and which only await removal from the list. */
export function isFinished(d: Pick<DeploymentSummary, 'state'>): boolean {
  return d.state === 'destroyed' || d.state === 'rolled-back';
}

/** Secrets of a deployment are kept under `deploy:<id>:<name>` (electron/core/deploy/server-identity.ts). */
export const adminPasswordRef = (deploymentId: string): string => `deploy:${deploymentId}:admin-password`;

/** The core says how close a certificate is to expiry (warnings at 30, 7 and 1 days); this colours it. */
export const EXPIRY_COLORS: Record<ExpiryLevel, string> = {
  ok: 'green',
  'within-30d': 'yellow',
  'within-7d': 'orange',
  'within-1d': 'red',
  expired: 'red',
};

/** The certificate that expires first (the one the list shows). */
export function soonestCertificate(
  d: Pick<DeploymentSummary, 'certificates'>,
): CertificateStatus | undefined {
  return [...d.certificates].sort((a, b) => a.daysLeft - b.daysLeft)[0];
}

/** `in 6 d`, `in 5 h`, `expired 2 d ago`. */
export function daysLeftLabel(daysLeft: number): string {
  const abs = Math.abs(daysLeft);
  const amount = abs >= 1 ? `${Math.floor(abs)} d` : `${Math.max(1, Math.floor(abs * 24))} h`;
  return daysLeft < 0 ? `expired ${amount} ago` : `in ${amount}`;
}
