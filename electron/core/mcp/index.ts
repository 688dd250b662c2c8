/**
 * Public API of the assistants (MCP) domain: the composition root builds it with createMcpDomain;
 * `megaraptor mcp --stdio` runs one stdio server over saved or given connections.
 */
export {
  createMcpDomain,
  DEFAULT_MCP_PORT,
  type McpConnections,
  type McpDomain,
  type McpDomainOptions,
} from './app';
export { AppConnections, type AppConnectionsDeps } from './app-connections';
export { runStdio, type StdioOptions } from './stdio';
export { RegistryServers, type McpServers, type RegistryServersDeps } from './servers';
export {
  ReadOnlyIdentities,
  StoredReadOnlyIdentities,
  type ReadOnlyConfigSource,
} from './read-only-identity';
export { keyMaterialForms } from './redact';
