/** Valid arguments for every tool, parameterised by the ids a dataset provides. */
export interface CaseIds {
  clientId: string;
  flowId: string;
  huntId: string;
  source: string;
  folder: string;
  vfsPath: string;
}

export function toolCases(ids: CaseIds): Record<string, Record<string, unknown>> {
  return {
    list_connections: {},
    server_info: {},
    list_orgs: {},
    search_clients: { search: 'all' },
    get_client: { client_id: ids.clientId },
    label_client: { client_id: ids.clientId, labels: ['mcp-test'], operation: 'add' },
    quarantine_client: { client_id: ids.clientId, quarantine: true },
    list_artifacts: { search: 'Pslist' },
    get_artifact: { name: 'Windows.System.Pslist' },
    collect_artifact: { client_id: ids.clientId, artifacts: ['Windows.System.Pslist'] },
    collect_and_wait: {
      client_id: ids.clientId,
      artifacts: ['Windows.System.Pslist'],
      wait_seconds: 30,
      max_rows: 5,
    },
    list_flows: { client_id: ids.clientId },
    get_flow_status: { client_id: ids.clientId, flow_id: ids.flowId },
    get_flow_logs: { client_id: ids.clientId, flow_id: ids.flowId },
    get_flow_results: { client_id: ids.clientId, flow_id: ids.flowId, source: ids.source, max_rows: 5 },
    cancel_flow: { client_id: ids.clientId, flow_id: ids.flowId },
    list_flow_uploads: { client_id: ids.clientId, flow_id: ids.flowId },
    download_upload: {
      client_id: ids.clientId,
      flow_id: ids.flowId,
      vfs_path: ids.vfsPath,
      folder: ids.folder,
    },
    vfs_list: { client_id: ids.clientId, path: 'C:/', wait_seconds: 30 },
    vfs_refresh: { client_id: ids.clientId, path: 'C:/', depth: 0 },
    create_hunt: { description: 'mcp test hunt', artifacts: ['Windows.System.Pslist'], os: 'windows' },
    preview_hunt_scope: { os: 'windows' },
    start_hunt: { hunt_id: ids.huntId },
    stop_hunt: { hunt_id: ids.huntId },
    list_hunts: {},
    get_hunt: { hunt_id: ids.huntId },
    get_hunt_results: { hunt_id: ids.huntId, source: ids.source, max_rows: 5 },
    run_vql: { query: 'SELECT * FROM clients() WHERE client_id = Id', env: { Id: ids.clientId } },
    vql_help: { search: 'glob' },
    dfir_processes: { client_id: ids.clientId, wait_seconds: 30, max_rows: 5 },
    dfir_network_connections: { client_id: ids.clientId, wait_seconds: 30, max_rows: 5 },
    dfir_persistence: { client_id: ids.clientId, wait_seconds: 30, max_rows: 5 },
    dfir_logons_users: { client_id: ids.clientId, wait_seconds: 30, max_rows: 5 },
    dfir_recent_activity: { client_id: ids.clientId, wait_seconds: 30, max_rows: 5 },
    dfir_file_search: {
      client_id: ids.clientId,
      glob: 'C:/Users/*/Downloads/*.exe',
      wait_seconds: 30,
      max_rows: 5,
    },
  };
}
