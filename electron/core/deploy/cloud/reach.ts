/**
 * How this machine reaches a port of a cloud VM: straight to its public address (the security group
 * lets the responder's ranges in), or through an SSH tunnel the app opens with the deploy/ssh layer
 * when only SSH is open to the responder (API and GUI then listen on the VM's loopback).
 */
import { AppError } from '../../../../shared/errors';
import type { SshDeps } from '../ssh/connect';
import { SshPool } from '../ssh/pool';
import type { SshTargetInput } from '../ssh/target';
import type { CloudAccess } from './settings';

/** Where a (public address, port) of a VM is dialled from here; the tests map it onto loopback. */
export type Dial = (address: string, port: number) => { host: string; port: number };

export const directDial: Dial = (host, port) => ({ host, port });

export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export class CloudReach {
  private pool: SshPool | undefined;

  constructor(
    private readonly deps: { ssh?: SshDeps; dial?: Dial },
    /** The login of the cloud's images (ec2-user on Amazon Linux, the admin user on Azure). */
    private readonly defaultUser: string,
  ) {}

  dial(address: string, port: number): { host: string; port: number } {
    return (this.deps.dial ?? directDial)(address, port);
  }

  /** The VM's login for the tunnel: the responder's choice, else the image's. */
  login(access: CloudAccess): string {
    return (access.via.mode === 'ssh-tunnel' && access.via.username) || this.defaultUser;
  }

  /** The SSH login to the VM at `address` (tunnel mode). */
  sshTarget(access: CloudAccess, address: string): SshTargetInput {
    if (access.via.mode !== 'ssh-tunnel')
      throw new AppError('INTERNAL', 'This deployment reaches its server directly, not through SSH.');
    const at = this.dial(address, 22);
    return {
      host: at.host,
      port: at.port,
      username: this.login(access),
      auth: access.via.auth,
    };
  }

  /** Runs `work` with a `host:port` of this machine that reaches `port` of the VM at `address`. */
  async with<T>(
    access: CloudAccess,
    address: string,
    port: number,
    work: (hostPort: string) => Promise<T>,
  ): Promise<T> {
    if (access.via.mode === 'direct') {
      const at = this.dial(address, port);
      return work(hostPort(at.host, at.port));
    }
    if (!this.deps.ssh)
      throw new AppError('INTERNAL', 'The SSH layer is not available to open the tunnel to the server.');
    this.pool ??= new SshPool(this.deps.ssh);
    return this.pool.with(this.sshTarget(access, address), async (conn) => {
      const fwd = await conn.forwardLocal('127.0.0.1', port);
      try {
        return await work(`127.0.0.1:${fwd.port}`);
      } finally {
        await fwd.close();
      }
    });
  }

  close(): void {
    this.pool?.closeAll();
  }
}
