/**
 * API identities on the server. A certificate alone lets no one in: Velociraptor maps the CN to a
 * user that must exist with roles (docs/velociraptor/api-client-config.md#producing-it and
 * permissions.md). So every identity we mint is paired with its server-side user — at deploy time
 * as a `user add` command run before the server starts, at run time as VQL (user_create /
 * user_grant) sent with an administrator identity. Roles default to least privilege
 * (api + investigator); administrator only when asked for.
 */
import { AppError } from '../../../../shared/errors';
import { build, jsonArray, str, vql, type BuiltQuery } from '../vql/builder';
import { validateUserName, type ServerAdmin } from '../../pki/index';

export const ROLES = [
  'administrator',
  'org_admin',
  'reader',
  'analyst',
  'investigator',
  'artifact_writer',
  'api',
] as const;
export type Role = (typeof ROLES)[number];
export const DEFAULT_API_ROLES: readonly Role[] = ['api', 'investigator'];

export function validateRoles(
  roles: readonly string[],
  options: { allowAdministrator?: boolean } = {},
): Role[] {
  const unique = [...new Set(roles)];
  for (const r of unique) {
    if (!(ROLES as readonly string[]).includes(r))
      throw new AppError('INVALID_ARGUMENT', `"${r}" is not a Velociraptor role (${ROLES.join(', ')}).`);
  }
  if (unique.includes('administrator') && !options.allowAdministrator) {
    throw new AppError(
      'INVALID_ARGUMENT',
      'The administrator role must be asked for explicitly (least privilege: api + investigator).',
    );
  }
  // The Query RPC checks ANY_QUERY: `reader` or `artifact_writer` alone cannot use the API.
  if (!unique.some((r) => r === 'api' || r === 'administrator' || r === 'analyst' || r === 'investigator')) {
    throw new AppError('INVALID_ARGUMENT', 'An API identity needs a role with query permission: add "api".');
  }
  return unique as Role[];
}

/**
 * argv for deploy time (run before the server starts; users are cached once it runs). The password
 * is positional because without one Velociraptor reads it from a terminal, which a container or a
 * non-interactive SSH exec does not have (VR bin/users.go). An API identity signs in with its
 * certificate, so deployers pass a random password nobody keeps.
 */
export function userAddCommand(
  configPath: string,
  name: string,
  roles: readonly string[],
  options: { password: string; allowAdministrator?: boolean; binary?: string },
): string[] {
  validateUserName(name);
  const ok = validateRoles(roles, options);
  if (options.password.length < 12)
    throw new AppError(
      'INVALID_ARGUMENT',
      'The password given to `user add` is too short (12 characters minimum).',
    );
  return [
    options.binary ?? 'velociraptor',
    '--config',
    configPath,
    'user',
    'add',
    name,
    options.password,
    '--role',
    ok.join(','),
  ];
}

/** The same as a shell line, each argument single-quoted (for a plan shown to the responder). */
export function shellLine(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9@%+=:,./_-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** Creates (or updates) the user with exactly these roles. Needs an identity with SERVER_ADMIN. */
export function userCreateQuery(
  name: string,
  roles: readonly string[],
  options: { allowAdministrator?: boolean } = {},
): BuiltQuery {
  validateUserName(name);
  const ok = validateRoles(roles, options);
  return build(vql`SELECT user_create(user=${str(name)}, roles=${jsonArray(ok)}) AS User FROM scope()`);
}

/**
 * Removes every role of a user: the way to make an API certificate useless, because Velociraptor has
 * no certificate revocation list. It takes an explicit empty policy: user_grant() with `roles=[]` and
 * no policy only logs "You must provide either roles or a policy object" and changes nothing.
 */
export function revokeRolesQuery(name: string): BuiltQuery {
  validateUserName(name);
  return build(vql`SELECT user_grant(user=${str(name)}, policy=dict(roles=[])) AS User FROM scope()`);
}

/** `acl grant <name> --role ""` for deploy-time / offline revocation. */
export function revokeRolesCommand(configPath: string, name: string, binary = 'velociraptor'): string[] {
  validateUserName(name);
  return [binary, '--config', configPath, 'acl', 'grant', name, '--role', ''];
}

/**
 * The users part of an API client rotation (pki's ServerAdmin), over `run`: a runner that sends a
 * query with an administrator identity and rejects when the server refuses it.
 */
export function serverAdmin(run: (query: BuiltQuery) => Promise<void>): ServerAdmin {
  return {
    async createUser(name, roles, options) {
      const granted = validateRoles(roles, options);
      await run(userCreateQuery(name, granted, options));
      return granted;
    },
    revokeRoles: (name) => run(revokeRolesQuery(name)),
  };
}
