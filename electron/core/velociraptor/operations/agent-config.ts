/**
 * The client config of the connection's org, as the server itself hands it to installers: orgs()
 * rows carry `_client_config` (`version` + `Client`: server_urls, CA, nonce…; VR vql/server/orgs/orgs.go,
 * present when the org has a nonce). Works on any server the app is connected to, ours or not.
 */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import type { VelociraptorConnection } from '../connection';
import { vql } from '../vql/builder';
import { queryTyped, rowsOptions, type OpOptions } from './common';

const OrgConfigRow = z.looseObject({
  OrgId: z.string(),
  Name: z.string().optional(),
  _client_config: z.string().optional().nullable(),
});

/**
 * The YAML of an org's client config: `orgId`'s, else the connection's (root when it names none).
 * Asked in the connection's org, which must list the wanted one (the user's orgs).
 */
export async function orgClientConfig(
  conn: VelociraptorConnection,
  opts?: OpOptions & { orgId?: string },
): Promise<string> {
  const rows = await queryTyped(
    conn,
    vql`SELECT OrgId, Name, _client_config FROM orgs()`,
    OrgConfigRow,
    rowsOptions(opts, true),
  );
  const wanted = opts?.orgId || conn.orgId || 'root';
  const row = rows.find((r) => r.OrgId === wanted);
  if (!row)
    throw new AppError(
      'PERMISSION_DENIED',
      `${conn.label} did not list the org "${wanted}" in orgs(): the API user may not see it.`,
      { details: { org: wanted } },
    );
  if (!row._client_config)
    throw new AppError(
      'CONFIG_MISSING_KEY',
      `${conn.label} gave no client config for the org "${wanted}" (an org without a nonce has none).`,
      { details: { org: wanted } },
    );
  return row._client_config;
}
