/**
 * Users the simulator keeps in its datastore between runs, as Velociraptor keeps user records in its
 * datastore: `velociraptor --config F user add NAME PW --role R` (run before the server starts, the
 * way deployers register identities) writes here, and `frontend` reads them at start. The file format
 * is the simulator's own (JSON), not Velociraptor's datastore layout.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { JsonFile } from '../files/index';
import type { PasswordHash } from '../pki/index';

export const USER_FILE = 'megaraptor-sim-users.json';

const UserFile = z.object({
  users: z.array(
    z.object({
      name: z.string(),
      /** org id → roles in that org. */
      orgRoles: z.record(z.string(), z.array(z.string())),
      password: z.object({ password_hash: z.string(), password_salt: z.string() }).optional(),
    }),
  ),
});
export type PersistedUser = z.infer<typeof UserFile>['users'][number];

function userFile(datastoreDir: string): JsonFile<typeof UserFile> {
  return new JsonFile(join(datastoreDir, USER_FILE), UserFile);
}

export async function readUserFile(datastoreDir: string): Promise<PersistedUser[]> {
  return (await userFile(datastoreDir).read())?.users ?? [];
}

/** Adds or replaces one user (roles in the root org, and a password), as `user add` does. */
export async function addUser(
  datastoreDir: string,
  user: { name: string; roles: string[]; password: PasswordHash },
): Promise<void> {
  const users = (await readUserFile(datastoreDir)).filter((u) => u.name !== user.name);
  users.push({ name: user.name, orgRoles: { root: [...new Set(user.roles)] }, password: user.password });
  await userFile(datastoreDir).write({ users });
}
