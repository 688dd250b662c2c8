/** Contract channels of the connections domain → the connection manager. */
import type { connectionsContract } from '../../../shared/contracts/connections';
import type { Handlers } from '../rpc/index';
import { testConnection } from './connection-test';
import type { ConnectionManager } from './manager';

export function connectionHandlers(conn: ConnectionManager): Handlers<typeof connectionsContract> {
  return {
    'connections:list': () => conn.list(),
    'connections:import': (i) => conn.import(i),
    'connections:remove': async (i) => ({ removed: await conn.remove(i.name) }),
    'connections:select': (i) => conn.select(i),
    'connections:orgs': (i) => conn.orgs(i.server),
    'connections:test': (i) => testConnection(conn.summary(i.name), conn.registry.config(i.name)),
    'connections:demo': () => conn.startDemo(),
  };
}
