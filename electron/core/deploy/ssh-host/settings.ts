/**
 * What the responder chooses for a Linux host over SSH. Journaled as is, so no secret: the SSH target
 * names keychain references only. Defaults follow upstream's server package (ports 8000/8001/8889,
 * user velociraptor) and the design's bind rule: API and GUI on the host's 127.0.0.1 (the app reaches
 * them through an SSH tunnel) unless the responder explicitly exposes them.
 */
import { z } from 'zod';
import { SshTarget } from '../ssh/target';

const Port = z.number().int().min(1).max(65535);

export const SshHostSettings = z.object({
  ssh: SshTarget,
  binary: z.union([
    z.object({
      kind: z.literal('release'),
      tag: z.string().min(1),
      /** '' = the glibc build upstream's server package uses; 'musl' = the static one (old glibc). */
      variant: z.enum(['', 'musl']).default(''),
    }),
    z.object({ kind: z.literal('file'), path: z.string().min(1), signaturePath: z.string().optional() }),
  ]),
  frontend: z.object({
    /** The name agents dial (Frontend.hostname, Client.server_urls). */
    hostname: z.string().min(1).max(253),
    bindAddress: z.string().min(1).default('0.0.0.0'),
    port: Port.default(8000),
  }),
  api: z.object({ port: Port, expose: z.boolean() }).default({ port: 8001, expose: false }),
  gui: z.object({ port: Port, expose: z.boolean() }).default({ port: 8889, expose: false }),
  datastoreDir: z.string().default('/opt/velociraptor'),
  serviceUser: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/)
    .default('velociraptor'),
  adminUser: z.string().default('admin'),
  apiUser: z.string().default('megaraptor-app'),
  /** Install root: '' on a real host; the tests give each sshd host a folder of its own. */
  prefix: z.string().default(''),
  /** How long the server may take to listen on its ports; default 120 s. */
  startTimeoutMs: z.number().int().min(1000).default(120_000),
});
export type SshHostSettings = z.output<typeof SshHostSettings>;
export type SshHostSettingsInput = z.input<typeof SshHostSettings>;
