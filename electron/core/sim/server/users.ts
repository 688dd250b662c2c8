/**
 * Users and orgs (VR vql/server/users, orgs): gui_users(), user(), user_create(), user_grant(),
 * user_delete(), orgs().
 */
import { hashPassword } from '../../pki/index';
import { isKnownRole } from '../permissions';
import { normaliseOrg } from '../users';
import type { PluginItem, Scope } from '../vql/scope';
import { isRow, type Row } from '../vql/values';
import { fn, plugin, type PluginGroup, type ServerContext } from './context';
import { orgRow, userRecordRow } from './rows';

export function userPlugins(ctx: ServerContext): PluginGroup {
  const { world, users } = ctx;

  /**
   * user_create / user_grant: the user's roles in each org become exactly the given ones (and the
   * policy's). user_grant with neither roles nor a policy changes nothing and says so.
   */
  function grantUser(a: Row, scope: Scope, name: string): unknown {
    if (!scope.require('SERVER_ADMIN', name)) return null;
    const policy = isRow(a.policy) ? a.policy : undefined;
    const policyRoles = Array.isArray(policy?.roles)
      ? policy.roles.filter((r): r is string => typeof r === 'string')
      : [];
    const given = (a.roles as string[] | undefined) ?? [];
    if (name === 'user_grant' && !policy && given.length === 0) {
      scope.log('user_grant: You must provide either roles or a policy object');
      return null;
    }
    const roles = [...new Set([...policyRoles, ...given])];
    const bad = roles.find((r) => !isKnownRole(r));
    if (bad) throw new Error(`Invalid role ${bad}`);
    const orgs = (a.orgs as string[] | undefined)?.length ? (a.orgs as string[]) : [scope.ctx.orgId];
    for (const o of orgs) {
      if (!world.orgs.has(normaliseOrg(o))) throw new Error(`Org ${o} not found`);
      users.grant(
        String(a.user),
        roles,
        normaliseOrg(o),
        typeof a.password === 'string' && a.password ? hashPassword(a.password) : undefined,
      );
    }
    return String(a.user);
  }

  return {
    plugins: [
      plugin({
        name: 'orgs',
        doc: 'Retrieve the list of orgs on this server.',
        args: {},
        async *run(_a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'orgs')) return;
          for (const o of world.orgs.values()) yield orgRow(o, ctx.env.clientConfig(o.id));
        },
      }),
      plugin({
        name: 'gui_users',
        doc: 'Retrieve the list of users on the server.',
        args: { all_orgs: { type: 'bool' } },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'gui_users')) return;
          for (const u of users.list()) {
            for (const [orgId, roles] of u.orgRoles) {
              // Users without roles in an org are not its users.
              if ((!a.all_orgs && orgId !== scope.ctx.orgId) || roles.length === 0) continue;
              yield userRecordRow(world.profile, u.name, orgId, world.orgs.get(orgId)?.name ?? orgId, roles);
            }
          }
        },
      }),
    ],
    functions: [
      fn({
        name: 'user_create',
        doc: 'Creates a new user from the server, or updates their permissions or reset their password.',
        args: {
          user: { type: 'string', required: true },
          roles: { type: 'strings', required: true },
          password: { type: 'string' },
          orgs: { type: 'strings' },
        },
        call: (a, scope) => grantUser(a, scope, 'user_create'),
      }),
      fn({
        name: 'user_grant',
        doc: 'Grants the user the specified roles.',
        args: {
          user: { type: 'string', required: true },
          roles: { type: 'strings' },
          orgs: { type: 'strings' },
          policy: { type: 'dict' },
        },
        call: (a, scope) => grantUser(a, scope, 'user_grant'),
      }),
      fn({
        name: 'user_delete',
        doc: 'Deletes a user from the server.',
        args: {
          user: { type: 'string', required: true },
          really_do_it: { type: 'bool' },
          orgs: { type: 'strings' },
        },
        call: (a, scope) => {
          if (!scope.require('SERVER_ADMIN', 'user_delete')) return null;
          if (a.really_do_it !== true) return `Would delete ${String(a.user)} (call with really_do_it=TRUE)`;
          return users.delete(String(a.user)) ? String(a.user) : null;
        },
      }),
      fn({
        name: 'user',
        doc: 'Retrieves information about the user.',
        // user= is required: user() alone answers null with "user: Field user is required".
        args: { user: { type: 'string', required: true }, orgs: { type: 'strings' } },
        call: (a, scope) => {
          const name = String(a.user);
          if (name !== scope.ctx.user && !scope.require('SERVER_ADMIN', 'user')) return null;
          const u = users.get(name);
          const orgId = normaliseOrg(scope.ctx.orgId);
          return u
            ? userRecordRow(
                world.profile,
                u.name,
                orgId,
                world.orgs.get(orgId)?.name ?? orgId,
                users.rolesIn(u.name, orgId),
              )
            : null;
        },
      }),
    ],
  };
}
