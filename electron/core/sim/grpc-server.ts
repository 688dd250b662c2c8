/**
 * The API port: grpc-js with TLS 1.3 only, the server certificate from the simulator's PKI, a client
 * certificate required and verified against the CA, and the caller identified by its Subject CN
 * (docs/velociraptor/api-client-config.md#server-tls-of-the-api-port). Query needs ANY_QUERY in
 * the chosen org (query-stream.md#access-is-checked-first); VFSGetBuffer needs READ_RESULTS
 * (api-service.md#vfsfilebuffer); Check always answers SERVING without an ACL check.
 */
import * as grpc from '@grpc/grpc-js';
import type { SecureServerOptions } from 'node:http2';
import type { SecureContextOptions } from 'node:tls';
import { api } from '../../../proto/load';
import type { VFSFileBuffer, VFSFileBuffer__Output } from '../../../proto/gen/proto/VFSFileBuffer';
import type { VQLCollectorArgs__Output } from '../../../proto/gen/proto/VQLCollectorArgs';
import type { VQLResponse } from '../../../proto/gen/proto/VQLResponse';
import type { HealthCheckRequest__Output } from '../../../proto/gen/proto/HealthCheckRequest';
import type { HealthCheckResponse } from '../../../proto/gen/proto/HealthCheckResponse';
import type { Permission } from './permissions';
import { runQuery, type QueryRequest } from './query-stream';
import type { VersionProfile } from './version';
import type { SimPki } from './sim-pki';
import type { FunctionDef, PluginDef } from './vql/scope';
import { messageOf } from '../../../shared/errors';

/** TLS 1.3 only, client certificate required and verified (grpc-js's createSsl cannot set minVersion). */
class Tls13MutualCredentials extends grpc.ServerCredentials {
  constructor(caPem: string, certPem: string, keyPem: string) {
    const server: SecureServerOptions = {
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      ecdhCurve: 'P-521:P-384:P-256',
    };
    const context: SecureContextOptions = {
      ca: Buffer.from(caPem),
      cert: Buffer.from(certPem),
      key: Buffer.from(keyPem),
    };
    super(server, context);
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export interface ApiBackend {
  userExists(name: string): boolean;
  orgExists(orgId: string): boolean;
  hasPermission(user: string, orgId: string, permission: Permission): boolean;
  now(): number;
  plugins: ReadonlyMap<string, PluginDef>;
  functions: ReadonlyMap<string, FunctionDef>;
  /** The Velociraptor release the simulator plays. */
  profile: VersionProfile;
  recordQuery(entry: ReceivedQuery): void;
  /** Reads a filestore file for VFSGetBuffer; null when it does not exist. */
  readFile(
    orgId: string,
    clientId: string,
    components: string[],
    offset: number,
    length: number,
  ): Promise<Buffer | null>;
}

export interface ReceivedQuery {
  user: string;
  orgId: string;
  queries: Array<{ Name: string; VQL: string }>;
  env: Array<{ key: string; value: string }>;
  maxRow: number;
  maxWait: number;
  timeout: number;
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/** The caller's user name: Subject CN of the verified peer certificate, else its first DNS / IP SAN. */
export function callerName(call: AnyCall): string | null {
  const cert = call.getAuthContext().sslPeerCertificate;
  if (!cert) return null;
  const cn = cert.subject?.CN;
  if (typeof cn === 'string' && cn) return cn;
  const san = cert.subjectaltname ?? '';
  const dns = /DNS:([^,\s]+)/.exec(san)?.[1];
  return dns ?? /IP Address:([^,\s]+)/.exec(san)?.[1] ?? null;
}

function statusError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}

function normalOrg(orgId: string | undefined): string {
  return orgId === undefined || orgId === '' ? 'root' : orgId;
}

function num(v: unknown): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

export interface ApiServer {
  port: number;
  stop(): Promise<void>;
  kill(): void;
}

export async function startApiServer(
  host: string,
  port: number,
  pki: SimPki,
  backend: ApiBackend,
): Promise<ApiServer> {
  const server = new grpc.Server({ 'grpc.max_send_message_length': -1 });
  const active = new Set<AbortController>();

  const authorise = (
    call: AnyCall,
    orgId: string,
    permission: Permission,
    denied: (user: string) => string,
  ): { user: string } | grpc.ServiceError => {
    const user = callerName(call);
    if (!user || !backend.userExists(user)) return statusError(grpc.status.UNKNOWN, 'User not found');
    if (!backend.orgExists(orgId)) return statusError(grpc.status.UNKNOWN, `Org ${orgId} not found`);
    if (!backend.hasPermission(user, orgId, permission))
      return statusError(grpc.status.PERMISSION_DENIED, denied(user));
    return { user };
  };

  server.addService(api().proto.API.service, {
    Check(
      _call: grpc.ServerUnaryCall<HealthCheckRequest__Output, HealthCheckResponse>,
      callback: grpc.sendUnaryData<HealthCheckResponse>,
    ) {
      callback(null, { status: 'SERVING' });
    },

    Query(call: grpc.ServerWritableStream<VQLCollectorArgs__Output, VQLResponse>) {
      const args = call.request;
      const orgId = normalOrg(args.org_id);
      const auth = authorise(
        call,
        orgId,
        'ANY_QUERY',
        (u) => `Permission denied: User ${u} requires permission ANY_QUERY to run queries`,
      );
      if ('code' in auth) {
        call.emit('error', auth);
        return;
      }
      const request: QueryRequest = {
        Query: (args.Query ?? []).map((q) => ({ Name: q.Name ?? '', VQL: q.VQL ?? '' })),
        env: (args.env ?? []).map((e) => ({ key: e.key ?? '', value: e.value ?? '' })),
        max_row: num(args.max_row),
        max_wait: num(args.max_wait),
        timeout: num(args.timeout),
        org_id: orgId,
      };
      backend.recordQuery({
        user: auth.user,
        orgId,
        queries: request.Query,
        env: request.env,
        maxRow: request.max_row,
        maxWait: request.max_wait,
        timeout: request.timeout,
      });
      if (request.Query.length === 0) {
        call.emit('error', statusError(grpc.status.UNKNOWN, 'Query should be specified.'));
        return;
      }
      const controller = new AbortController();
      active.add(controller);
      call.on('cancelled', () => controller.abort());
      call.on('close', () => controller.abort());
      const sink = {
        write: (message: VQLResponse): Promise<void> | void => {
          if (controller.signal.aborted || call.destroyed) return;
          const ok = call.write(message);
          if (!ok) {
            return new Promise<void>((resolve) => {
              const done = (): void => {
                call.off('drain', done);
                controller.signal.removeEventListener('abort', done);
                resolve();
              };
              call.on('drain', done);
              controller.signal.addEventListener('abort', done);
            });
          }
        },
      };
      runQuery(request, sink, {
        user: auth.user,
        orgId,
        now: () => backend.now(),
        signal: controller.signal,
        hasPermission: (p) => backend.hasPermission(auth.user, orgId, p),
        plugins: backend.plugins,
        functions: backend.functions,
        profile: backend.profile,
      }).then(
        () => {
          active.delete(controller);
          if (!controller.signal.aborted || !call.cancelled) call.end();
        },
        (e: unknown) => {
          active.delete(controller);
          call.emit('error', statusError(grpc.status.INTERNAL, messageOf(e)));
        },
      );
    },

    VFSGetBuffer(
      call: grpc.ServerUnaryCall<VFSFileBuffer__Output, VFSFileBuffer>,
      callback: grpc.sendUnaryData<VFSFileBuffer>,
    ) {
      const req = call.request;
      const orgId = normalOrg(req.org_id);
      const auth = authorise(
        call,
        orgId,
        'READ_RESULTS',
        (u) => `Permission denied: User ${u} requires permission READ_RESULTS to read results`,
      );
      if ('code' in auth) {
        callback(auth);
        return;
      }
      const components = req.components ?? [];
      const clientId = req.client_id ?? '';
      if (components.length === 0 && clientId === '') {
        callback(statusError(grpc.status.INVALID_ARGUMENT, 'Invalid pathspec'));
        return;
      }
      backend.readFile(orgId, clientId, components, num(req.offset), num(req.length)).then(
        (data) =>
          data === null
            ? callback(statusError(grpc.status.NOT_FOUND, 'Not Found'))
            : callback(null, { ...req, data }),
        (e: unknown) => callback(statusError(grpc.status.UNKNOWN, messageOf(e))),
      );
    },
  });

  const credentials = new Tls13MutualCredentials(
    pki.caCertificatePem,
    pki.server.certificatePem,
    pki.server.privateKeyPem,
  );
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, credentials, (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  return {
    port: boundPort,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const c of active) c.abort();
        server.tryShutdown(() => resolve());
      }),
    kill: () => {
      for (const c of active) c.abort();
      server.forceShutdown();
    },
  };
}
