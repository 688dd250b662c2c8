/**
 * Deployment profiles, enforced (the old tool only wrote them into a record): which targets a profile
 * allows, the resource limits the server runs under, what the target must have, certificate
 * lifetimes, auto-destruction and log retention. A deployment may override any of these within the
 * rules below; `resolveProfile` is the one place that applies and checks them, and every deployer plans
 * from its result, so a violation is refused before anything is made.
 */
import { AppError } from '../../../shared/errors';
import type { ProfileName, TargetKind } from '../../../shared/deploy';

const GiB = 1024 ** 3;
const HOUR_MS = 3_600_000;

export interface ResourceLimits {
  /** Hard memory cap of the server (container Memory = MemorySwap; systemd MemoryMax). */
  memoryBytes: number;
  /** CPU cap in units of 1e-9 CPUs (Docker NanoCpus; systemd CPUQuota = nanoCpus / 1e7 %). */
  nanoCpus: number;
  /** Process/thread cap (Docker PidsLimit; systemd TasksMax). */
  pids: number;
}

export interface TargetMinimum {
  cpus: number;
  memoryBytes: number;
  /** Free disk where the datastore lives. */
  diskBytes: number;
}

export interface CertificateLifetimes {
  /** The deployment's own CA (it signs agents' trust root: agents pin it). */
  caDays: number;
  /** Frontend (also the API server certificate) and GUI gateway. */
  serverDays: number;
  /** The app's API identity. */
  apiDays: number;
}

export interface Profile {
  name: ProfileName;
  title: string;
  description: string;
  allowedTargets: readonly TargetKind[];
  limits: ResourceLimits;
  minimum: TargetMinimum;
  certificates: CertificateLifetimes;
  /** Hours after deploy at which the server destroys itself; null = never. */
  autoDestroyHours: number | null;
  /** Server log files older than this are deleted (Velociraptor Logging.max_age). */
  logRetentionDays: number;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  rapid: {
    name: 'rapid',
    title: 'Rapid response',
    description:
      'A short-lived server for one incident: small, quick to stand up, destroys itself after 72 hours unless extended.',
    allowedTargets: ['docker', 'lab', 'ssh', 'aws', 'azure'],
    limits: { memoryBytes: 4 * GiB, nanoCpus: 2e9, pids: 4096 },
    minimum: { cpus: 1, memoryBytes: 2 * GiB, diskBytes: 10 * GiB },
    certificates: { caDays: 30, serverDays: 7, apiDays: 7 },
    autoDestroyHours: 72,
    logRetentionDays: 7,
  },
  standard: {
    name: 'standard',
    title: 'Standard',
    description:
      'A lasting server for a team: no self-destruction, one-year certificates renewed by the app.',
    allowedTargets: ['docker', 'ssh', 'lab', 'aws', 'azure'],
    limits: { memoryBytes: 8 * GiB, nanoCpus: 4e9, pids: 16384 },
    minimum: { cpus: 2, memoryBytes: 4 * GiB, diskBytes: 50 * GiB },
    certificates: { caDays: 3650, serverDays: 365, apiDays: 365 },
    autoDestroyHours: null,
    logRetentionDays: 30,
  },
  enterprise: {
    name: 'enterprise',
    title: 'Enterprise',
    description:
      'A large, long-lived server on a dedicated host or cloud (multi-frontend later); API identities renewed every 90 days.',
    allowedTargets: ['docker', 'ssh', 'aws', 'azure'],
    limits: { memoryBytes: 16 * GiB, nanoCpus: 8e9, pids: 65536 },
    minimum: { cpus: 4, memoryBytes: 16 * GiB, diskBytes: 200 * GiB },
    certificates: { caDays: 3650, serverDays: 365, apiDays: 90 },
    autoDestroyHours: null,
    logRetentionDays: 90,
  },
};

export interface ProfileOverrides {
  limits?: Partial<ResourceLimits>;
  minimum?: Partial<TargetMinimum>;
  certificates?: Partial<CertificateLifetimes>;
  /** Rapid deployments must self-destruct: null is refused for them. */
  autoDestroyHours?: number | null;
  logRetentionDays?: number;
}

/** A profile with a deployment's overrides applied and checked; `overridden` lists what changed. */
export interface ResolvedProfile extends Profile {
  overridden: string[];
}

/** Below these the server does not start or is useless; above them a value is a typo. */
const BOUNDS = {
  memoryBytes: [512 * 1024 ** 2, 1024 * GiB],
  nanoCpus: [0.25e9, 256e9],
  pids: [256, 4_194_304],
  cpus: [0, 1024],
  minMemoryBytes: [0, 1024 * GiB],
  diskBytes: [0, 1024 ** 5],
  caDays: [1, 3650],
  serverDays: [1, 3650],
  apiDays: [1, 3650],
  /** A rapid deployment may be extended to two weeks at most; then it is not rapid any more. */
  rapidHours: [1 / 60, 14 * 24],
  autoDestroyHours: [1 / 60, 10 * 365 * 24],
  logRetentionDays: [1, 3650],
} as const;

function violation(message: string, details: Record<string, unknown>): AppError {
  return new AppError('DEPLOY_PROFILE_VIOLATION', message, { details });
}

function within(name: string, value: number, [lo, hi]: readonly [number, number], unit = ''): number {
  if (!Number.isFinite(value) || value < lo || value > hi)
    throw violation(`${name} ${value}${unit} is outside the allowed range ${lo}${unit}–${hi}${unit}.`, {
      field: name,
      value,
      min: lo,
      max: hi,
    });
  return value;
}

export function resolveProfile(name: ProfileName, overrides: ProfileOverrides = {}): ResolvedProfile {
  const base = PROFILES[name];
  const overridden: string[] = [];
  const pick = <T extends object>(group: string, b: T, o: Partial<T> | undefined): T => {
    const out = { ...b };
    for (const [k, v] of Object.entries(o ?? {})) {
      if (v === undefined || !(k in b)) continue;
      if (v !== (b as Record<string, unknown>)[k]) overridden.push(`${group}.${k}`);
      (out as Record<string, unknown>)[k] = v;
    }
    return out;
  };
  const limits = pick('limits', base.limits, overrides.limits);
  const minimum = pick('minimum', base.minimum, overrides.minimum);
  const certificates = pick('certificates', base.certificates, overrides.certificates);
  within('Memory limit', limits.memoryBytes, BOUNDS.memoryBytes, ' bytes');
  within('CPU limit', limits.nanoCpus, BOUNDS.nanoCpus, ' nano-CPUs');
  within('Process limit', limits.pids, BOUNDS.pids);
  within('Minimum CPUs', minimum.cpus, BOUNDS.cpus);
  within('Minimum memory', minimum.memoryBytes, BOUNDS.minMemoryBytes, ' bytes');
  within('Minimum free disk', minimum.diskBytes, BOUNDS.diskBytes, ' bytes');
  within('CA lifetime', certificates.caDays, BOUNDS.caDays, ' days');
  within('Server certificate lifetime', certificates.serverDays, BOUNDS.serverDays, ' days');
  within('API identity lifetime', certificates.apiDays, BOUNDS.apiDays, ' days');
  if (certificates.serverDays > certificates.caDays || certificates.apiDays > certificates.caDays)
    throw violation('A certificate cannot outlive the CA that signs it: shorten it or lengthen the CA.', {
      certificates,
    });

  let autoDestroyHours = base.autoDestroyHours;
  if (overrides.autoDestroyHours !== undefined) {
    if (overrides.autoDestroyHours !== base.autoDestroyHours) overridden.push('autoDestroyHours');
    autoDestroyHours = overrides.autoDestroyHours;
  }
  if (name === 'rapid') {
    if (autoDestroyHours === null)
      throw violation(
        'A rapid deployment always destroys itself. Choose the standard profile for a server that stays.',
        { field: 'autoDestroyHours' },
      );
    within('Self-destruction delay', autoDestroyHours, BOUNDS.rapidHours, ' h');
  } else if (autoDestroyHours !== null) {
    within('Self-destruction delay', autoDestroyHours, BOUNDS.autoDestroyHours, ' h');
  }
  // A server whose certificates expire before it is destroyed stops serving agents mid-incident.
  if (autoDestroyHours !== null && certificates.serverDays * 24 < autoDestroyHours)
    throw violation(
      `The server certificates (${certificates.serverDays} days) would expire before the self-destruction (${autoDestroyHours} h). Lengthen them or shorten the delay.`,
      { certificates, autoDestroyHours },
    );

  let logRetentionDays = base.logRetentionDays;
  if (overrides.logRetentionDays !== undefined) {
    if (overrides.logRetentionDays !== base.logRetentionDays) overridden.push('logRetentionDays');
    logRetentionDays = within('Log retention', overrides.logRetentionDays, BOUNDS.logRetentionDays, ' days');
  }
  return { ...base, limits, minimum, certificates, autoDestroyHours, logRetentionDays, overridden };
}

/** Refuses a target the profile does not allow (checked when planning, before anything exists). */
export function checkTarget(profile: Profile, target: TargetKind): void {
  if (!profile.allowedTargets.includes(target))
    throw violation(
      `The ${profile.title} profile does not deploy to ${target}. It allows: ${profile.allowedTargets.join(', ')}.`,
      { profile: profile.name, target, allowed: [...profile.allowedTargets] },
    );
}

/** When the deployment must be gone, or null. */
export function autoDestroyAt(profile: Profile, deployedAt: Date): string | null {
  return profile.autoDestroyHours === null
    ? null
    : new Date(deployedAt.getTime() + profile.autoDestroyHours * HOUR_MS).toISOString();
}
