/**
 * The simulator's user records: names, per-org roles and (for GUI users) a password hash. Users come
 * from GUI.initial_users (administrators), from SimulatorOptions.users / `--user` (the stand-in for
 * `velociraptor user add … --role`), from mintApiConfig, and from user_create / user_grant at run time.
 */
import type { PasswordHash } from '../pki/index';
import { permissionsFor, ROOT_ORG, type Permission } from './permissions';

export interface SimUser {
  name: string;
  /** org id → roles in that org. */
  orgRoles: Map<string, string[]>;
  password?: PasswordHash;
}

export class UserStore {
  private readonly users = new Map<string, SimUser>();

  get(name: string): SimUser | undefined {
    return this.users.get(name);
  }

  list(): SimUser[] {
    return [...this.users.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Replaces the user's roles in `orgId` (creating the user), as `acl grant --role`. */
  grant(name: string, roles: string[], orgId: string = ROOT_ORG, password?: PasswordHash): SimUser {
    const user = this.users.get(name) ?? { name, orgRoles: new Map<string, string[]>() };
    user.orgRoles.set(normaliseOrg(orgId), [...new Set(roles)]);
    if (password) user.password = password;
    this.users.set(name, user);
    return user;
  }

  delete(name: string): boolean {
    return this.users.delete(name);
  }

  rolesIn(name: string, orgId: string): string[] {
    return this.users.get(name)?.orgRoles.get(normaliseOrg(orgId)) ?? [];
  }

  has(name: string, orgId: string, permission: Permission): boolean {
    return permissionsFor(this.rolesIn(name, orgId), normaliseOrg(orgId)).has(permission);
  }
}

/** "" and "root" both name the root org. */
export function normaliseOrg(orgId: string | undefined): string {
  return orgId === undefined || orgId === '' ? ROOT_ORG : orgId;
}
