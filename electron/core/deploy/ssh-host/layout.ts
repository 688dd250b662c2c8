/**
 * Where a deployment puts things on the host: upstream's server-package layout (binary in
 * /usr/local/bin, config in /etc/velociraptor, unit velociraptor_server), the datastore where the
 * responder chose, the self-destruction timer of this deployment, and the login user's staging
 * folder for uploads. Everything sits under `prefix` ('' on a real host; tests give each sshd host a
 * folder of its own). The unit file keeps upstream's name so operators find it where they expect.
 */
import { posix } from 'node:path';
import { AppError } from '../../../../shared/errors';
import { isSafeAbsolutePath } from '../ssh/shell';

export const SERVER_UNIT = 'velociraptor_server.service';

export interface HostLayout {
  prefix: string;
  binary: string;
  configDir: string;
  config: string;
  datastore: string;
  unitDir: string;
  serverUnit: string;
  /** Self-destruction (rapid profile): a oneshot service run by a timer, and the script it runs. */
  expireService: string;
  expireTimer: string;
  expireScript: string;
  staging: string;
}

function under(prefix: string, path: string): string {
  const full = prefix ? posix.join(prefix, path) : path;
  if (!isSafeAbsolutePath(full))
    throw new AppError('INVALID_ARGUMENT', `"${full}" is not a plain absolute path.`);
  return full;
}

export function hostLayout(deploymentId: string, prefix: string, datastoreDir: string): HostLayout {
  if (prefix && !isSafeAbsolutePath(prefix))
    throw new AppError('INVALID_ARGUMENT', `The install root "${prefix}" is not a plain absolute path.`);
  if (!isSafeAbsolutePath(datastoreDir) || datastoreDir.split('/').filter(Boolean).length < 2)
    throw new AppError(
      'INVALID_ARGUMENT',
      `The datastore folder "${datastoreDir}" must be an absolute path two levels deep or more (e.g. /opt/velociraptor).`,
    );
  const unitDir = under(prefix, '/etc/systemd/system');
  return {
    prefix,
    binary: under(prefix, '/usr/local/bin/velociraptor'),
    configDir: under(prefix, '/etc/velociraptor'),
    config: under(prefix, '/etc/velociraptor/server.config.yaml'),
    datastore: under(prefix, datastoreDir),
    unitDir,
    serverUnit: SERVER_UNIT,
    expireService: `megaraptor-expire-${deploymentId}.service`,
    expireTimer: `megaraptor-expire-${deploymentId}.timer`,
    expireScript: under(prefix, `/usr/local/sbin/megaraptor-expire-${deploymentId}`),
    staging: under(prefix, `/var/tmp/megaraptor-${deploymentId}`),
  };
}
