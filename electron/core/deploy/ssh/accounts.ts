/**
 * System accounts a service runs as (upstream's server package makes `velociraptor`: a system user
 * with its own group, no login shell, no home folder made). Made with shadow-utils' useradd, or
 * BusyBox's adduser where that is all a host has; removed with its group.
 */
import { AppError } from '../../../../shared/errors';
import type { SshConnection } from './connection';
import { sh } from './shell';

const NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

function checkedName(name: string): string {
  if (!NAME.test(name)) throw new AppError('INVALID_ARGUMENT', `"${name}" is not a system user name.`);
  return name;
}

export async function userExists(conn: SshConnection, name: string): Promise<boolean> {
  const r = await conn.exec(`id -u ${sh([checkedName(name)])} >/dev/null 2>&1`);
  return r.code === 0;
}

export async function groupExists(conn: SshConnection, name: string): Promise<boolean> {
  const r = await conn.exec(`getent group ${sh([checkedName(name)])} >/dev/null 2>&1`);
  return r.code === 0;
}

/** A system user with a group of the same name, no shell, `home` recorded but not made. */
export async function createSystemUser(
  conn: SshConnection,
  user: { name: string; home: string; comment?: string },
): Promise<void> {
  const n = sh([checkedName(user.name)]);
  const home = sh([user.home]);
  const comment = sh([user.comment ?? 'Velociraptor server']);
  const shell = '$( [ -x /usr/sbin/nologin ] && echo /usr/sbin/nologin || echo /bin/false )';
  await conn.run(
    [
      'if command -v useradd >/dev/null 2>&1; then',
      `  useradd --system --user-group --no-create-home --home-dir ${home} --shell "${shell}" --comment ${comment} ${n}`,
      'else',
      `  addgroup -S ${n} && adduser -S -D -H -h ${home} -s /bin/false -G ${n} -g ${comment} ${n}`,
      'fi',
    ].join('\n'),
    { root: true, what: `Creating the system user ${user.name}` },
  );
}

/** Removes the user and its group (already gone is fine). */
export async function removeSystemUser(conn: SshConnection, name: string): Promise<void> {
  const n = sh([checkedName(name)]);
  await conn.run(
    [
      `if id -u ${n} >/dev/null 2>&1; then`,
      `  if command -v userdel >/dev/null 2>&1; then userdel ${n}; else deluser ${n}; fi`,
      'fi',
      `if getent group ${n} >/dev/null 2>&1; then`,
      `  if command -v groupdel >/dev/null 2>&1; then groupdel ${n}; else delgroup ${n}; fi`,
      'fi',
    ].join('\n'),
    { root: true, what: `Removing the system user ${name}` },
  );
}
