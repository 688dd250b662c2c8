/**
 * The Azure SDK clients of one subscription and where their credentials come from: Azure Identity's
 * default chain (environment, workload or managed identity, the Azure CLI, PowerShell, azd — whatever
 * the responder's Azure tools use) or the Azure CLI's sign-in only. Nothing is stored by us. Who the
 * credentials belong to (tenant, object id, name) is read from the ARM token and shown before
 * anything is made; the object id is what the deployment's Key Vault lets write its config.
 *
 * `overrides` exist for the tests: a local ARM/Key Vault endpoint over HTTPS with a test CA, a test
 * credential, and the vault address mapped onto that endpoint.
 */
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import { get as httpsGet, type Agent } from 'node:https';
import { createPipelineRequest } from '@azure/core-rest-pipeline';
import { AzureCliCredential, DefaultAzureCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { z } from 'zod';
import { AppError, messageOf } from '../../../../shared/errors';
import { API_VERSIONS } from './template';

export const AzureCredentialSource = z.discriminatedUnion('source', [
  z.object({ source: z.literal('chain') }),
  z.object({ source: z.literal('cli') }),
]);
export type AzureCredentialSource = z.infer<typeof AzureCredentialSource>;

export interface AzureOverrides {
  credential?: TokenCredential;
  /** The ARM endpoint (https://management.azure.com by default). */
  endpoint?: string;
  /** A CA the endpoint's certificate is issued by (tests). */
  caPem?: string;
  /**
   * How a vault (https://<name>.vault.azure.net/) is reached from here (tests): the URI with the
   * endpoint's port, and an agent that resolves the vault's host to it and trusts its CA.
   */
  vault?: { url: (vaultUri: string) => string; agent: Agent };
}

export interface AzureConnection {
  subscriptionId: string;
  tenantId?: string | undefined;
  credentials: AzureCredentialSource;
}

export interface AzureCaller {
  tenantId: string;
  objectId: string;
  name: string;
}

const ARM_SCOPE = 'https://management.azure.com/.default';

/** The claims of a JWT, read for display and the object id only (the token is verified by Azure). */
function claims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    // Not a JWT: nothing to show.
    return {};
  }
}

/** Azure SDK failures as AppErrors a responder can act on. */
export function azureError(e: unknown, doing: string): AppError {
  if (e instanceof AppError) return e;
  const err = e as { code?: string; statusCode?: number; name?: string };
  const code = err?.code ?? err?.name ?? '';
  const message = messageOf(e);
  const details = { service: code, status: err?.statusCode };
  if (
    err?.name === 'CredentialUnavailableError' ||
    err?.name === 'AuthenticationError' ||
    err?.statusCode === 401
  )
    return new AppError(
      'CLOUD_CREDENTIALS_MISSING',
      `Azure refused the credentials while ${doing}: ${message} Sign in again (az login) or choose another account.`,
      { details, cause: e },
    );
  if (err?.statusCode === 403 || /AuthorizationFailed|Forbidden/.test(code))
    return new AppError(
      'CLOUD_ACCESS_DENIED',
      `Azure denied ${doing}: ${message} Ask for the role it names.`,
      {
        details,
        cause: e,
      },
    );
  if (/QuotaExceeded|OperationNotAllowed|SkuNotAvailable/.test(code))
    return new AppError(
      'CLOUD_QUOTA_EXCEEDED',
      `An Azure limit stops ${doing}: ${message} Request more quota, or pick another region or VM size.`,
      { details, cause: e },
    );
  return new AppError('CLOUD_REQUEST_FAILED', `Azure failed ${doing}: ${code ? `${code}: ` : ''}${message}`, {
    details,
    cause: e,
  });
}

export function isAzureNotFound(e: unknown): boolean {
  const err = e as { statusCode?: number; code?: string };
  return err?.statusCode === 404 || /NotFound/.test(err?.code ?? '');
}

export class AzureClientPool {
  private readonly arms = new Map<string, ResourceManagementClient>();
  private readonly credentials = new Map<string, TokenCredential>();

  constructor(private readonly overrides: AzureOverrides = {}) {}

  credential(c: AzureConnection): TokenCredential {
    if (this.overrides.credential) return this.overrides.credential;
    const key = `${c.credentials.source}:${c.tenantId ?? ''}`;
    let cred = this.credentials.get(key);
    if (!cred) {
      const tenant = c.tenantId ? { tenantId: c.tenantId } : {};
      cred =
        c.credentials.source === 'cli' ? new AzureCliCredential(tenant) : new DefaultAzureCredential(tenant);
      this.credentials.set(key, cred);
    }
    return cred;
  }

  private options() {
    return {
      ...(this.overrides.endpoint ? { endpoint: this.overrides.endpoint } : {}),
      ...(this.overrides.caPem ? { tlsOptions: { ca: this.overrides.caPem } } : {}),
    };
  }

  arm(c: AzureConnection): ResourceManagementClient {
    let client = this.arms.get(c.subscriptionId);
    if (!client) {
      client = new ResourceManagementClient(this.credential(c), c.subscriptionId, {
        ...this.options(),
        ...(this.overrides.endpoint ? { credentialScopes: [ARM_SCOPE] } : {}),
      });
      this.arms.set(c.subscriptionId, client);
    }
    return client;
  }

  vault(c: AzureConnection, vaultUri: string): SecretClient {
    const v = this.overrides.vault;
    return new SecretClient(v ? v.url(vaultUri) : vaultUri, this.credential(c), v ? { agent: v.agent } : {});
  }

  async whoami(c: AzureConnection, signal?: AbortSignal): Promise<AzureCaller> {
    let token;
    try {
      token = await this.credential(c).getToken(ARM_SCOPE, signal ? { abortSignal: signal } : {});
    } catch (e) {
      throw azureError(e, 'signing in');
    }
    if (!token)
      throw new AppError('CLOUD_CREDENTIALS_MISSING', 'Azure gave no token: sign in (az login) first.');
    const k = claims(token.token);
    const objectId = typeof k.oid === 'string' ? k.oid : '';
    const tenantId = typeof k.tid === 'string' ? k.tid : (c.tenantId ?? '');
    if (!objectId || !tenantId)
      throw new AppError(
        'CLOUD_CREDENTIALS_MISSING',
        'The Azure token names no tenant or object id, so the Key Vault could not let this account write the config. Sign in as a user or service principal.',
      );
    const name = [k.upn, k.unique_name, k.appid].find((x): x is string => typeof x === 'string') ?? objectId;
    return { tenantId, objectId, name };
  }

  private armUrl(path: string): string {
    return `${this.overrides.endpoint ?? 'https://management.azure.com'}${path}`;
  }

  /**
   * One ARM REST call through the ARM client's pipeline (its credential, retries, TLS), for the
   * actions the generic resources client has no method for (a VM's power actions, Key Vault's
   * purge). A long-running answer (202 with a Location) is followed until it ends.
   */
  async armCall(
    c: AzureConnection,
    method: 'GET' | 'POST',
    path: string,
    apiVersion: string,
    o: { doing: string; timeoutMs?: number; pollMs?: number; allow404?: boolean },
  ): Promise<{ status: number; body: unknown }> {
    const arm = this.arm(c);
    const send = async (m: 'GET' | 'POST', url: string) => {
      try {
        return await arm.sendRequest(createPipelineRequest({ url, method: m }));
      } catch (e) {
        throw azureError(e, o.doing);
      }
    };
    let r = await send(
      method,
      this.armUrl(`${path}${path.includes('?') ? '&' : '?'}api-version=${apiVersion}`),
    );
    const deadline = Date.now() + (o.timeoutMs ?? 10 * 60_000);
    while (r.status === 202 && r.headers.get('location')) {
      if (Date.now() > deadline)
        throw new AppError(
          'TIMEOUT',
          `Azure was still ${o.doing} after ${Math.round((o.timeoutMs ?? 600_000) / 1000)} s.`,
        );
      await new Promise((res) => setTimeout(res, o.pollMs ?? 5_000));
      r = await send('GET', r.headers.get('location')!);
    }
    if (r.status === 404 && o.allow404) return { status: 404, body: null };
    if (r.status >= 300) throw azureError({ statusCode: r.status, message: r.bodyAsText ?? '' }, o.doing);
    return { status: r.status, body: r.bodyAsText ? (JSON.parse(r.bodyAsText) as unknown) : null };
  }

  /** A URL outside ARM (a boot diagnostics blob with its own SAS), fetched without our token. */
  fetchText(url: string, doing: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = httpsGet(
        url,
        { ...(this.overrides.caPem ? { ca: this.overrides.caPem } : {}), timeout: 60_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 300)
              reject(azureError({ statusCode: res.statusCode, message: text.slice(0, 300) }, doing));
            else resolve(text);
          });
          res.on('error', (e) => reject(azureError(e, doing)));
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
      req.on('error', (e) => reject(azureError(e, doing)));
    });
  }

  /**
   * Purges a soft-deleted Key Vault (its name is reserved until then), waiting until it is gone;
   * none to purge is success. Key Vault's management API, through the ARM client's pipeline.
   */
  async purgeDeletedVault(
    c: AzureConnection,
    name: string,
    location: string,
    timeoutMs: number,
    pollMs: number,
  ): Promise<boolean> {
    const path = `/subscriptions/${c.subscriptionId}/providers/Microsoft.KeyVault/locations/${location}/deletedVaults/${name}`;
    const doing = `purging the vault ${name}`;
    const exists = async () =>
      (await this.armCall(c, 'GET', path, API_VERSIONS.keyVault, { doing, allow404: true })).status !== 404;
    if (!(await exists())) return false;
    await this.armCall(c, 'POST', `${path}/purge`, API_VERSIONS.keyVault, {
      doing,
      timeoutMs,
      pollMs,
      allow404: true,
    });
    const deadline = Date.now() + timeoutMs;
    while (await exists()) {
      if (Date.now() > deadline)
        throw new AppError(
          'TIMEOUT',
          `The vault ${name} was still being purged after ${Math.round(timeoutMs / 1000)} s.`,
        );
      await new Promise((res) => setTimeout(res, pollMs));
    }
    return true;
  }

  close(): void {
    this.arms.clear();
    this.credentials.clear();
  }
}
