/**
 * Public API of agent pushes (issue 17): client configs from any server, host lists, the journaled
 * fan-out, the SSH pusher (Linux in upstream's client layout, macOS through `service install`), and the
 * service the app, the CLI and MCP build.
 */
export { agentHandlers, type AgentHandlerDeps } from './handlers';
export {
  AgentService,
  type AgentServiceDeps,
  type CollectorBuild,
  type CollectorPlan,
  type CollectorRequest,
  type AnsibleKitRequest,
  type EnrollmentStatus,
  type HostKeyScanResult,
  type ImportCollectionRequest,
  type GpoKitRequest,
  type InstallerRequest,
  type KitBinary,
  type KitProgress,
  type ServerTarget,
  type SshPushRequest,
  type WinRmPushRequest,
} from './service';
export { importCollection, IMPORT_ARTIFACT, type ImportCollectionInput } from './collection-import';
export { inspectCollectionZip, collectionHeadProblem, type CollectionZipInfo } from './collection-zip';
export { KIT_UPLOAD_KINDS } from './kit-uploads';
export { planToolPreload, preloadTools, declaredTools, type ToolSources } from './tool-preload';
export { copyToServer, removeServerFile, serverSha256, type ServerFile } from './server-files';
export { agentConfig, checkLabel, clientConfigOfServerConfig, type AgentConfig } from './client-config';
export { AgentPushRunner, MAX_CONCURRENCY, type PushPlan, type RunOptions } from './fanout';
export { AgentRunStore, type AgentRunDoc, type RunHost } from './run-journal';
export { SshAgentPusher, SshPushSettings, type SshPushSettingsInput } from './ssh-push';
export { runSummary, summaryCsv, SUMMARY_COLUMNS } from './summary';
export { FULL_DISK_ACCESS_NOTE } from './mac-service';
export { WinRmAgentPusher, WinRmPushSettings, type WinRmPushSettingsInput } from './winrm-push';
export { WinRmClient, type CertificatePolicy, type WinRmOptions } from './winrm/client';
export { probeCertificate, scanCertificates, trustCertificates } from './winrm/certificates';
export { appWinRmCertsFile, WinRmCertStore } from './winrm/cert-store';
export { writeAnsibleKit, type AnsibleKit, type AnsibleKitInput } from './ansible-kit';
export {
  buildOfflineCollector,
  collectorParameters,
  OfflineCollectorSpec,
  COLLECTOR_TOOLS,
  type BuiltCollector,
  type OfflineCollectorSpecInput,
} from './offline-collector';
export { buildInstaller, installerCommand, MSI_RESIGN_NOTE } from './installers';
export { writeGpoKit, gpoReadme } from './gpo-kit';
