/** Clients and labels (VR vql/server/clients): clients(), client_info(), label(). */
import type { ClientRecord } from '../dataset/clients';
import type { PluginItem } from '../vql/scope';
import { hasLabel, type World } from '../world';
import { fn, plugin, window, type PluginGroup, type ServerContext } from './context';
import { clientRow, labelResultRow } from './rows';

function glob(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}${pattern.includes('*') ? '' : '.*'}$`, 'i');
}

/** The clients() search syntax (VR services/indexing): bare term ⇒ host:, label:, label:none, mac:, client:, ip:, recent, all. */
export function searchClients(
  world: World,
  orgId: string,
  search: string,
  recent: Set<string>,
): ClientRecord[] {
  const all = [...world.org(orgId).clients.values()];
  const term = search.trim();
  if (term === '' || term === 'all' || term === '*') return all;
  if (term === 'recent') return all.filter((c) => recent.has(c.client_id));
  const colon = term.indexOf(':');
  const [kind, value] =
    colon > 0 ? [term.slice(0, colon).toLowerCase(), term.slice(colon + 1)] : ['host', term];
  const re = glob(value);
  switch (kind) {
    case 'label':
      return value.toLowerCase() === 'none'
        ? all.filter((c) => c.labels.length === 0)
        : all.filter((c) => c.labels.some((l) => re.test(l)));
    case 'host':
      return all.filter((c) => re.test(c.hostname) || re.test(c.fqdn));
    case 'mac':
      return all.filter((c) => c.mac_addresses.some((m) => re.test(m)));
    case 'client':
      return all.filter((c) => re.test(c.client_id));
    case 'ip':
      return all.filter((c) => re.test(c.last_ip));
    default:
      return all.filter((c) => re.test(c.hostname));
  }
}

/** The record label() leaves for a client id the server never saw. */
function ghostClient(clientId: string): ClientRecord {
  return {
    client_id: clientId,
    hostname: '',
    fqdn: '',
    os: '' as ClientRecord['os'],
    release: '',
    machine: '',
    mac_addresses: [],
    first_seen_at: 0,
    offline_last_seen_us: 0,
    last_ip: '',
    labels: [],
    last_label_timestamp: 0,
    last_interrogate_flow_id: '',
    agent_version: '',
  };
}

export function clientPlugins(ctx: ServerContext): PluginGroup {
  const { world } = ctx;
  return {
    plugins: [
      plugin({
        name: 'clients',
        doc: 'Retrieve the list of clients.',
        args: {
          search: { type: 'string' },
          start: { type: 'int' },
          count: { type: 'int' },
          client_id: { type: 'string' },
        },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'clients')) return;
          const orgId = ctx.org(scope);
          let list: ClientRecord[];
          if (typeof a.client_id === 'string' && a.client_id) {
            const c = world.org(orgId).clients.get(a.client_id);
            list = c ? [c] : [];
          } else
            list = searchClients(
              world,
              orgId,
              typeof a.search === 'string' ? a.search : '',
              ctx.recent(scope.ctx.user),
            );
          for (const c of window(list, a.start, a.count)) yield clientRow(world, c);
        },
      }),
      plugin({
        name: 'client_delete',
        doc: 'Delete all information related to a client. ',
        args: { client_id: { type: 'string', required: true }, really_do_it: { type: 'bool' } },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('SERVER_ADMIN', 'client_delete')) return;
          const clientId = String(a.client_id);
          if (!/^C\.[0-9a-z]+$/i.test(clientId)) {
            scope.log(`ERROR:client_delete: Client Id '${clientId}' should be of the form C.XXXX`);
            return;
          }
          const org = world.org(ctx.org(scope));
          if (!org.clients.has(clientId)) return;
          const flows = [...org.flows.entries()].filter(([, f]) => f.client_id === clientId);
          const items = [
            { type: 'Client', vfs_path: `/clients/${clientId}.json` },
            ...flows.map(([, f]) => ({
              type: 'Flow',
              vfs_path: `/clients/${clientId}/collections/${f.session_id}`,
            })),
          ];
          if (a.really_do_it === true) {
            org.clients.delete(clientId);
            for (const [key] of flows) org.flows.delete(key);
          }
          for (const i of items)
            yield { client_id: clientId, type: i.type, vfs_path: i.vfs_path, error: null };
        },
      }),
    ],
    functions: [
      fn({
        name: 'client_info',
        doc: 'Returns client info (like the fqdn) for a client.',
        args: { client_id: { type: 'string', required: true } },
        call: (a, scope) => {
          if (!scope.require('READ_RESULTS', 'client_info')) return null;
          const c = world.org(ctx.org(scope)).clients.get(String(a.client_id));
          return c ? clientRow(world, c) : null;
        },
      }),
      fn({
        name: 'label',
        doc: "Add the labels to the client. If op is 'remove' then remove these labels.",
        args: {
          client_id: { type: 'string', required: true },
          labels: { type: 'strings', required: true },
          op: { type: 'string' },
        },
        call: (a, scope) => {
          if (!scope.require('LABEL_CLIENT', 'label')) return null;
          const clients = world.org(ctx.org(scope)).clients;
          const clientId = String(a.client_id);
          const labels = a.labels as string[];
          const op = typeof a.op === 'string' ? a.op : '';
          // As the real server: label() never fails; on an id it does not know it makes a ghost
          // client (no OS, never seen) that then shows up in clients() and label searches.
          let c = clients.get(clientId);
          if (!c && (op === 'set' || op === 'remove')) {
            c = ghostClient(clientId);
            clients.set(clientId, c);
          }
          if (c) ctx.touch(scope.ctx.user, c.client_id);
          switch (op) {
            case 'set':
              if (c) {
                for (const l of labels) if (!hasLabel(c, l)) c.labels.push(l);
                c.last_label_timestamp = Math.floor(scope.ctx.now() * 1000);
              }
              break;
            case 'remove':
              if (c) {
                c.labels = c.labels.filter((l) => !labels.some((x) => x.toLowerCase() === l.toLowerCase()));
                c.last_label_timestamp = Math.floor(scope.ctx.now() * 1000);
              }
              break;
            case 'check':
              return c && labels.every((l) => hasLabel(c, l)) ? labelResultRow(clientId, labels, op) : false;
            default:
            // Without a known op nothing changes.
          }
          return labelResultRow(clientId, labels, op);
        },
      }),
    ],
  };
}
