/** Artifacts known to the server: list/search and full definitions. */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import type { VelociraptorConnection } from '../connection';
import { artifactNames, int, str, vql } from '../vql/builder';
import { limitOf, queryTyped, rowsOptions, strList, type OpOptions } from './common';

const ParamSchema = z
  .looseObject({
    name: z.string(),
    type: z.string().nullable().optional(),
    default: z.unknown().optional(),
    description: z.string().nullable().optional(),
    choices: strList,
  })
  .transform((p) => ({
    name: p.name,
    type: p.type || 'string',
    default:
      typeof p.default === 'string'
        ? p.default
        : p.default === undefined || p.default === null
          ? ''
          : JSON.stringify(p.default),
    description: p.description ?? '',
    ...(p.choices.length ? { choices: p.choices } : {}),
  }));

export const ArtifactSummarySchema = z
  .looseObject({
    name: z.string(),
    description: z.string().nullable().optional(),
    type: z.string().nullable().optional(),
    parameters: z.array(ParamSchema).nullable().optional(),
    sources: z
      .array(z.looseObject({ name: z.string().nullable().optional() }))
      .nullable()
      .optional(),
  })
  .transform((a) => ({
    name: a.name,
    description: a.description ?? '',
    type: (a.type || 'CLIENT').toUpperCase(),
    parameters: a.parameters ?? [],
    /** Source names ('' for an unnamed source). */
    sources: (a.sources ?? []).map((s) => s.name ?? ''),
  }));
export type ArtifactSummary = z.output<typeof ArtifactSummarySchema>;

export const ArtifactDefinitionSchema = z
  .looseObject({
    name: z.string(),
    description: z.string().nullable().optional(),
    type: z.string().nullable().optional(),
    parameters: z.array(ParamSchema).nullable().optional(),
    sources: z
      .array(
        z.looseObject({
          name: z.string().nullable().optional(),
          query: z.string().nullable().optional(),
          precondition: z.string().nullable().optional(),
        }),
      )
      .nullable()
      .optional(),
    required_permissions: z.array(z.string()).nullable().optional(),
    precondition: z.string().nullable().optional(),
  })
  .transform((a) => ({
    name: a.name,
    description: a.description ?? '',
    type: (a.type ?? 'CLIENT').toUpperCase(),
    parameters: a.parameters ?? [],
    sources: (a.sources ?? []).map((s) => ({
      name: s.name ?? '',
      query: s.query ?? '',
      precondition: s.precondition ?? '',
    })),
    requiredPermissions: a.required_permissions ?? [],
    precondition: a.precondition ?? '',
  }));
export type ArtifactDefinition = z.output<typeof ArtifactDefinitionSchema>;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface ListArtifactsInput {
  /** Case-insensitive substring of the name (taken literally, not as a regex). */
  search?: string;
  /** CLIENT, SERVER, CLIENT_EVENT, SERVER_EVENT, NOTEBOOK, INTERNAL. */
  type?: string;
  limit?: number;
}

export async function listArtifacts(
  conn: VelociraptorConnection,
  input: ListArtifactsInput = {},
  opts?: OpOptions,
): Promise<ArtifactSummary[]> {
  const limit = limitOf(input.limit, 500);
  const pattern = `(?i)${escapeRegex(input.search ?? '')}`;
  const type = (input.type ?? '').toUpperCase();
  if (type && !/^[A-Z_]{1,20}$/.test(type)) throw new AppError('INVALID_ARGUMENT', 'Unknown artifact type.');
  const q = type
    ? vql`SELECT name, description, type, parameters, sources FROM artifact_definitions() WHERE name =~ ${str(pattern)} AND upcase(string=type) = ${str(type)} LIMIT ${int(limit)}`
    : vql`SELECT name, description, type, parameters, sources FROM artifact_definitions() WHERE name =~ ${str(pattern)} LIMIT ${int(limit)}`;
  return queryTyped(conn, q, ArtifactSummarySchema, rowsOptions(opts, true));
}

export async function getArtifacts(
  conn: VelociraptorConnection,
  names: string[],
  opts?: OpOptions,
): Promise<ArtifactDefinition[]> {
  if (names.length === 0) return [];
  const rows = await queryTyped(
    conn,
    vql`SELECT * FROM artifact_definitions(names=${artifactNames(names)})`,
    ArtifactDefinitionSchema,
    rowsOptions(opts, true),
  );
  const missing = names.filter((n) => !rows.some((r) => r.name === n));
  if (missing.length) throw new AppError('NOT_FOUND', `${conn.label} has no artifact ${missing.join(', ')}.`);
  return rows;
}
