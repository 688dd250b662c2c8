/**
 * Velociraptor servers the responder works with: import of API client configs (secrets go to the
 * keychain, metadata to the data dir), the step-by-step connection test, org selection and the
 * in-process demo server (the simulator, always labelled as such).
 */
import { z } from 'zod';
import { call, stream } from '../contract';

/** Which server and org a call goes to. Org '' is the root org. */
export const Target = z.object({ server: z.string().min(1).max(64), org: z.string().max(64).default('') });
export type Target = z.infer<typeof Target>;

export const ConnectionInfo = z.object({
  name: z.string(),
  /** host:port of the gRPC API. */
  endpoint: z.string(),
  /** API user (client certificate CN), never key material. */
  user: z.string(),
  certNotAfter: z.string(),
  /** 'keychain': survives restarts; 'session': kept in memory only; 'demo': the simulator. */
  storage: z.enum(['keychain', 'session', 'demo']),
  addedAt: z.string(),
});
export type ConnectionInfo = z.infer<typeof ConnectionInfo>;

export const ConnectionList = z.object({
  connections: z.array(ConnectionInfo),
  active: Target.nullable(),
  keychainAvailable: z.boolean(),
  /** Servers whose saved config could not be restored, with why (so the page can say it). */
  problems: z.array(z.object({ name: z.string(), message: z.string() })),
});
export type ConnectionList = z.infer<typeof ConnectionList>;

export const TestStepId = z.enum(['config', 'reachable', 'tls', 'identity', 'permissions']);
export type TestStepId = z.infer<typeof TestStepId>;
export const TestStep = z.object({
  step: TestStepId,
  status: z.enum(['running', 'ok', 'failed', 'skipped']),
  message: z.string(),
  /** What to do about a failure. */
  hint: z.string().optional(),
  code: z.string().optional(),
});
export type TestStep = z.infer<typeof TestStep>;

export const OrgInfo = z.object({ id: z.string(), name: z.string() });
export type OrgInfo = z.infer<typeof OrgInfo>;

export const connectionsContract = {
  'connections:list': call(z.object({}).strict(), ConnectionList),
  'connections:import': call(
    z.object({
      name: z.string().min(1).max(64),
      yaml: z.string().min(1).max(1_000_000),
      passphrase: z.string().max(1024).optional(),
      storage: z.enum(['keychain', 'session']),
    }),
    ConnectionInfo,
  ),
  'connections:remove': call(z.object({ name: z.string() }), z.object({ removed: z.boolean() })),
  'connections:select': call(Target, Target),
  'connections:orgs': call(z.object({ server: z.string() }), z.array(OrgInfo)),
  'connections:test': stream(z.object({ name: z.string() }), TestStep),
  /** Starts the in-process simulator (once) and connects to it as "Demo server (simulator)". */
  'connections:demo': call(z.object({}).strict(), ConnectionInfo),
};
