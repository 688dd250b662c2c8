/**
 * The AWS SDK v3 clients of one account and region, and where their credentials come from: the
 * standard provider chain (environment, ~/.aws shared files, SSO, a role — whatever the responder's
 * AWS tools use), a named profile of ~/.aws/config, or an access key the responder asked the app to
 * keep in the keychain (read at the moment of signing, never written anywhere else). Who the
 * credentials belong to is shown before anything is made (STS GetCallerIdentity).
 *
 * The client set is cached per (region, credentials, endpoint) so a clean-up of a dozen resources
 * signs in once. `endpoint` and fixed `credentials` exist for the tests (moto on loopback).
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import { SECRET_REF_PATTERN, type SecretStore } from '../../credentials/index';
import { awsError } from './errors';

export const AwsCredentialSource = z.discriminatedUnion('source', [
  /** The SDK's standard chain, exactly as the AWS CLI finds credentials. */
  z.object({ source: z.literal('chain') }),
  /** A named profile of ~/.aws/config and ~/.aws/credentials. */
  z.object({
    source: z.literal('profile'),
    profile: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._@+=,-]+$/, 'a profile name'),
  }),
  /** An access key kept in the keychain at the responder's request (see saveAwsAccessKey). */
  z.object({ source: z.literal('keychain'), ref: z.string().regex(SECRET_REF_PATTERN) }),
]);
export type AwsCredentialSource = z.infer<typeof AwsCredentialSource>;

export const AwsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/, 'an AWS region such as eu-west-1');

export interface AwsAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsConnection {
  region: string;
  credentials: AwsCredentialSource;
}

/** Test seams: moto's address and the fixed credentials the requests are signed with. */
export interface AwsOverrides {
  endpoint?: string;
  credentials?: AwsAccessKey;
}

export interface AwsClients {
  region: string;
  ec2: EC2Client;
  cfn: CloudFormationClient;
  secrets: SecretsManagerClient;
  sts: STSClient;
}

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

/** The keychain reference of an access key saved under `name`. */
export function awsKeyRef(name: string): string {
  const ref = `aws-access-key:${name}`;
  if (!SECRET_REF_PATTERN.test(ref))
    throw new AppError('INVALID_ARGUMENT', `"${name}" cannot name a saved AWS access key.`);
  return ref;
}

/** Keeps an access key in the keychain (only when the responder asks); returns its reference. */
export async function saveAwsAccessKey(
  secrets: SecretStore,
  name: string,
  key: AwsAccessKey,
): Promise<string> {
  if (!/^(AKIA|ASIA)[A-Z0-9]{12,}$/.test(key.accessKeyId) || key.secretAccessKey.length < 20)
    throw new AppError('INVALID_ARGUMENT', 'That is not an AWS access key id and secret access key.');
  const ref = awsKeyRef(name);
  await secrets.set(ref, JSON.stringify(key));
  return ref;
}

async function keychainKey(secrets: SecretStore, ref: string): Promise<AwsAccessKey> {
  const raw = await secrets.get(ref);
  if (raw === undefined)
    throw new AppError(
      'SECRET_MISSING',
      `The AWS access key saved as ${ref} is missing from the keychain. Save it again or choose another credential source.`,
    );
  const parsed = JSON.parse(raw) as Partial<AwsAccessKey>;
  if (typeof parsed.accessKeyId !== 'string' || typeof parsed.secretAccessKey !== 'string')
    throw new AppError('STORE_CORRUPT', `The AWS access key saved as ${ref} is damaged.`);
  return {
    accessKeyId: parsed.accessKeyId,
    secretAccessKey: parsed.secretAccessKey,
    ...(parsed.sessionToken ? { sessionToken: parsed.sessionToken } : {}),
  };
}

export class AwsClientPool {
  private readonly cache = new Map<string, AwsClients>();

  constructor(
    private readonly secrets: SecretStore | null,
    private readonly overrides: AwsOverrides = {},
  ) {}

  get(conn: AwsConnection): AwsClients {
    const key = JSON.stringify([conn.region, conn.credentials]);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const c = conn.credentials;
    const secrets = this.secrets;
    const config = {
      region: conn.region,
      maxAttempts: 4,
      ...(this.overrides.endpoint ? { endpoint: this.overrides.endpoint } : {}),
      ...(this.overrides.credentials
        ? { credentials: this.overrides.credentials }
        : c.source === 'profile'
          ? { profile: c.profile }
          : c.source === 'keychain'
            ? {
                credentials: () => {
                  if (!secrets)
                    throw new AppError('KEYCHAIN_UNAVAILABLE', 'No keychain holds the saved AWS access key.');
                  return keychainKey(secrets, c.ref);
                },
              }
            : {}),
    };
    const clients: AwsClients = {
      region: conn.region,
      ec2: new EC2Client(config),
      cfn: new CloudFormationClient(config),
      secrets: new SecretsManagerClient(config),
      sts: new STSClient(config),
    };
    this.cache.set(key, clients);
    return clients;
  }

  /** Who the credentials are: shown before anything is made. */
  async whoami(conn: AwsConnection, signal?: AbortSignal): Promise<CallerIdentity> {
    try {
      const r = await this.get(conn).sts.send(
        new GetCallerIdentityCommand({}),
        signal ? { abortSignal: signal } : {},
      );
      if (!r.Account || !r.Arn)
        throw new AppError('CLOUD_REQUEST_FAILED', 'AWS STS answered without an account id.');
      return { account: r.Account, arn: r.Arn, userId: r.UserId ?? '' };
    } catch (e) {
      throw awsError(e, 'asking AWS STS who these credentials are');
    }
  }

  close(): void {
    for (const c of this.cache.values()) {
      c.ec2.destroy();
      c.cfn.destroy();
      c.secrets.destroy();
      c.sts.destroy();
    }
    this.cache.clear();
  }
}
