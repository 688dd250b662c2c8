/**
 * What every cloud target asks the responder besides its own account and region: who may reach which
 * port (agents → frontend; the responder → GUI and API, or only SSH when the app tunnels), the ports,
 * the release, the user names, how many minions. No secret: settings are journaled as they are (an
 * SSH key is a path, its passphrase a keychain reference).
 */
import { z } from 'zod';
import { SshAuth } from '../ssh/target';
import { isEverywhere, parseCidr } from './cidr';

const Port = z.number().int().min(1).max(65535);

/** A CIDR as typed, checked and normalised (203.0.113.7/24 → 203.0.113.0/24). */
export const CidrText = z.string().transform((value, ctx) => {
  try {
    return parseCidr(value).text;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const CloudAccess = z.object({
  /** Where agents connect from: the frontend port(s) are open to these ranges only. */
  agentCidrs: z.array(CidrText).min(1).max(50),
  /** The responder's own addresses: GUI and API (or SSH) are open to these only — never to everyone. */
  responderCidrs: z
    .array(CidrText)
    .min(1)
    .max(20)
    .refine((cidrs) => !cidrs.some((c) => isEverywhere(parseCidr(c))), {
      message:
        'GUI and API must not be open to the whole internet: give your own address (e.g. 203.0.113.7/32) or a VPN range.',
    }),
  /**
   * `direct`: the GUI and API ports are open to responderCidrs. `ssh-tunnel`: only SSH (22) is; API
   * and GUI listen on the VM's loopback and the app reaches them through an SSH tunnel it opens.
   */
  via: z
    .discriminatedUnion('mode', [
      z.object({ mode: z.literal('direct') }),
      z.object({
        mode: z.literal('ssh-tunnel'),
        /** The VM's login (ec2-user on Amazon Linux, the admin user on Azure). */
        username: z.string().min(1).max(64).optional(),
        /** The private key of the key pair the VM trusts (a file here; its passphrase in the keychain). */
        auth: SshAuth,
      }),
    ])
    .default({ mode: 'direct' }),
});
export type CloudAccess = z.output<typeof CloudAccess>;

export const CloudPorts = z
  .object({ frontend: Port, api: Port, gui: Port })
  .default({ frontend: 8000, api: 8001, gui: 8889 })
  .refine((p) => new Set([p.frontend, p.api, p.gui]).size === 3, {
    message: 'The frontend, API and GUI ports must differ.',
  });

/** The fields every cloud deployer shares. */
export const CloudCommon = {
  access: CloudAccess,
  ports: CloudPorts,
  /** Minions besides the master (enterprise profile only): Velociraptor's multi-frontend. */
  minions: z.number().int().min(0).max(5).default(0),
  /**
   * Each minion's frontend port; the master's frontend port by default (each minion has its own
   * machine). Different ports let minions share one address.
   */
  minionPorts: z.array(Port).max(5).optional(),
  /** A DNS name the responder points at the master's address; the address itself by default. */
  frontendHostname: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9.-]+$/, 'a DNS name')
    .optional(),
  release: z.object({ tag: z.string().min(1).max(64) }),
  adminUser: z.string().default('admin'),
  apiUser: z.string().default('megaraptor-app'),
  /** How long the VMs may take from creation to a serving API; 20 minutes by default. */
  bootTimeoutMs: z.number().int().min(5_000).max(3_600_000).default(1_200_000),
};

/** The minions' frontend ports, the master's port when not chosen. */
export function minionPortsOf(s: {
  minions: number;
  minionPorts?: number[] | undefined;
  ports: { frontend: number };
}): number[] {
  return Array.from({ length: s.minions }, (_, i) => s.minionPorts?.[i] ?? s.ports.frontend);
}
