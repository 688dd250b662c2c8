/**
 * Builds the investigation domain for the composition root: notebooks in the data dir and the
 * service, on the servers of the shared connection manager (the connections domain owns it).
 */
import type { ConnectionManager } from '../connections/index';
import { investigationHandlers } from './handlers';
import { NotebookStore } from './notebook-store';
import { InvestigationService } from './service';

export interface InvestigationDomain {
  handlers: ReturnType<typeof investigationHandlers>;
}

export function createInvestigation(dataDir: string, connections: ConnectionManager): InvestigationDomain {
  const svc = new InvestigationService(connections, dataDir);
  return { handlers: investigationHandlers(connections, svc, new NotebookStore(dataDir)) };
}
