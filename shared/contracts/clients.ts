/**
 * Clients (endpoints) of a server: search with Velociraptor's search syntax, one client's
 * overview, labels, recent flows and the VFS browser with downloads.
 */
import { z } from 'zod';
import { call, stream } from '../contract';
import { Target } from './connections';

export const ClientSummary = z.object({
  clientId: z.string(),
  hostname: z.string(),
  fqdn: z.string(),
  os: z.string(),
  release: z.string(),
  labels: z.array(z.string()),
  /** Milliseconds since the epoch (converted from the server's µs). 0 = never. */
  lastSeenMs: z.number(),
  /** Milliseconds since the epoch (converted from the server's seconds). */
  firstSeenMs: z.number(),
  lastIp: z.string(),
  online: z.boolean(),
  agentVersion: z.string(),
});
export type ClientSummary = z.infer<typeof ClientSummary>;

export const FlowSummary = z.object({
  flowId: z.string(),
  clientId: z.string(),
  state: z.string(),
  artifacts: z.array(z.string()),
  /** Artifact sources that produced rows (`Artifact` or `Artifact/Source`). */
  withResults: z.array(z.string()),
  createdMs: z.number(),
  creator: z.string(),
  rows: z.number(),
  uploads: z.number(),
  status: z.string(),
});
export type FlowSummary = z.infer<typeof FlowSummary>;

export const VfsEntry = z.object({
  name: z.string(),
  path: z.string(),
  isDir: z.boolean(),
  size: z.number(),
  mode: z.string(),
  mtime: z.string(),
  /** Components to fetch the file from the server's file store, when it was downloaded. */
  downloaded: z.boolean(),
});
export type VfsEntry = z.infer<typeof VfsEntry>;

export const DownloadProgress = z.object({
  received: z.number(),
  total: z.number(),
  done: z.boolean(),
  sha256: z.string().optional(),
  savedTo: z.string().optional(),
});
export type DownloadProgress = z.infer<typeof DownloadProgress>;

export const clientsContract = {
  'clients:search': call(
    z.object({ target: Target, query: z.string().max(512), limit: z.number().int().min(1).max(1000).default(200) }),
    z.object({ clients: z.array(ClientSummary), more: z.boolean() }),
  ),
  'clients:get': call(z.object({ target: Target, clientId: z.string() }), ClientSummary),
  'clients:setLabels': call(
    z.object({ target: Target, clientId: z.string(), add: z.array(z.string().min(1).max(128)), remove: z.array(z.string().min(1).max(128)) }),
    z.object({ labels: z.array(z.string()) }),
  ),
  'clients:flows': call(z.object({ target: Target, clientId: z.string(), limit: z.number().int().min(1).max(500).default(50) }), z.array(FlowSummary)),
  /** The server's cached listing of a directory (from the last refresh). */
  'clients:vfsList': call(
    z.object({ target: Target, clientId: z.string(), path: z.string().max(4096) }),
    z.object({ entries: z.array(VfsEntry), refreshedMs: z.number().nullable() }),
  ),
  /** Asks the client to list the directory again; resolves when the listing flow finished. */
  'clients:vfsRefresh': call(
    z.object({ target: Target, clientId: z.string(), path: z.string().max(4096) }),
    z.object({ flowId: z.string(), state: z.string() }),
  ),
  /** Fetches a file from the client into the server, then into the data dir, with progress. */
  'clients:download': stream(z.object({ target: Target, clientId: z.string(), path: z.string().max(4096) }), DownloadProgress),
};
