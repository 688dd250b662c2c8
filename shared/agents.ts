/**
 * Agent-push domain types shared by the core, the contracts and the UI: the hosts of a push, each
 * host's state machine, the events a run streams to its live table, and the run summary. Pure zod,
 * no Node or DOM.
 *
 * A host walks queued → connecting → uploading → installing → verifying → enrolled (an uninstall ends
 * `removed`), or ends failed (with a reason) or cancelled at any point; a transient failure (the host
 * could not be reached) sends it back to queued for another attempt.
 */
import { z } from 'zod';

export const AgentChannel = z.enum(['ssh', 'winrm']);
export type AgentChannel = z.infer<typeof AgentChannel>;

export const AgentOsChoice = z.enum(['auto', 'linux', 'darwin', 'windows']);
export type AgentOsChoice = z.infer<typeof AgentOsChoice>;

export const HostState = z.enum([
  'queued',
  'connecting',
  'uploading',
  'installing',
  'verifying',
  'enrolled',
  'removed',
  'failed',
  'cancelled',
]);
export type HostState = z.infer<typeof HostState>;

/** States a host ends in; the others are work in progress (a resumed run re-queues them). */
export const FINAL_HOST_STATES: readonly HostState[] = ['enrolled', 'removed', 'failed', 'cancelled'];

/** A host name or an IPv4/IPv6 literal: no spaces, no user@, no port. */
export const HostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:%-]+$/, 'a host name or IP address');

/** One host of a push as the responder listed it. */
export const PushHost = z.object({
  host: HostName,
  /** The channel's port when absent (22 for SSH, 5986/5985 for WinRM). */
  port: z.number().int().min(1).max(65535).optional(),
  os: AgentOsChoice.default('auto'),
});
export type PushHost = z.infer<typeof PushHost>;
export type PushHostInput = z.input<typeof PushHost>;

export const HostError = z.object({
  code: z.string(),
  message: z.string(),
  /** Whether another attempt may succeed (unreachable, timed out) — only those are retried. */
  transient: z.boolean(),
});
export type HostError = z.infer<typeof HostError>;

/** A host's row in the live table and the journal. */
export const HostStatus = z.object({
  /** Stable key within the run: `host:port`. */
  key: z.string(),
  host: z.string(),
  port: z.number(),
  state: HostState,
  attempts: z.number().int(),
  /** 0..1 within the current state (upload bytes); absent when unknown. */
  progress: z.number().min(0).max(1).optional(),
  message: z.string().optional(),
  error: HostError.optional(),
  /** What the host is, once detected (e.g. "linux/amd64 Debian GNU/Linux 12"). */
  platform: z.string().optional(),
  clientId: z.string().optional(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
});
export type HostStatus = z.infer<typeof HostStatus>;

export const RunState = z.enum(['running', 'finished', 'cancelled', 'failed']);
export type RunState = z.infer<typeof RunState>;

export const RunCounts = z.object({
  total: z.number(),
  queued: z.number(),
  active: z.number(),
  enrolled: z.number(),
  removed: z.number(),
  failed: z.number(),
  cancelled: z.number(),
});
export type RunCounts = z.infer<typeof RunCounts>;

export const AgentRunEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('host'), runId: z.string(), at: z.number(), host: HostStatus }),
  z.object({
    type: z.literal('log'),
    runId: z.string(),
    at: z.number(),
    key: z.string().optional(),
    level: z.enum(['info', 'warn', 'error']),
    line: z.string(),
  }),
  z.object({ type: z.literal('run'), runId: z.string(), at: z.number(), state: RunState, counts: RunCounts }),
]);
export type AgentRunEvent = z.infer<typeof AgentRunEvent>;

export const AgentRunSummary = z.object({
  id: z.string(),
  name: z.string(),
  channel: AgentChannel,
  state: RunState,
  /** A dead process left it running: resume it. */
  interrupted: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  concurrency: z.number(),
  /** The server the agents enrol with (null for a run journaled without one). */
  server: z.object({ server: z.string(), org: z.string() }).nullable(),
  counts: RunCounts,
  hosts: z.array(HostStatus),
});
export type AgentRunSummary = z.infer<typeof AgentRunSummary>;

/** What the responder is told when a WinRM run uses the plain HTTP listener (CLI, UI, the run's log). */
export const WINRM_HTTP_WARNING =
  'WinRM over plain HTTP (the responder chose it): only NTLM sealing (RC4, HMAC-MD5) protects the commands, and nothing proves the listener is the host — whoever answers for its address gets the NTLM login. Prefer the HTTPS listener (5986).';
