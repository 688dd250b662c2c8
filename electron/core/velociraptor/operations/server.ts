/** Server-level operations: identity, info, orgs, users, VQL help and completions. */
import { z } from 'zod';
import { AppError, isAppError } from '../../../../shared/errors';
import type { VelociraptorConnection } from '../connection';
import { vql } from '../vql/builder';
import { callFunction, queryTyped, rowsOptions, strList, type OpOptions } from './common';

export const ServerInfoSchema = z
  .looseObject({
    Hostname: z.string().optional(),
    OS: z.string().optional(),
    Platform: z.string().optional(),
    PlatformVersion: z.string().optional(),
    KernelVersion: z.string().optional(),
    Architecture: z.string().optional(),
    Fqdn: z.string().optional(),
  })
  .transform((r) => ({
    hostname: r.Hostname ?? '',
    os: r.OS ?? '',
    platform: r.Platform ?? '',
    platformVersion: r.PlatformVersion ?? '',
    kernelVersion: r.KernelVersion ?? '',
    architecture: r.Architecture ?? '',
    fqdn: r.Fqdn ?? '',
  }));
export type ServerInfo = z.output<typeof ServerInfoSchema>;

/** `info()` needs MACHINE_STATE (administrators only). */
export async function serverInfo(conn: VelociraptorConnection, opts?: OpOptions): Promise<ServerInfo> {
  const rows = await queryTyped(conn, vql`SELECT * FROM info()`, ServerInfoSchema, rowsOptions(opts, true));
  const first = rows[0];
  if (!first) throw new AppError('VQL_ERROR', `${conn.label}: info() returned no row.`);
  return first;
}

export async function whoami(conn: VelociraptorConnection, opts?: OpOptions): Promise<string> {
  return callFunction(conn, vql`whoami()`, z.string().min(1), rowsOptions(opts, true), 'whoami()');
}

/**
 * Who this connection is, and the server's info() when the identity may read it (info() needs
 * MACHINE_STATE; without it the answer still proves the connection works and says why info is missing).
 */
export async function identity(
  conn: VelociraptorConnection,
  opts?: OpOptions,
): Promise<{ user: string; info?: ServerInfo; infoError?: string }> {
  const user = await whoami(conn, opts);
  try {
    return { user, info: await serverInfo(conn, opts) };
  } catch (e) {
    if (!isAppError(e)) throw e;
    return { user, infoError: `${e.code}: ${e.message}` };
  }
}

/** user()'s record: name, org_id, org_name, picture, email, roles, _policy, effective_policy (no orgs). */
export const CurrentUserSchema = z
  .looseObject({
    name: z.string(),
    org_id: z.string().nullable().optional(),
    org_name: z.string().nullable().optional(),
    roles: strList,
    /** Every permission the user holds in this org (roles and single grants), truthy ones only. */
    effective_policy: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .transform((u) => ({
    name: u.name,
    orgId: u.org_id ?? '',
    orgName: u.org_name ?? '',
    roles: u.roles,
    ...(u.effective_policy ? { effectivePolicy: u.effective_policy } : {}),
  }));
export type CurrentUser = z.output<typeof CurrentUserSchema>;

/**
 * The caller's own user record (roles in the connection's org; the record has no `orgs`). The server
 * requires `user=` (without it: null, "user: Field user is required"), and any user may read their
 * own record whatever their roles (VR services/users GetUserWithHashes).
 */
export async function currentUser(conn: VelociraptorConnection, opts?: OpOptions): Promise<CurrentUser> {
  return callFunction(
    conn,
    vql`user(user=whoami())`,
    CurrentUserSchema,
    rowsOptions(opts, true),
    'user(user=whoami())',
  );
}

export const OrgSchema = z
  .looseObject({ Name: z.string(), OrgId: z.string() })
  .transform((o) => ({ id: o.OrgId, name: o.Name }));
export type Org = z.output<typeof OrgSchema>;

export async function listOrgs(conn: VelociraptorConnection, opts?: OpOptions): Promise<Org[]> {
  return queryTyped(conn, vql`SELECT * FROM orgs()`, OrgSchema, rowsOptions(opts, true));
}

export const ServerUserSchema = z
  .looseObject({
    name: z.string(),
    org_id: z.string().optional(),
    org_name: z.string().optional(),
    roles: strList,
  })
  .transform((u) => ({ name: u.name, orgId: u.org_id ?? '', orgName: u.org_name ?? '', roles: u.roles }));
export type ServerUser = z.output<typeof ServerUserSchema>;

export async function listUsers(
  conn: VelociraptorConnection,
  options: { allOrgs?: boolean } & OpOptions = {},
): Promise<ServerUser[]> {
  const q = options.allOrgs ? vql`SELECT * FROM gui_users(all_orgs=TRUE)` : vql`SELECT * FROM gui_users()`;
  return queryTyped(conn, q, ServerUserSchema, rowsOptions(options, true));
}

export const HelpEntrySchema = z
  .looseObject({
    name: z.string(),
    type: z.string(),
    description: z.string().nullable().optional(),
    args: z
      .array(
        z.looseObject({
          name: z.string(),
          type: z.string().optional(),
          description: z.string().optional(),
          required: z.boolean().optional(),
        }),
      )
      .nullable()
      .optional(),
  })
  .transform((h) => ({
    name: h.name,
    kind: /plugin/i.test(h.type) ? 'plugin' : 'function',
    description: h.description ?? '',
    args: (h.args ?? []).map((a) => ({
      name: a.name,
      type: a.type ?? '',
      description: a.description ?? '',
      required: a.required ?? false,
    })),
  }));
export type HelpEntry = z.output<typeof HelpEntrySchema>;

/** Plugins and functions this server offers, from the server itself (not a bundled list). */
export async function vqlHelp(conn: VelociraptorConnection, opts?: OpOptions): Promise<HelpEntry[]> {
  return queryTyped(conn, vql`SELECT * FROM help()`, HelpEntrySchema, rowsOptions(opts, true));
}

export interface Completions {
  plugins: string[];
  functions: string[];
  artifacts: string[];
}

/** Names for editor completion: plugins, functions and artifacts known to the server. */
export async function completions(
  conn: VelociraptorConnection,
  prefix = '',
  opts?: OpOptions,
): Promise<Completions> {
  const [help, arts] = await Promise.all([
    vqlHelp(conn, opts),
    queryTyped(
      conn,
      vql`SELECT name FROM artifact_definitions()`,
      z.looseObject({ name: z.string() }),
      rowsOptions(opts, true),
    ),
  ]);
  const p = prefix.toLowerCase();
  const keep = (n: string): boolean => n.toLowerCase().startsWith(p);
  return {
    plugins: help.filter((h) => h.kind === 'plugin' && keep(h.name)).map((h) => h.name),
    functions: help.filter((h) => h.kind === 'function' && keep(h.name)).map((h) => h.name),
    artifacts: arts
      .map((a) => a.name)
      .filter(keep)
      .sort(),
  };
}
