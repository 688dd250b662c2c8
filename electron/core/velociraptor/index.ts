/** Public surface of the Velociraptor client for the composition root, MCP tools, UI handlers and CLI. */
export {
  loadApiConfig,
  configNeedsPassphrase,
  DEFAULT_SERVER_NAME,
  type ApiConfig,
  type LoadOptions,
} from './config/api-config';
export { parseConnectionString, type Endpoint } from './config/connection-string';
export { ConnectionRegistry, type RegistryDeps, type ServerSummary } from './registry';
export { VelociraptorConnection } from './connection';
export { VelociraptorService } from './service';
export {
  connectionHint,
  testConnection,
  type ConnectionStep,
  type ConnectionTestReport,
  type StepId,
  type TestConnectionOptions,
} from './test-connection';
export { RowFormatter, rawLines, type OutputFormat } from './output/format';
export { stripTerminalControls } from './output/terminal';
export { readConfigFile } from './config/read-config-file';
export { mapGrpcError } from './grpc-errors';
export type { QueryEvent, RowsEvent, LogEvent, QueryOptions, RawRows } from './query/stream';
export { parseRowRange } from './query/batch-parse';
export { scanRows } from './query/row-scan';
export type { QueryResult, RowsOptions } from './query/rows';
export { parseJsonExact, stringifyExact, type Row, type JsonValue, type BigIntMode } from './query/json';
export * as vqlBuilder from './vql/builder';
export { userQuery, type BuiltQuery } from './vql/builder';
export { evidenceFileName } from './operations/vfs';
export type * from './operations/clients';
export type * from './operations/flows';
export type * from './operations/hunts';
export type * from './operations/artifacts';
export type * from './operations/server';
export type * from './operations/vfs';
export type * from './operations/file-search';
export type { Declarations } from './operations/catalog';
export { FILE_FINDER, HASH_HUNTER } from './operations/file-search';
export {
  DEFAULT_API_ROLES,
  ROLES,
  revokeRolesQuery,
  serverAdmin,
  userAddCommand,
  userCreateQuery,
  validateRoles,
  type Role,
} from './operations/users';
