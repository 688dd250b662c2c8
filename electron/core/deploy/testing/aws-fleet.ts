/**
 * TEST STAND-IN for what EC2 does with an instance once it exists, since moto only records it: every
 * running instance a deployment's stack made boots as a CloudVm running the user-data moto holds (the
 * real boot script, base64 as AWS keeps it). The fleet also plays AWS's part afterwards: a stop the
 * app asks for (through the fleet's relay to moto) stops the server, a start reruns the config unit
 * and the server; an OS
 * shutdown from the VM terminates the instance in moto (the shutdown behaviour is terminate); an
 * instance moto terminated (stack deleted) takes its processes with it. IMDS answers (the instance's
 * tags) come from moto's state.
 */
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { messageOf } from '../../../../shared/errors';
import { configUnitName } from '../cloud/vm-script';
import { TAG } from '../aws/names';
import { SERVER_UNIT } from '../ssh-host/layout';
import { CloudVm, type CommandResult } from './cloud-vm';
import { MOTO_CREDENTIALS, type Moto } from './moto';

export interface FleetVm {
  instanceId: string;
  deploymentId: string;
  vm: CloudVm;
  boot: Promise<CommandResult>;
  /** StopInstances / StartInstances played on this VM, in order. */
  restarts: string[];
  /** The last start's boot (config fetcher, server). */
  started?: Promise<CommandResult>;
}

/** Headers that belong to one HTTP hop, not to the request the relay passes on. */
const HOP_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'expect',
]);

export class AwsFleet {
  readonly vms = new Map<string, FleetVm>();
  private readonly ec2: EC2Client;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private relayServer: Server | undefined;
  private count = 0;

  constructor(
    private readonly o: {
      moto: Moto;
      region: string;
      /** The deployer's vm.root (a mount point inside every VM's namespace). */
      root: string;
      /** Where each VM's private folder and the shared store go. */
      dir: string;
      /** The release server's CA (curl downloads the binary from it). */
      caFile: string;
    },
  ) {
    this.ec2 = new EC2Client({ region: o.region, endpoint: o.moto.endpoint, credentials: MOTO_CREDENTIALS });
  }

  /** Where the app's SDK clients send their requests (set by start). */
  endpoint = '';

  async start(): Promise<void> {
    this.relayServer = createServer((req, res) => void this.relay(req, res));
    await new Promise<void>((resolve) => this.relayServer!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.relayServer.address() as AddressInfo).port}`;
    this.timer = setInterval(() => void this.tick(), 300);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const r = await this.ec2.send(
        new DescribeInstancesCommand({ Filters: [{ Name: `tag-key`, Values: [TAG.deployment] }] }),
      );
      const states = new Map<string, { state: string; deployment: string; tags: Record<string, string> }>();
      for (const res of r.Reservations ?? [])
        for (const i of res.Instances ?? []) {
          const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
          states.set(i.InstanceId!, {
            state: i.State?.Name ?? '',
            deployment: tags[TAG.deployment] ?? '',
            tags,
          });
        }
      for (const [id, s] of states) {
        const known = this.vms.get(id);
        if (s.state === 'running' && !known) await this.launch(id, s.deployment, s.tags);
        else if (known && (s.state === 'terminated' || s.state === 'shutting-down')) await this.drop(id);
        else if (known) await this.syncTags(known.vm, s.tags);
      }
      for (const id of this.vms.keys()) if (!states.has(id)) await this.drop(id);
      for (const v of this.vms.values())
        if (v.vm.shutdownRequested()) {
          await this.ec2.send(new TerminateInstancesCommand({ InstanceIds: [v.instanceId] }));
          await this.drop(v.instanceId);
        }
    } catch {
      // moto may be stopping at the end of a test run; the next tick retries.
    } finally {
      this.busy = false;
    }
  }

  private async syncTags(vm: CloudVm, tags: Record<string, string>): Promise<void> {
    await vm.setImds(`latest/meta-data/tags/instance/${TAG.destroyAt}`, tags[TAG.destroyAt] ?? null);
  }

  private async launch(
    instanceId: string,
    deploymentId: string,
    tags: Record<string, string>,
  ): Promise<void> {
    const attr = await this.ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'userData' }),
    );
    const script = Buffer.from(attr.UserData?.Value ?? '', 'base64').toString('utf8');
    const vm = new CloudVm({
      root: this.o.root,
      dir: join(this.o.dir, `vm-${++this.count}-${instanceId}`),
      sharedDir: join(this.o.dir, 'efs'),
      env: { STANDIN_AWS_ENDPOINT: this.o.moto.endpoint, CURL_CA_BUNDLE: this.o.caFile },
    });
    await vm.create();
    await vm.setImds('latest/api/token', 'stand-in-imds-token');
    await this.syncTags(vm, tags);
    this.vms.set(instanceId, {
      instanceId,
      deploymentId,
      vm,
      restarts: [],
      boot: script ? vm.boot(script) : Promise.resolve({ code: 1, output: 'no user-data' }),
    });
  }

  private async drop(instanceId: string): Promise<void> {
    const v = this.vms.get(instanceId);
    if (!v) return;
    this.vms.delete(instanceId);
    await v.vm.destroy();
  }

  /**
   * The app's AWS endpoint: moto behind a relay that plays EC2's part in a stop and a start, which
   * moto only records. A stop stops the VM's server before moto answers (on EC2 a stopped instance
   * serves nothing); a start, once moto answered, boots the existing machine again — the config
   * fetcher, then the server — while the app waits for the API as it does on EC2.
   */
  private async relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const params = new URLSearchParams(body.toString('utf8'));
      const action = params.get('Action') ?? '';
      const vms = [...params]
        .filter(([k]) => k.startsWith('InstanceId.'))
        .map(([, id]) => this.vms.get(id))
        .filter((v): v is FleetVm => !!v);
      if (action === 'StopInstances')
        for (const v of vms) {
          v.restarts.push(action);
          await v.vm.exec(['systemctl', 'stop', SERVER_UNIT]);
        }
      const headers = Object.entries(req.headers).filter(
        (e): e is [string, string] => typeof e[1] === 'string' && !HOP_HEADERS.has(e[0]),
      );
      const upstream = await fetch(`${this.o.moto.endpoint}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        headers,
        ...(body.length ? { body } : {}),
      });
      const answer = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(
        upstream.status,
        [...upstream.headers].filter(([k]) => !HOP_HEADERS.has(k) && k !== 'content-encoding'),
      );
      res.end(answer);
      if (action === 'StartInstances' && upstream.ok)
        for (const v of vms) {
          v.restarts.push(action);
          v.started = v.vm.reboot(configUnitName(v.deploymentId), SERVER_UNIT);
        }
    } catch (e) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`stand-in relay: ${messageOf(e)}`);
    }
  }

  /** The VMs of one deployment. */
  of(deploymentId: string): FleetVm[] {
    return [...this.vms.values()].filter((v) => v.deploymentId === deploymentId);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 50));
    for (const v of this.vms.values()) if (v.started) await v.started;
    for (const id of [...this.vms.keys()]) await this.drop(id);
    this.ec2.destroy();
    await new Promise<void>((resolve) =>
      this.relayServer ? this.relayServer.close(() => resolve()) : resolve(),
    );
  }
}
