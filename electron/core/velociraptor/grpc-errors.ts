/**
 * gRPC status → AppError. Velociraptor answers ACL failures with PermissionDenied, an unknown
 * certificate user with a plain error ("User not found", code UNKNOWN), and TLS failures surface
 * in grpc-js as UNAVAILABLE with the OpenSSL reason in the details.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { AppError, isAppError, messageOf } from '../../../shared/errors';

export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number' && 'details' in e;
}

const TLS_HINT =
  /certificate|handshake|SSL|TLS|alert|self[- ]signed|unable to verify|wrong version number|Hostname\/IP does not match/i;

export function mapGrpcError(e: unknown, server: string): AppError {
  if (isAppError(e)) return e;
  if (!isServiceError(e)) {
    return new AppError('INTERNAL', `Unexpected failure talking to ${server}: ${messageOf(e)}`, { cause: e });
  }
  const details = e.details || e.message;
  const base = { cause: e, details: { grpcCode: e.code, server } };
  if (/User not found|no such user|Unknown user/i.test(details)) {
    return new AppError(
      'USER_UNKNOWN',
      `${server} does not know the API user of this certificate. Create it on the server (e.g. \`velociraptor config api_client --role api …\`) or restart the server so it sees the new user.`,
      base,
    );
  }
  switch (e.code) {
    case status.UNAVAILABLE:
      if (TLS_HINT.test(details)) {
        return new AppError(
          'TLS_HANDSHAKE_FAILED',
          `TLS handshake with ${server} failed (${details}). Check that the API config belongs to this server and that its certificates are current.`,
          base,
        );
      }
      return new AppError(
        'SERVER_UNREACHABLE',
        `${server} cannot be reached (${details}). Check that the server runs and that the API port is reachable from here.`,
        base,
      );
    case status.UNAUTHENTICATED:
      return new AppError(
        'TLS_HANDSHAKE_FAILED',
        `${server} did not accept this client certificate (${details}).`,
        base,
      );
    case status.PERMISSION_DENIED:
      return new AppError(
        'PERMISSION_DENIED',
        `${server}: ${details}. Ask a server administrator to grant the role (e.g. \`velociraptor acl grant <user> --role api,investigator\`).`,
        base,
      );
    case status.DEADLINE_EXCEEDED:
      return new AppError('TIMEOUT', `${server} did not answer in time (${details}).`, base);
    case status.CANCELLED:
      return new AppError('CANCELLED', `The call to ${server} was cancelled.`, base);
    case status.INVALID_ARGUMENT:
      return new AppError('INVALID_ARGUMENT', `${server} rejected the request: ${details}`, base);
    case status.NOT_FOUND:
      return new AppError('NOT_FOUND', `${server}: ${details}`, base);
    case status.RESOURCE_EXHAUSTED:
      return new AppError(
        'INTERNAL',
        `${server}: ${details}. If a message was too large, raise max_grpc_recv_size in the API config or lower max_row.`,
        base,
      );
    default:
      if (/Query should be specified|VQL/i.test(details))
        return new AppError('VQL_ERROR', `${server}: ${details}`, base);
      return new AppError(
        'INTERNAL',
        `${server} failed the call (${status[e.code] ?? e.code}): ${details}`,
        base,
      );
  }
}

/** Transient failures worth retrying for idempotent reads. */
export function isRetryable(e: AppError): boolean {
  return e.code === 'SERVER_UNREACHABLE';
}
