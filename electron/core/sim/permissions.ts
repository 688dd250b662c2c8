/**
 * Velociraptor's roles and the permissions each grants (docs/velociraptor/permissions.md).
 * Roles are per org; the administrator role also carries ORG_ADMIN in the root org only.
 */
export type Permission =
  | 'ANY_QUERY'
  | 'READ_RESULTS'
  | 'IMPERSONATION'
  | 'LABEL_CLIENT'
  | 'COLLECT_CLIENT'
  | 'COLLECT_BASIC'
  | 'START_HUNT'
  | 'COLLECT_SERVER'
  | 'ARTIFACT_WRITER'
  | 'SERVER_ARTIFACT_WRITER'
  | 'EXECVE'
  | 'NOTEBOOK_EDITOR'
  | 'SERVER_ADMIN'
  | 'FILESYSTEM_READ'
  | 'FILESYSTEM_WRITE'
  | 'NETWORK'
  | 'MACHINE_STATE'
  | 'PREPARE_RESULTS'
  | 'DELETE_RESULTS'
  | 'ORG_ADMIN'
  | 'DATASTORE_ACCESS';

const ADMINISTRATOR: Permission[] = [
  'ANY_QUERY',
  'READ_RESULTS',
  'IMPERSONATION',
  'LABEL_CLIENT',
  'COLLECT_CLIENT',
  'COLLECT_BASIC',
  'START_HUNT',
  'COLLECT_SERVER',
  'ARTIFACT_WRITER',
  'SERVER_ARTIFACT_WRITER',
  'EXECVE',
  'NOTEBOOK_EDITOR',
  'SERVER_ADMIN',
  'FILESYSTEM_READ',
  'FILESYSTEM_WRITE',
  'NETWORK',
  'MACHINE_STATE',
  'PREPARE_RESULTS',
  'DELETE_RESULTS',
];

export const ROLE_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  administrator: ADMINISTRATOR,
  investigator: [
    'READ_RESULTS',
    'NOTEBOOK_EDITOR',
    'COLLECT_CLIENT',
    'START_HUNT',
    'LABEL_CLIENT',
    'ANY_QUERY',
    'PREPARE_RESULTS',
  ],
  analyst: ['READ_RESULTS', 'NOTEBOOK_EDITOR', 'LABEL_CLIENT', 'ANY_QUERY', 'PREPARE_RESULTS'],
  api: ['ANY_QUERY', 'READ_RESULTS'],
  reader: ['READ_RESULTS'],
  artifact_writer: ['ARTIFACT_WRITER'],
  org_admin: ['ORG_ADMIN'],
};

export function isKnownRole(role: string): boolean {
  return Object.prototype.hasOwnProperty.call(ROLE_PERMISSIONS, role);
}

export const ROOT_ORG = 'root';

/** The permissions a set of roles grants in one org. */
export function permissionsFor(roles: readonly string[], orgId: string): Set<Permission> {
  const out = new Set<Permission>();
  for (const role of roles) {
    for (const p of ROLE_PERMISSIONS[role] ?? []) out.add(p);
    if (role === 'administrator' && orgId === ROOT_ORG) out.add('ORG_ADMIN');
  }
  return out;
}
