/**
 * The whole contract between the renderer and the core: one object per domain, merged here.
 * A new domain adds its file and one spread below.
 */
import { agentsContract } from './agents';
import { appContract } from './app';
import { clientsContract } from './clients';
import { collectionsContract } from './collections';
import { connectionsContract } from './connections';
import { credentialsContract } from './credentials';
import { deployContract } from './deploy';
import { huntsContract } from './hunts';
import { mcpContract } from './mcp';
import { notebooksContract } from './notebooks';
import { uploadsContract } from './uploads';
import { vqlContract } from './vql';

export const contract = {
  ...appContract,
  ...connectionsContract,
  ...clientsContract,
  ...collectionsContract,
  ...notebooksContract,
  ...vqlContract,
  ...huntsContract,
  ...mcpContract,
  ...credentialsContract,
  ...deployContract,
  ...agentsContract,
  ...uploadsContract,
};

export type Contract = typeof contract;
export type Channel = keyof Contract;
