/**
 * AWS SDK failures as AppErrors a responder can act on: the service's own error name and message kept
 * (they say which permission or limit), the code telling credentials, permissions, quotas and the
 * rest apart. Nothing here swallows an error: each caller decides what "already gone" means for it.
 */
import { AppError, isAppError, messageOf } from '../../../../shared/errors';

interface SdkError {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIALS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'AuthFailure',
]);
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'InsufficientCapabilitiesException',
]);
const QUOTA = new Set([
  'LimitExceededException',
  'InstanceLimitExceeded',
  'AddressLimitExceeded',
  'VcpuLimitExceeded',
  'ServiceQuotaExceededException',
  'InsufficientInstanceCapacity',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'TimeoutError',
  'EAI_AGAIN',
]);

/** The service's error name ("ResourceNotFoundException", "ValidationError", …). */
export function awsErrorName(e: unknown): string {
  const err = e as SdkError & { code?: string };
  return err?.name ?? err?.Code ?? err?.code ?? '';
}

/** A "does not exist" answer, whatever the service calls it. */
export function isAwsNotFound(e: unknown, message?: RegExp): boolean {
  const name = awsErrorName(e);
  if (/NotFound|NoSuchEntity|\.NotFound$/.test(name)) return true;
  return name === 'ValidationError' && (message ?? /does not exist/).test(messageOf(e));
}

export function awsError(e: unknown, doing: string): AppError {
  if (isAppError(e)) return e;
  const name = awsErrorName(e);
  const message = messageOf(e);
  const details = { service: name, status: (e as SdkError)?.$metadata?.httpStatusCode };
  if (CREDENTIALS.has(name) || /Could not load credentials|credential/i.test(message))
    return new AppError(
      'CLOUD_CREDENTIALS_MISSING',
      `AWS refused the credentials while ${doing}: ${message} Sign in again (aws sso login, a fresh key) or choose another profile.`,
      { details, cause: e },
    );
  if (DENIED.has(name))
    return new AppError(
      'CLOUD_ACCESS_DENIED',
      `AWS denied ${doing}: ${message} Ask for the permission it names, or use an account that has it.`,
      { details, cause: e },
    );
  if (QUOTA.has(name))
    return new AppError(
      'CLOUD_QUOTA_EXCEEDED',
      `An AWS limit stops ${doing}: ${message} Raise the quota in Service Quotas, free resources, or pick another region or instance type.`,
      { details, cause: e },
    );
  if (NETWORK.has(name) || NETWORK.has((e as { code?: string })?.code ?? ''))
    return new AppError(
      'DEPLOY_TARGET_UNREACHABLE',
      `AWS cannot be reached while ${doing}: ${message} Check the network or the proxy.`,
      { details, cause: e },
    );
  return new AppError('CLOUD_REQUEST_FAILED', `AWS failed ${doing}: ${name ? `${name}: ` : ''}${message}`, {
    details,
    cause: e,
  });
}
