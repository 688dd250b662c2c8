/**
 * Public API of the connections domain: the responder's Velociraptor servers. The composition root
 * builds one ConnectionManager (keychain, credential index, demo factory injected) and shares it
 * with the investigation and MCP domains; `megaraptor mcp --stdio` re-reads the same saved
 * servers (connectionsFile + the keychain accounts of keychain-refs.ts) from another process.
 */
export {
  ConnectionManager,
  connectionsFile,
  DEMO_NAME,
  type ConnectionManagerDeps,
  type DemoFactory,
} from './manager';
export {
  connectionCredentials,
  clientCertFingerprint,
  type ConnectionCredentials,
} from './credential-records';
export { connectionSecretRefs, keychainName, SavedConfigs } from './keychain-refs';
export { connectionHandlers } from './handlers';
export { testConnection } from './connection-test';
