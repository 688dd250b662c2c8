/**
 * TEST FAKE of Azure Resource Manager and Key Vault — Azure has no emulator. A local HTTPS endpoint
 * (a test CA; the SDK refuses bearer tokens over plain HTTP) that answers the REST calls the real
 * Azure SDK clients make, in Azure's own shapes (checked by using @azure/arm-resources and
 * @azure/keyvault-secrets as its clients), and records every request:
 *
 *   ARM         resource groups (PUT, GET, HEAD, DELETE as a long-running operation with a Location to
 *               poll), template deployments (PUT → Succeeded or Failed, GET), generic resources by id
 *               (GET, PATCH of tags), a VM's instance view, powerOff and start (long-running), its
 *               boot diagnostics (a serial log blob URL with a SAS), soft-deleted vaults (GET, POST …/purge)
 *   Key Vault   secrets (PUT, GET, DELETE → deleted secret, GET/DELETE deletedsecrets = purge), with
 *               the bearer challenge (401 + WWW-Authenticate) the SDK expects before its first call;
 *               the vault is the Host's `<name>.vault.azure.net` (the app and the stand-in VMs reach
 *               that host name here: a resolving agent, curl's --connect-to)
 *
 * What it does NOT do: evaluate ARM templates in general. It materialises each template resource as
 * is, resolving only the two expressions our template uses — `resourceId('type', 'name'…)` and
 * `reference(resourceId(…), 'version', 'full').identity.principalId` — and fills in what Azure would
 * (a public IP's address, a VM's identity, a vault's URI). A resource type in `failTypes` fails the
 * deployment as Azure reports it. Nothing is authenticated beyond "a bearer token is present".
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../../pki/certificates';

export interface ArmRequest {
  method: string;
  path: string;
  host: string;
  body: string;
  authorized: boolean;
  userAgent: string;
}

interface ArmResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
  identity?: Record<string, unknown>;
  properties: Record<string, unknown>;
  [k: string]: unknown;
}

interface Vault {
  name: string;
  location: string;
  group: string;
  secrets: Map<string, { value: string; version: string }>;
  deleted: Map<string, { value: string; version: string }>;
}

export interface FakeVm {
  group: string;
  resource: ArmResource;
  customData: string;
  vaultName: string | null;
}

export interface FakeAzureOptions {
  /** The public address every public IP gets (the test dials it on loopback). */
  publicIp: string;
  tenantId: string;
  /** A VM template resource was made / its group deleted: the stand-in fleet boots or drops it. */
  onVm?: (vm: FakeVm) => void;
  onGroupDeleted?: (group: string) => void;
  /** The VM's power was cut (answered once its server stopped) / it starts again. */
  onPowerOff?: (group: string) => Promise<void>;
  onStart?: (group: string) => void;
  /** The VM's tags changed (the instance metadata shows them). */
  onTags?: (group: string, tags: Record<string, string>) => Promise<void>;
  /** The VM's serial log (boot diagnostics). */
  serialLog?: (group: string) => Promise<string>;
}

export class FakeAzure {
  readonly requests: ArmRequest[] = [];
  readonly groups = new Map<string, ArmResource>();
  readonly resources = new Map<string, ArmResource>();
  readonly deployments = new Map<string, ArmResource>();
  readonly vaults = new Map<string, Vault>();
  /** Soft-deleted vaults by name, until purged. */
  readonly deletedVaults = new Map<string, Vault>();
  /** Resource types whose creation fails (a failure midway). */
  readonly failTypes = new Set<string>();
  private server: Server | undefined;
  private readonly pending = new Map<string, number>();
  endpoint = '';
  caPem = '';

  constructor(private readonly o: FakeAzureOptions) {}

  async start(): Promise<void> {
    const ca = await createCertificateAuthority({ organization: 'Megaraptor test Azure CA' });
    const leaf = await issueCertificate(ca, {
      commonName: 'localhost',
      dnsNames: ['localhost', '*.vault.azure.net'],
      ipAddresses: ['127.0.0.1'],
    });
    this.caPem = ca.certificatePem;
    this.server = createServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on(
        'end',
        () =>
          void (async () => {
            const body = Buffer.concat(chunks).toString('utf8');
            // The SDK sends a resource id (which starts with '/') after the host's '/': ARM accepts '//'.
            const url = new URL(`https://fake${(req.url ?? '/').replace(/^\/+/, '/')}`);
            const host = String(req.headers.host ?? '');
            const authorized = /^Bearer \S+/.test(String(req.headers.authorization ?? ''));
            this.requests.push({
              method: req.method ?? '',
              path: url.pathname + url.search,
              host,
              body,
              authorized,
              userAgent: String(req.headers['user-agent'] ?? ''),
            });
            let answer: { status: number; body?: unknown; headers?: Record<string, string>; text?: boolean };
            try {
              answer = await this.route(req.method ?? 'GET', url, host, body, authorized);
            } catch (e) {
              answer = { status: 500, body: { error: { code: 'InternalServerError', message: String(e) } } };
            }
            const text =
              answer.body === undefined
                ? ''
                : answer.text && typeof answer.body === 'string'
                  ? answer.body
                  : JSON.stringify(answer.body);
            res.writeHead(answer.status, {
              ...(text
                ? { 'content-type': answer.text ? 'text/plain' : 'application/json; charset=utf-8' }
                : {}),
              'x-ms-request-id': randomUUID(),
              ...answer.headers,
            });
            res.end(req.method === 'HEAD' ? undefined : text);
          })(),
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.endpoint = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get port(): number {
    return Number(new URL(this.endpoint).port);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  // ---- routing -------------------------------------------------------------------------------

  private async route(
    method: string,
    url: URL,
    host: string,
    body: string,
    authorized: boolean,
  ): Promise<{ status: number; body?: unknown; headers?: Record<string, string>; text?: boolean }> {
    const vaultHost = /^([a-z0-9-]+)\.vault\.azure\.net(:\d+)?$/i.exec(host)?.[1];
    if (vaultHost) return this.keyVault(method, vaultHost, url.pathname, body, authorized);
    const diag = /^\/bootdiag\/([^/]+)$/.exec(url.pathname);
    // A blob with its own SAS in the URL: no bearer token.
    if (diag && url.searchParams.get('sig'))
      return { status: 200, body: (await this.o.serialLog?.(diag[1]!)) ?? '', text: true };
    if (!authorized) return armError(401, 'AuthenticationFailed', 'No bearer token.');
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if ((m = /^\/operations\/([^/]+)$/.exec(p))) {
      const left = (this.pending.get(m[1]!) ?? 0) - 1;
      this.pending.set(m[1]!, left);
      return left > 0
        ? { status: 202, headers: { location: `${this.endpoint}${p}`, 'retry-after': '0' } }
        : { status: 200 };
    }
    if (
      (m =
        /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.KeyVault\/locations\/([^/]+)\/deletedVaults\/([^/]+)(\/purge)?$/i.exec(
          p,
        ))
    ) {
      const v = this.deletedVaults.get(m[3]!);
      if (!v) return armError(404, 'ResourceNotFound', `The deleted vault ${m[3]} was not found.`);
      if (method === 'POST' && m[4]) {
        this.deletedVaults.delete(v.name);
        return { status: 200 };
      }
      return {
        status: 200,
        body: {
          id: p,
          name: v.name,
          type: 'Microsoft.KeyVault/deletedVaults',
          properties: {
            location: v.location,
            vaultId: `/resourceGroups/${v.group}/providers/Microsoft.KeyVault/vaults/${v.name}`,
          },
        },
      };
    }
    if ((m = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)$/i.exec(p)))
      return this.group(method, m[1]!, m[2]!, body);
    if (
      (m =
        /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/Microsoft\.Resources\/deployments\/([^/]+)$/i.exec(
          p,
        ))
    )
      return this.deployment(method, m[1]!, m[2]!, m[3]!, body);
    if (
      (m =
        /^(\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/[^/]+)\/(instanceView|powerOff|start|retrieveBootDiagnosticsData)$/i.exec(
          p,
        ))
    )
      return this.vmAction(method, m[1]!, m[2]!, m[3]!);
    if ((m = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)\/providers\/.+$/i.exec(p))) {
      const r = this.resources.get(p.toLowerCase());
      if (!r) return armError(404, 'ResourceNotFound', `The resource ${p} was not found.`);
      if (method === 'GET') return { status: 200, body: r };
      if (method === 'PATCH') {
        const input = JSON.parse(body || '{}') as { tags?: Record<string, string> };
        if (input.tags) r.tags = input.tags;
        if (r.type === 'Microsoft.Compute/virtualMachines') await this.o.onTags?.(m[1]!, r.tags ?? {});
        return { status: 200, body: r };
      }
      return armError(405, 'MethodNotAllowed', method);
    }
    return armError(404, 'NotFound', `The fake has no route for ${method} ${p}.`);
  }

  /** Power state per VM id: Azure's instance view, powerOff (waits for the fleet to stop it) and start. */
  readonly power = new Map<string, string>();

  private async vmAction(method: string, vmPath: string, group: string, action: string) {
    const id = vmPath.toLowerCase();
    if (!this.resources.has(id)) return armError(404, 'ResourceNotFound', `The VM ${vmPath} was not found.`);
    const lro = () => {
      const op = randomUUID();
      this.pending.set(op, 2);
      return { status: 202, headers: { location: `${this.endpoint}/operations/${op}`, 'retry-after': '0' } };
    };
    if (action === 'instanceView' && method === 'GET')
      return {
        status: 200,
        body: {
          statuses: [
            { code: 'ProvisioningState/succeeded', level: 'Info' },
            { code: `PowerState/${this.power.get(id) ?? 'running'}`, level: 'Info' },
          ],
        },
      };
    if (action === 'powerOff' && method === 'POST') {
      this.power.set(id, 'stopped');
      await this.o.onPowerOff?.(group);
      return lro();
    }
    if (action === 'start' && method === 'POST') {
      this.power.set(id, 'running');
      this.o.onStart?.(group);
      return lro();
    }
    if (action === 'retrieveBootDiagnosticsData' && method === 'POST')
      return {
        status: 200,
        body: {
          consoleScreenshotBlobUri: `${this.endpoint}/bootdiag/${group}.bmp?sig=test`,
          serialConsoleLogBlobUri: `${this.endpoint}/bootdiag/${group}?sig=test`,
        },
      };
    return armError(405, 'MethodNotAllowed', `${method} ${action}`);
  }

  private group(method: string, sub: string, name: string, body: string) {
    const key = name.toLowerCase();
    const existing = this.groups.get(key);
    if (method === 'PUT') {
      const input = JSON.parse(body || '{}') as { location?: string; tags?: Record<string, string> };
      const g: ArmResource = {
        id: `/subscriptions/${sub}/resourceGroups/${name}`,
        name,
        type: 'Microsoft.Resources/resourceGroups',
        location: input.location ?? 'westeurope',
        tags: input.tags ?? {},
        properties: { provisioningState: 'Succeeded' },
      };
      this.groups.set(key, g);
      return { status: existing ? 200 : 201, body: g };
    }
    if (!existing)
      return armError(404, 'ResourceGroupNotFound', `Resource group '${name}' could not be found.`);
    if (method === 'HEAD') return { status: 204 };
    if (method === 'GET') return { status: 200, body: existing };
    if (method === 'DELETE') {
      this.deleteGroup(name);
      const op = randomUUID();
      this.pending.set(op, 2);
      return { status: 202, headers: { location: `${this.endpoint}/operations/${op}`, 'retry-after': '0' } };
    }
    return armError(405, 'MethodNotAllowed', method);
  }

  private deleteGroup(name: string): void {
    const prefix = `/resourcegroups/${name.toLowerCase()}/`;
    for (const id of [...this.resources.keys()]) if (id.includes(prefix)) this.resources.delete(id);
    for (const id of [...this.deployments.keys()]) if (id.includes(prefix)) this.deployments.delete(id);
    for (const v of [...this.vaults.values()])
      if (v.group.toLowerCase() === name.toLowerCase()) {
        this.vaults.delete(v.name);
        this.deletedVaults.set(v.name, v);
      }
    this.groups.delete(name.toLowerCase());
    this.o.onGroupDeleted?.(name);
  }

  private deployment(method: string, sub: string, group: string, name: string, body: string) {
    const id = `/subscriptions/${sub}/resourceGroups/${group}/providers/Microsoft.Resources/deployments/${name}`;
    if (!this.groups.has(group.toLowerCase()))
      return armError(404, 'ResourceGroupNotFound', `Resource group '${group}' could not be found.`);
    if (method === 'GET') {
      const d = this.deployments.get(id.toLowerCase());
      return d
        ? { status: 200, body: d }
        : armError(404, 'DeploymentNotFound', `Deployment '${name}' could not be found.`);
    }
    if (method !== 'PUT') return armError(405, 'MethodNotAllowed', method);
    const input = JSON.parse(body) as {
      properties: { mode: string; template: { resources: Array<Record<string, unknown>> } };
    };
    let error: { code: string; message: string } | null = null;
    for (const raw of input.properties.template.resources) {
      const type = String(raw.type);
      if (this.failTypes.has(type)) {
        error = {
          code: 'ResourceDeploymentFailure',
          message: `The resource operation completed with terminal provisioning state 'Failed' (${type} ${String(raw.name)}).`,
        };
        break;
      }
      this.materialise(sub, group, this.evaluate(sub, group, raw) as Record<string, unknown>);
    }
    const d: ArmResource = {
      id,
      name,
      type: 'Microsoft.Resources/deployments',
      properties: {
        provisioningState: error ? 'Failed' : 'Succeeded',
        mode: input.properties.mode,
        timestamp: new Date().toISOString(),
        outputs: {},
        ...(error
          ? {
              error: {
                code: 'DeploymentFailed',
                message: 'At least one resource deployment operation failed.',
                details: [error],
              },
            }
          : {}),
      },
    };
    this.deployments.set(id.toLowerCase(), d);
    return { status: 201, body: d };
  }

  /** The two template functions our template uses; anything else is left as written. */
  private evaluate(sub: string, group: string, v: unknown): unknown {
    if (typeof v === 'string') {
      const rid = /^\[resourceId\((.+)\)\]$/.exec(v);
      if (rid) return this.resourceId(sub, group, rid[1]!);
      const ref = /^\[reference\(resourceId\((.+?)\), '[^']+', 'full'\)\.identity\.principalId\]$/.exec(v);
      if (ref) {
        const target = this.resources.get(this.resourceId(sub, group, ref[1]!).toLowerCase());
        return (target?.identity as { principalId?: string } | undefined)?.principalId ?? '';
      }
      return v;
    }
    if (Array.isArray(v)) return v.map((x) => this.evaluate(sub, group, x));
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.evaluate(sub, group, x)]));
    return v;
  }

  private resourceId(sub: string, group: string, args: string): string {
    const parts = [...args.matchAll(/'([^']*)'/g)].map((x) => x[1]!);
    const [type, ...names] = parts;
    const [ns, ...types] = type!.split('/');
    const path = types.map((t, i) => `${t}/${names[i]}`).join('/');
    return `/subscriptions/${sub}/resourceGroups/${group}/providers/${ns}/${path}`;
  }

  private materialise(sub: string, group: string, r: Record<string, unknown>): void {
    const type = String(r.type);
    const name = String(r.name);
    const id = this.resourceId(sub, group, `'${type}', '${name}'`);
    const props: Record<string, unknown> = {
      ...((r.properties as Record<string, unknown>) ?? {}),
      provisioningState: 'Succeeded',
    };
    const res: ArmResource = { ...r, id, name, type, properties: props };
    delete res.apiVersion;
    delete res.dependsOn;
    if (type === 'Microsoft.Network/publicIPAddresses') props.ipAddress = this.o.publicIp;
    if (type === 'Microsoft.Network/networkInterfaces') {
      const configs = (props.ipConfigurations as Array<{ properties: Record<string, unknown> }>) ?? [];
      for (const c of configs) c.properties.privateIPAddress = '10.20.0.4';
    }
    if (type === 'Microsoft.Compute/virtualMachines')
      res.identity = { type: 'SystemAssigned', principalId: randomUUID(), tenantId: this.o.tenantId };
    if (type === 'Microsoft.KeyVault/vaults') {
      props.vaultUri = `https://${name}.vault.azure.net/`;
      if (this.vaults.has(name) || this.deletedVaults.has(name))
        throw new Error(`vault name ${name} is taken (or soft-deleted and not purged)`);
      this.vaults.set(name, {
        name,
        location: String(r.location),
        group,
        secrets: new Map(),
        deleted: new Map(),
      });
    }
    this.resources.set(id.toLowerCase(), res);
    if (type === 'Microsoft.Compute/virtualMachines') {
      const os = (props.osProfile as { customData?: string } | undefined) ?? {};
      const vault = [...this.vaults.values()].find((v) => v.group === group)?.name ?? null;
      this.o.onVm?.({
        group,
        resource: res,
        customData: Buffer.from(os.customData ?? '', 'base64').toString('utf8'),
        vaultName: vault,
      });
    }
  }

  /** The vault of a group (made after the VM in template order; the fleet asks once it exists). */
  vaultOf(group: string): string | null {
    return [...this.vaults.values()].find((v) => v.group === group)?.name ?? null;
  }

  // ---- Key Vault -----------------------------------------------------------------------------

  private keyVault(method: string, name: string, path: string, body: string, authorized: boolean) {
    if (!authorized)
      return {
        status: 401,
        body: {
          error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' },
        },
        headers: {
          'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${this.o.tenantId}", resource="https://vault.azure.net"`,
        },
      };
    const v = this.vaults.get(name);
    if (!v) return kvError(404, 'VaultNotFound', `The vault ${name} does not exist.`);
    const uri = `https://${name}.vault.azure.net`;
    const bundle = (secret: string, s: { value: string; version: string }, withValue = true) => ({
      ...(withValue ? { value: s.value } : {}),
      id: `${uri}/secrets/${secret}/${s.version}`,
      attributes: {
        enabled: true,
        created: 1,
        updated: 1,
        recoveryLevel: 'Recoverable+Purgeable',
        recoverableDays: 7,
      },
    });
    let m: RegExpExecArray | null;
    if ((m = /^\/secrets\/([^/]+)(\/[^/]*)?$/.exec(path))) {
      const secret = m[1]!;
      if (method === 'PUT') {
        const input = JSON.parse(body || '{}') as { value?: string };
        if (v.deleted.has(secret))
          return kvError(
            409,
            'Conflict',
            `Secret ${secret} is currently in a deleted but recoverable state.`,
          );
        const s = { value: String(input.value ?? ''), version: randomUUID().replace(/-/g, '') };
        v.secrets.set(secret, s);
        return { status: 200, body: bundle(secret, s) };
      }
      const s = v.secrets.get(secret);
      if (!s)
        return kvError(
          404,
          'SecretNotFound',
          `A secret with (name/id) ${secret} was not found in this key vault.`,
        );
      if (method === 'GET') return { status: 200, body: bundle(secret, s) };
      if (method === 'DELETE') {
        v.secrets.delete(secret);
        v.deleted.set(secret, s);
        return {
          status: 200,
          body: {
            ...bundle(secret, s, false),
            recoveryId: `${uri}/deletedsecrets/${secret}`,
            deletedDate: 1,
            scheduledPurgeDate: 2,
          },
        };
      }
    }
    if ((m = /^\/deletedsecrets\/([^/]+)$/.exec(path))) {
      const secret = m[1]!;
      const s = v.deleted.get(secret);
      if (!s) return kvError(404, 'SecretNotFound', `Deleted Secret not found: ${secret}`);
      if (method === 'GET')
        return {
          status: 200,
          body: {
            ...bundle(secret, s, false),
            recoveryId: `${uri}/deletedsecrets/${secret}`,
            deletedDate: 1,
            scheduledPurgeDate: 2,
          },
        };
      if (method === 'DELETE') {
        v.deleted.delete(secret);
        return { status: 204 };
      }
    }
    return kvError(400, 'BadParameter', `The fake has no route for ${method} ${path}.`);
  }

  /** Secrets present (not deleted) in every vault, as vault/name. */
  secretNames(): string[] {
    return [...this.vaults.values()].flatMap((v) => [...v.secrets.keys()].map((k) => `${v.name}/${k}`));
  }
}

function armError(status: number, code: string, message: string) {
  return { status, body: { error: { code, message } } };
}

function kvError(status: number, code: string, message: string) {
  return { status, body: { error: { code, message } } };
}
