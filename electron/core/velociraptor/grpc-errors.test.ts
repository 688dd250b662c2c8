import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/errors';
import { mapGrpcError } from './grpc-errors';

function se(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

describe('mapGrpcError', () => {
  it.each([
    [
      status.UNAVAILABLE,
      'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1',
      'SERVER_UNREACHABLE',
    ],
    [status.UNAVAILABLE, 'Connection dropped', 'SERVER_UNREACHABLE'],
    [status.UNAVAILABLE, 'tlsv13 alert certificate required', 'TLS_HANDSHAKE_FAILED'],
    [status.UNAVAILABLE, 'self-signed certificate in certificate chain', 'TLS_HANDSHAKE_FAILED'],
    [status.UNAUTHENTICATED, 'bad cert', 'TLS_HANDSHAKE_FAILED'],
    [
      status.PERMISSION_DENIED,
      'Permission denied: User bob requires permission ANY_QUERY to run queries',
      'PERMISSION_DENIED',
    ],
    [status.UNKNOWN, 'User not found', 'USER_UNKNOWN'],
    [status.DEADLINE_EXCEEDED, 'Deadline exceeded', 'TIMEOUT'],
    [status.CANCELLED, 'Cancelled on client', 'CANCELLED'],
    [status.INVALID_ARGUMENT, 'Invalid pathspec', 'INVALID_ARGUMENT'],
    [status.UNKNOWN, 'Query should be specified.', 'VQL_ERROR'],
    [status.INTERNAL, 'boom', 'INTERNAL'],
  ])('%s %j → %s', (code, details, expected) => {
    const e = mapGrpcError(se(code, details), 'srv');
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe(expected);
    expect(e.message).toContain('srv');
  });

  it('passes AppErrors through and wraps other errors as INTERNAL', () => {
    const app = new AppError('VQL_ERROR', 'x');
    expect(mapGrpcError(app, 's')).toBe(app);
    expect(mapGrpcError(new Error('weird'), 's').code).toBe('INTERNAL');
  });
});
