/**
 * TEST STAND-IN for what Azure does with a VM once the template made it (the fake ARM only records
 * it): each VM boots as a CloudVm running the custom data the template carried (the real boot
 * script), cloud-init's way. The instance metadata service answers from files: a managed-identity
 * token for Key Vault and the VM's tags. The VM's curl reaches `<vault>.vault.azure.net:443` at the
 * fake's port and trusts its CA (and the release server's). Deleting the group takes the VM with it;
 * a power-off stops the server before Azure answers, a start reruns the config fetcher and the server.
 */
import { join } from 'node:path';
import { AZURE_TAG } from '../azure/names';
import { configUnitName } from '../cloud/vm-script';
import { SERVER_UNIT } from '../ssh-host/layout';
import { CloudVm, type CommandResult } from './cloud-vm';
import type { FakeVm } from './azure-arm';

export interface AzureFleetVm {
  group: string;
  deploymentId: string;
  vm: CloudVm;
  boot: Promise<CommandResult>;
  /** powerOff / start played on this VM, in order. */
  restarts: string[];
  /** Its serial console: the boot script's output and every later boot's. */
  serial: string;
}

export class AzureFleet {
  readonly vms = new Map<string, AzureFleetVm>();
  private readonly launching = new Set<Promise<void>>();
  private count = 0;
  /** Where the fake listens (set once it started). */
  fakePort = 0;

  constructor(
    private readonly o: {
      /** The deployer's vm.root. */
      root: string;
      dir: string;
      /** The fake's and the release server's CAs, one file. */
      caFile: string;
    },
  ) {}

  /** FakeAzure's onVm. */
  onVm = (v: FakeVm): void => {
    this.track(v.group, () => this.launch(v));
  };

  /** FakeAzure's onGroupDeleted. */
  onGroupDeleted = (group: string): void => {
    this.track(group, () => this.drop(group));
  };

  /** One change at a time per group: a group deleted while its VM is being made waits for it. */
  private readonly chains = new Map<string, Promise<void>>();
  private track(group: string, work: () => Promise<void>): void {
    const p = (this.chains.get(group) ?? Promise.resolve()).then(work, work);
    this.chains.set(group, p);
    const done = p.then(
      () => undefined,
      () => undefined,
    );
    this.launching.add(done);
    void done.then(() => this.launching.delete(done));
  }

  /** FakeAzure's onPowerOff: answered once the VM's server stopped, as a stopped VM serves nothing. */
  onPowerOff = async (group: string): Promise<void> => {
    const v = this.vms.get(group);
    if (!v) return;
    v.restarts.push('powerOff');
    await v.vm.exec(['systemctl', 'stop', SERVER_UNIT]);
  };

  /** FakeAzure's onStart: a boot of the existing machine — the config fetcher, then the server. */
  onStart = (group: string): void => {
    const v = this.vms.get(group);
    if (!v) return;
    v.restarts.push('start');
    this.track(group, async () => {
      const r = await v.vm.reboot(configUnitName(v.deploymentId), SERVER_UNIT);
      v.serial += r.output;
    });
  };

  /** FakeAzure's onTags: the instance metadata shows the VM's tags. */
  onTags = async (group: string, tags: Record<string, string>): Promise<void> => {
    const v = this.vms.get(group);
    if (v) await this.setTags(v.vm, tags);
  };

  /** FakeAzure's serialLog: what the boot script printed. */
  serialLog = (group: string): Promise<string> => Promise.resolve(this.vms.get(group)?.serial ?? '');

  private async launch(v: FakeVm): Promise<void> {
    const vm = new CloudVm({
      root: this.o.root,
      dir: join(this.o.dir, `vm-${++this.count}-${v.group}`),
      sharedDir: join(this.o.dir, 'shared'),
      env: {
        CURL_CA_BUNDLE: this.o.caFile,
        STANDIN_CONNECT_TO: `--connect-to :443:127.0.0.1:${this.fakePort}`,
      },
    });
    await vm.create();
    await vm.setImds(
      'metadata/identity/oauth2/token',
      JSON.stringify({
        access_token: `stand-in-managed-identity-${v.group}`,
        token_type: 'Bearer',
        resource: 'https://vault.azure.net',
      }),
    );
    await this.setTags(vm, v.resource.tags ?? {});
    const deploymentId = v.resource.tags?.[AZURE_TAG.deployment] ?? '';
    const entry: AzureFleetVm = {
      group: v.group,
      deploymentId,
      vm,
      restarts: [],
      serial: '',
      boot: vm
        .boot(v.customData)
        .catch((e: unknown) => ({ code: -1, output: String(e) }))
        .then((r) => {
          entry.serial += r.output;
          return r;
        }),
    };
    this.vms.set(v.group, entry);
  }

  async setTags(vm: CloudVm, tags: Record<string, string>): Promise<void> {
    await vm.setImds(
      'metadata/instance/compute/tagsList',
      JSON.stringify(Object.entries(tags).map(([name, value]) => ({ name, value }))),
    );
  }

  private async drop(group: string): Promise<void> {
    const v = this.vms.get(group);
    if (!v) return;
    this.vms.delete(group);
    await v.vm.destroy();
  }

  of(group: string): AzureFleetVm | undefined {
    return this.vms.get(group);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.launching]);
    for (const g of [...this.vms.keys()]) await this.drop(g);
  }
}
