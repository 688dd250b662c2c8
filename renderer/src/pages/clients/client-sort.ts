/** The Clients table's column sort: on the shown page, stable, ascending or descending. */
import type { ClientSummary } from '../../../../shared/contracts/clients';

export type ClientSortKey = 'status' | 'host' | 'client' | 'os' | 'seen';
export interface ClientSort {
  key: ClientSortKey;
  dir: 1 | -1;
}
const SORT_VALUE: Record<ClientSortKey, (c: ClientSummary) => string | number> = {
  status: (c) => (c.online ? 0 : 1),
  host: (c) => c.hostname.toLowerCase(),
  client: (c) => c.clientId,
  os: (c) => `${c.os} ${c.release}`.toLowerCase(),
  seen: (c) => c.lastSeenMs,
};
export function sortClients(list: ClientSummary[], sort: ClientSort | null): ClientSummary[] {
  if (!sort) return list;
  const value = SORT_VALUE[sort.key];
  return [...list].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sort.dir;
  });
}
