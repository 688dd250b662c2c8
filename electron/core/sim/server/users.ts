/**
 * Users and orgs (VR vql/server/users, orgs): gui_users(), user(), user_create(), user_grant(),
 * user_delete(), orgs().
 */
import { hashPassword } from '../../pki/index';
import { isKnownRole } from '../permissions';
import { normaliseOrg } from '../users';
import type { PluginItem, Scope } from '../vql/scope';
import type { Row } from '../vql/values';
import { fn, plugin, type PluginGroup, type ServerContext } from './context';
import { guiUserRow, orgRow } from './rows';

export function userPlugins(ctx: ServerContext): PluginGroup {
  const { world, users } = ctx;

  function grantUser(a: Row, scope: Scope, name: string): unknown {
    if (!scope.require('SERVER_ADMIN', name)) return null;
    const roles = (a.roles as string[] | undefined) ?? [];
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
          for (const o of world.orgs.values()) yield orgRow(o);
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
              if (!a.all_orgs && orgId !== scope.ctx.orgId) continue;
              yield guiUserRow(u.name, orgId, world.orgs.get(orgId)?.name ?? orgId, roles);
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
        args: { user: { type: 'string' }, orgs: { type: 'strings' } },
        call: (a, scope) => {
          const name = typeof a.user === 'string' && a.user ? a.user : scope.ctx.user;
          if (name !== scope.ctx.user && !scope.require('SERVER_ADMIN', 'user')) return null;
          const u = users.get(name);
          return u
            ? {
                name: u.name,
                roles: users.rolesIn(u.name, scope.ctx.orgId),
                orgs: [...u.orgRoles.keys()].map((id) => ({ id, name: world.orgs.get(id)?.name ?? id })),
              }
            : null;
        },
      }),
    ],
  };
}
