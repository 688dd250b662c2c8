/**
 * The one entry point to a Velociraptor server + org for every consumer: the UI services and bulk
 * actions, the MCP tools, the CLI. Each method is the typed operation of `operations/` bound to this
 * connection, so a new consumer never composes VQL or re-implements an operation, and approvals show
 * the plan* queries the same operations then send. Obtain it from the registry:
 * `new VelociraptorService(registry.connection(name, org))`.
 */
import type { HuntScopeRule } from '../../../shared/hunt-scope';
import type { VelociraptorConnection } from './connection';
import type { QueryResult, RowsOptions } from './query/rows';
import type { QueryEvent, QueryOptions } from './query/stream';
import * as agentConfig from './operations/agent-config';
import * as artifacts from './operations/artifacts';
import { artifactCatalog, type Declarations } from './operations/catalog';
import * as clients from './operations/clients';
import type { OpOptions } from './operations/common';
import * as fileSearch from './operations/file-search';
import * as flows from './operations/flows';
import * as hunts from './operations/hunts';
import * as server from './operations/server';
import * as vfs from './operations/vfs';
import { userQuery, type BuiltQuery } from './vql/builder';

export class VelociraptorService {
  constructor(readonly conn: VelociraptorConnection) {}

  /** The same server in another org. */
  inOrg(orgId: string): VelociraptorService {
    return new VelociraptorService(this.conn.withOrg(orgId));
  }

  // VQL typed by a person (notebook, MCP run_vql, CLI).
  streamVql(
    text: string,
    env: Record<string, string> = {},
    opts?: QueryOptions,
  ): AsyncGenerator<QueryEvent, void, undefined> {
    return this.conn.query(userQuery(text, env), opts);
  }
  runVql(text: string, env: Record<string, string> = {}, opts?: RowsOptions): Promise<QueryResult> {
    return this.conn.queryRows(userQuery(text, env), opts);
  }

  // Server
  whoami(o?: OpOptions): Promise<string> {
    return server.whoami(this.conn, o);
  }
  serverInfo(o?: OpOptions): Promise<server.ServerInfo> {
    return server.serverInfo(this.conn, o);
  }
  identity(o?: OpOptions): ReturnType<typeof server.identity> {
    return server.identity(this.conn, o);
  }
  currentUser(o?: OpOptions): Promise<server.CurrentUser> {
    return server.currentUser(this.conn, o);
  }
  listOrgs(o?: OpOptions): Promise<server.Org[]> {
    return server.listOrgs(this.conn, o);
  }
  listUsers(i?: { allOrgs?: boolean } & OpOptions): Promise<server.ServerUser[]> {
    return server.listUsers(this.conn, i);
  }
  /** The org's client config YAML (version + Client), as installers get it. */
  orgClientConfig(o?: OpOptions & { orgId?: string }): Promise<string> {
    return agentConfig.orgClientConfig(this.conn, o);
  }
  vqlHelp(o?: OpOptions): Promise<server.HelpEntry[]> {
    return server.vqlHelp(this.conn, o);
  }
  completions(prefix?: string, o?: OpOptions): Promise<server.Completions> {
    return server.completions(this.conn, prefix, o);
  }

  // Clients
  searchClients(i?: clients.SearchClientsInput, o?: OpOptions): Promise<clients.ClientSummary[]> {
    return clients.searchClients(this.conn, i, o);
  }
  searchClientIds(
    search: string,
    limit: number,
    o?: OpOptions & { os?: 'windows' | 'linux' | 'darwin' | undefined },
  ): Promise<clients.ClientRef[]> {
    return clients.searchClientIds(this.conn, search, limit, o);
  }
  getClient(clientId: string, o?: OpOptions): Promise<clients.ClientSummary> {
    return clients.getClient(this.conn, clientId, o);
  }
  clientOs(clientId: string, o?: OpOptions): Promise<clients.ClientOs> {
    return clients.clientOs(this.conn, clientId, o);
  }
  planLabels(clientId: string, labels: string[], op: clients.LabelOp): BuiltQuery {
    return clients.planLabels(clientId, labels, op);
  }
  setLabels(clientId: string, labels: string[], op: clients.LabelOp, o?: OpOptions): Promise<string[]> {
    return clients.setLabels(this.conn, clientId, labels, op, o);
  }
  /**
   * What quarantine() with the same input launches, for the client's OS as the server reports it
   * and in the form its quarantine artifact declares.
   */
  async planQuarantine(
    i: clients.QuarantineInput,
    o?: OpOptions,
  ): Promise<clients.QuarantinePlan & { os: clients.ClientOs }> {
    const os = await this.clientOs(i.clientId, o);
    const d = await this.declarations([clients.quarantineArtifact(os, i.clientId)], o);
    return { os, ...clients.planQuarantine(d, os, i) };
  }
  quarantine(i: clients.QuarantineInput, o?: OpOptions): Promise<flows.LaunchedFlow & { artifact: string }> {
    return clients.quarantine(this.conn, i, o);
  }
  interrogate(clientId: string, o?: OpOptions): Promise<flows.LaunchedFlow> {
    return clients.interrogate(this.conn, clientId, o);
  }
  deleteClient(clientId: string, o?: OpOptions): Promise<clients.Deleted> {
    return clients.deleteClient(this.conn, clientId, o);
  }
  deleteFlow(clientId: string, flowId: string, o?: OpOptions): Promise<clients.Deleted> {
    return clients.deleteFlow(this.conn, clientId, flowId, o);
  }

  // Artifacts (what this server declares: cached per server, org and version)
  serverVersion(o?: OpOptions): Promise<string> {
    return artifactCatalog.version(this.conn, o);
  }
  declarations(names: string[], o?: OpOptions): Promise<Declarations> {
    return artifactCatalog.declarations(this.conn, names, o);
  }
  /** Every artifact the server declares, with parameters and sources (cached). */
  allArtifacts(o?: OpOptions): Promise<artifacts.ArtifactSummary[]> {
    return artifactCatalog.all(this.conn, o);
  }
  /** Refuses a request naming an artifact or parameter this server does not declare. */
  checkDeclared(
    artifactNames: string[],
    parameters?: flows.ArtifactParameters,
    o?: OpOptions,
  ): Promise<Declarations> {
    return artifactCatalog.check(this.conn, artifactNames, parameters, o);
  }
  /** The collection of a file search, in the parameter forms this server declares. */
  async planFileSearch(i: fileSearch.FileSearchInput, o?: OpOptions): Promise<flows.CollectInput> {
    return fileSearch.planFileSearch(await this.declarations([fileSearch.fileSearchArtifact(i)], o), i);
  }
  listArtifacts(i?: artifacts.ListArtifactsInput, o?: OpOptions): Promise<artifacts.ArtifactSummary[]> {
    return artifacts.listArtifacts(this.conn, i, o);
  }
  getArtifacts(names: string[], o?: OpOptions): Promise<artifacts.ArtifactDefinition[]> {
    return artifacts.getArtifacts(this.conn, names, o);
  }

  // Flows
  planCollect(i: flows.CollectInput): BuiltQuery {
    return flows.planCollect(i);
  }
  collect(i: flows.CollectInput, o?: OpOptions): Promise<flows.LaunchedFlow> {
    return flows.collectArtifacts(this.conn, i, o);
  }
  collectAndWait(
    i: flows.CollectInput,
    o?: flows.WaitOptions & { resultLimit?: number; logLimit?: number },
  ): Promise<flows.CollectAndWaitResult> {
    return flows.collectAndWait(this.conn, i, o);
  }
  listFlows(clientId: string, i?: { limit?: number } & OpOptions): Promise<flows.FlowSummary[]> {
    return flows.listFlows(this.conn, clientId, i);
  }
  flowStatus(clientId: string, flowId: string, o?: OpOptions): Promise<flows.FlowSummary> {
    return flows.flowStatus(this.conn, clientId, flowId, o);
  }
  flowLogs(clientId: string, flowId: string, i?: { limit?: number } & OpOptions): Promise<flows.FlowLog[]> {
    return flows.flowLogs(this.conn, clientId, flowId, i);
  }
  flowResults(i: flows.ResultsInput, o?: OpOptions): ReturnType<typeof flows.flowResults> {
    return flows.flowResults(this.conn, i, o);
  }
  streamFlowResults(
    i: Omit<flows.ResultsInput, 'startRow' | 'limit'>,
    o?: QueryOptions,
  ): AsyncGenerator<QueryEvent, void, undefined> {
    return flows.streamFlowResults(this.conn, i, o);
  }
  cancelFlow(clientId: string, flowId: string, o?: OpOptions): Promise<void> {
    return flows.cancelFlow(this.conn, clientId, flowId, o);
  }
  waitForFlow(clientId: string, flowId: string, o?: flows.WaitOptions): Promise<flows.FlowSummary> {
    return flows.waitForFlow(this.conn, clientId, flowId, o);
  }

  // Files
  planVfsRefresh(i: vfs.VfsPathInput): BuiltQuery {
    return vfs.planVfsRefresh(i);
  }
  vfsRefresh(i: vfs.VfsPathInput, o?: OpOptions): Promise<flows.LaunchedFlow> {
    return vfs.vfsRefresh(this.conn, i, o);
  }
  vfsDownload(i: Omit<vfs.VfsPathInput, 'depth'>, o?: OpOptions): Promise<flows.LaunchedFlow> {
    return vfs.vfsDownload(this.conn, i, o);
  }
  vfsList(i: vfs.VfsPathInput, o?: flows.WaitOptions): ReturnType<typeof vfs.vfsList> {
    return vfs.vfsList(this.conn, i, o);
  }
  listUploads(clientId: string, flowId: string, o?: OpOptions): Promise<vfs.UploadInfo[]> {
    return vfs.listUploads(this.conn, clientId, flowId, o);
  }
  downloadFile(
    source: { components: string[]; clientId?: string },
    dest: string,
    o?: vfs.DownloadOptions,
  ): Promise<vfs.DownloadResult> {
    return vfs.downloadFile(this.conn, source, dest, o);
  }
  downloadInto(
    source: { components: string[]; clientId?: string },
    folder: string,
    name: string,
    o?: vfs.SaveOptions,
  ): Promise<vfs.DownloadResult> {
    return vfs.downloadInto(this.conn, source, folder, name, o);
  }
  saveUpload(
    ref: { clientId: string; flowId: string; vfsPath: string },
    folder: string,
    o?: vfs.DownloadOptions,
  ): Promise<vfs.DownloadResult> {
    return vfs.saveUpload(this.conn, ref, folder, o);
  }
  readRange(
    source: { components: string[]; clientId?: string },
    offset: number,
    length: number,
    o?: OpOptions,
  ): Promise<Buffer> {
    return vfs.readRange(this.conn, source, offset, length, o);
  }
  exportFlowZip(
    clientId: string,
    flowId: string,
    dest: string,
    o?: vfs.DownloadOptions,
  ): ReturnType<typeof vfs.exportFlowZip> {
    return vfs.exportFlowZip(this.conn, clientId, flowId, dest, o);
  }
  prepareFlowZip(clientId: string, flowId: string, o?: OpOptions): Promise<string[]> {
    return vfs.prepareFlowZip(this.conn, clientId, flowId, o);
  }
  prepareHuntZip(huntId: string, o?: OpOptions): Promise<string[]> {
    return vfs.prepareHuntZip(this.conn, huntId, o);
  }
  exportHuntZip(huntId: string, dest: string, o?: vfs.DownloadOptions): ReturnType<typeof vfs.exportHuntZip> {
    return vfs.exportHuntZip(this.conn, huntId, dest, o);
  }

  // Hunts
  planCreateHunt(i: hunts.CreateHuntInput): BuiltQuery {
    return hunts.planCreateHunt(i);
  }
  createHunt(i: hunts.CreateHuntInput, o?: OpOptions): Promise<{ huntId: string }> {
    return hunts.createHunt(this.conn, i, o);
  }
  previewHuntScope(scope: HuntScopeRule, o?: OpOptions): Promise<clients.ClientSummary[]> {
    return hunts.previewHuntScope(this.conn, scope, o);
  }
  planHuntUpdate(huntId: string, action: 'start' | 'stop'): BuiltQuery {
    return hunts.planHuntUpdate(huntId, action);
  }
  startHunt(huntId: string, o?: OpOptions): Promise<hunts.HuntSummary> {
    return hunts.startHunt(this.conn, huntId, o);
  }
  stopHunt(huntId: string, o?: OpOptions): Promise<hunts.HuntSummary> {
    return hunts.stopHunt(this.conn, huntId, o);
  }
  listHunts(i?: { limit?: number; state?: string } & OpOptions): Promise<hunts.HuntSummary[]> {
    return hunts.listHunts(this.conn, i);
  }
  huntStatus(huntId: string, o?: OpOptions): Promise<hunts.HuntSummary> {
    return hunts.huntStatus(this.conn, huntId, o);
  }
  huntFlows(huntId: string, i?: { limit?: number } & OpOptions): Promise<hunts.HuntFlow[]> {
    return hunts.huntFlows(this.conn, huntId, i);
  }
  huntResults(
    huntId: string,
    artifact: string,
    i?: { limit?: number } & OpOptions,
  ): ReturnType<typeof hunts.huntResults> {
    return hunts.huntResults(this.conn, huntId, artifact, i);
  }
  streamHuntResults(
    huntId: string,
    artifact: string,
    o?: QueryOptions,
  ): AsyncGenerator<QueryEvent, void, undefined> {
    return hunts.streamHuntResults(this.conn, huntId, artifact, o);
  }
}
