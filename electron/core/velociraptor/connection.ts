/**
 * A server + org to talk to. Cheap to create: it shares the registry's cached channel. All typed
 * operations and the raw VQL paths go through `query`/`queryRows`/`readBuffer` here.
 */
import type { ApiStub } from './query/wire';
import type { VFSFileBuffer__Output } from '../../../proto/gen/proto/VFSFileBuffer';
import { AppError } from '../../../shared/errors';
import type { ApiConfig } from './config/api-config';
import { mapGrpcError } from './grpc-errors';
import { collectRows, type QueryResult, type RowsOptions } from './query/rows';
import { streamQuery, type QueryEvent, type QueryOptions } from './query/stream';
import { validateId, type BuiltQuery } from './vql/builder';

export interface BufferRequest {
  components: string[];
  clientId?: string;
  offset: number;
  length: number;
}

export class VelociraptorConnection {
  constructor(
    /** Registry name of the server. */
    readonly server: string,
    /** Org id ('' = root). */
    readonly orgId: string,
    private readonly client: ApiStub,
    readonly config: Readonly<ApiConfig>,
  ) {
    if (orgId !== '') validateId('orgId', orgId);
  }

  get label(): string {
    return this.orgId ? `${this.server} (org ${this.orgId})` : this.server;
  }

  withOrg(orgId: string): VelociraptorConnection {
    return new VelociraptorConnection(this.server, orgId, this.client, this.config);
  }

  query(q: BuiltQuery, opts: QueryOptions = {}): AsyncGenerator<QueryEvent, void, undefined> {
    return streamQuery(this.client, this.label, q, opts, this.orgId);
  }

  queryRows(q: BuiltQuery, opts: RowsOptions = {}): Promise<QueryResult> {
    return collectRows((o) => this.query(q, o), this.label, opts);
  }

  /** One VFSGetBuffer call; an empty buffer means end of file. */
  readBuffer(req: BufferRequest, opts: { signal?: AbortSignal; deadlineMs?: number } = {}): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(new AppError('CANCELLED', 'The download was cancelled.'));
        return;
      }
      const call = this.client.VFSGetBuffer(
        {
          components: req.components,
          client_id: req.clientId ?? '',
          offset: req.offset,
          length: req.length,
          org_id: this.orgId,
        },
        { deadline: Date.now() + (opts.deadlineMs ?? 60_000) },
        (err: unknown, res?: VFSFileBuffer__Output) => {
          opts.signal?.removeEventListener('abort', onAbort);
          if (err)
            reject(
              opts.signal?.aborted
                ? new AppError('CANCELLED', 'The download was cancelled.')
                : mapGrpcError(err, this.label),
            );
          else resolve(res?.data ?? Buffer.alloc(0));
        },
      );
      const onAbort = (): void => call.cancel();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The server's health RPC (no ACL check): proves TLS and reachability only. */
  check(deadlineMs = 5_000): Promise<string> {
    return new Promise((resolve, reject) => {
      this.client.Check({ service: '' }, { deadline: Date.now() + deadlineMs }, (err, res) => {
        if (err) reject(mapGrpcError(err, this.label));
        else resolve(res?.status ?? 'UNKNOWN');
      });
    });
  }
}
