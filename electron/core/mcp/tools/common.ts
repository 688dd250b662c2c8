/**
 * Argument shapes the tool groups share. The patterns are Velociraptor's id formats: they refuse
 * quoting tricks at the door, and the values still only ever reach VQL through env.
 */
import { z } from 'zod';
import { AppError, isAppError } from '../../../../shared/errors';
import type { ApprovalPlan } from '../approvals';
import type { Row } from '../results';
import type { Target } from '../servers';
import type { BuiltQuery, VelociraptorService } from '../../velociraptor';
import { checkParameters } from '../../../../shared/params';

export const clientId = z
  .string()
  .regex(/^C\.[0-9A-Za-z]{1,64}$/, 'a client id looks like C.1234abcd5678ef90')
  .describe('Velociraptor client id, e.g. C.1234abcd5678ef90 (from search_clients).');
export const flowId = z
  .string()
  .regex(/^F\.[0-9A-Za-z._-]{1,64}$/, 'a flow id looks like F.CU3B1VEPK2A2I')
  .describe('Flow (collection) id, e.g. F.CU3B1VEPK2A2I.');
export const huntId = z
  .string()
  .regex(/^H\.[0-9A-Za-z._-]{1,64}$/, 'a hunt id looks like H.CU3B1VEPK2A2I')
  .describe('Hunt id, e.g. H.CU3B1VEPK2A2I.');
export const artifactName = z
  .string()
  .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'an artifact name looks like Windows.System.Pslist')
  .max(200)
  .describe('Artifact name, e.g. Windows.System.Pslist (from list_artifacts).');
export const sourceName = z
  .string()
  .regex(
    /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*(\/[A-Za-z0-9_ .-]+)?$/,
    'a source looks like Artifact.Name or Artifact.Name/SourceName',
  )
  .max(300)
  .describe('Artifact, or Artifact/Source for artifacts with named sources (see get_artifact).');
export const parameters = z
  .record(artifactName, z.record(z.string().max(200), z.string().max(100_000)))
  .optional()
  .describe(
    'Artifact parameters: {"Artifact.Name": {"Param": "value"}}. Values are strings; the server converts them per declared type.',
  );

/**
 * Refuses, before any plan is shown, parameters the collected artifacts do not declare or whose values
 * do not fit their declared type (shared/params.ts: RE2 regexes, numbers, choices, globs...): the
 * same checks the wizards make at the field. Velociraptor would ignore a misspelt name and collect
 * with the default, or fail on the endpoint.
 */
export async function checkArtifactParameters(
  svc: VelociraptorService,
  artifacts: readonly string[],
  given: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined,
): Promise<void> {
  const named = Object.keys(given ?? {});
  if (named.length === 0) return;
  const stray = named.filter((a) => !artifacts.includes(a));
  if (stray.length)
    throw new AppError(
      'INVALID_ARGUMENT',
      `Parameters were given for ${stray.join(', ')}, which ${stray.length === 1 ? 'is' : 'are'} not among the artifacts collected.`,
    );
  const defs = new Map((await svc.getArtifacts(named)).map((d) => [d.name, d.parameters]));
  const problems = checkParameters(defs, given ?? {});
  if (problems.length)
    throw new AppError(
      'INVALID_ARGUMENT',
      `Fix the parameters before collecting: ${problems
        .map((p) => `${p.parameter ? `${p.artifact} ${p.parameter}` : p.artifact}: ${p.message}`)
        .join(' ')}`,
      { details: { problems } },
    );
}

/**
 * An approval plan of one operation. `query` is the VQL the operation will send, built by the
 * operation's own builder (the service's plan* methods), so the responder approves exactly what runs.
 */
export function plan(
  summary: string,
  t: Target,
  operation: string,
  details: Record<string, unknown>,
  query?: BuiltQuery,
): ApprovalPlan {
  return {
    summary,
    ...(t.server ? { server: t.server } : {}),
    ...(t.org ? { org: t.org } : {}),
    operations: [{ operation, details, ...(query ? { vql: query.vql, env: query.env } : {}) }],
  };
}

export function notFound(what: string): AppError {
  return new AppError('NOT_FOUND', `${what} was not found on the server. Check the id (and the org).`);
}

/** The operation's answer; when the server has no such thing, NOT_FOUND naming `what` for the model. */
export async function found<T>(answer: Promise<T>, what: string): Promise<T> {
  try {
    return await answer;
  } catch (e) {
    throw isAppError(e, 'NOT_FOUND') ? notFound(what) : e;
  }
}

/** Velociraptor timestamps come in seconds or microseconds; models read ISO strings best. */
export function isoTime(v: unknown): string | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    return typeof v === 'string' && v !== '' ? v : undefined;
  const ms = v > 1e14 ? v / 1000 : v > 1e11 ? v : v * 1000;
  return new Date(ms).toISOString();
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

export function obj(v: unknown): Row {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Row) : {};
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
