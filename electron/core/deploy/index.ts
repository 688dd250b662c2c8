/**
 * Public API of the deployments domain. Targets implement `Deployer` (model.ts) and are run by the
 * `DeploymentRunner` (journal, progress, rollback, resume, clean-up); `DeploymentService` is what the
 * composition root builds. See README.md for what each module owns and how a new target plugs in.
 */
export type {
  Deployer,
  DeploymentPlan,
  DeployRequest,
  OperationDefinition,
  PlanContext,
  PreflightContext,
  RemoveContext,
  ResourceRemover,
  StepContext,
  StepDefinition,
} from './model';
export {
  DeploymentRunner,
  refuseHeld,
  type DeployOutcome,
  type OperationOutcome,
  type RemovalOutcome,
  type RunOptions,
} from './runner';
export { JournalStore, planOf, type JournalDoc } from './journal';
export {
  PROFILES,
  resolveProfile,
  checkTarget,
  type Profile,
  type ProfileOverrides,
  type ResolvedProfile,
} from './profiles';
export {
  DeploymentService,
  releaseSourceFromEnv,
  summary,
  noticesOf,
  type DeploymentStatus,
  type DestroyOptions,
  type ReapOutcome,
} from './service';
export { deployHandlers, planView, profileView, removedView, evidenceView } from './handlers';
export { certificateStatuses, expiryLevel, renewalDue, EXPIRY_WARNING_DAYS } from './certificates';
export { exportEvidence, type EvidenceExport, type EvidenceFile } from './evidence-export';
export { deploymentDocs } from './docs-export';
export type { TargetOperations } from './target-operations';
export { builtInTargets, appKnownHostsFile, type DeploymentTarget, type TargetDeps } from './targets';
export { RECOMMENDED_RELEASE } from './releases/source';
export { connectionSink, ConnectionRemover, type ConnectionSink } from './connection-sink';
export {
  identitySecrets,
  mintIdentities,
  apiClientConfig,
  loadServerConfig,
  loadAdminPassword,
} from './server-identity';
export { verifyApi, verifyGui } from './verify';
export { ReleaseCache, acceptLocalBinary, type VerifiedBinary } from './releases/cache';
export { ReleaseSource, type ReleaseSourceConfig } from './releases/source';
export { CONTAINER_PLATFORM, hostPlatform, pickAsset, type PlatformWanted } from './releases/assets';
export { VELOCIDEX_RELEASE_KEY, type TrustedKey } from './releases/signature';
export { DockerDeployer, DockerSettings, dockerPlan } from './docker/docker-deployer';
export { DockerEngines, engineFromEnv, type EngineRef } from './docker/engine';
export {
  agentHandlers,
  AgentService,
  agentConfig,
  collectionHeadProblem,
  inspectCollectionZip,
  KIT_UPLOAD_KINDS,
  writeAnsibleKit,
  runSummary,
  summaryCsv,
  FULL_DISK_ACCESS_NOTE,
  type AgentRunDoc,
  type RunHost,
  type SshPushRequest,
  type SshPushSettingsInput,
  type WinRmPushSettingsInput,
  type WinRmPushRequest,
  type CollectorBuild,
  type CollectorPlan,
  type CollectorRequest,
  type EnrollmentStatus,
  type ImportCollectionInput,
  type ImportCollectionRequest,
  type KitProgress,
  type ServerTarget,
  type OfflineCollectorSpecInput,
  type AnsibleKit,
  type AnsibleKitRequest,
  type GpoKitRequest,
  type InstallerRequest,
} from './agents/index';
export { HostKeyStore, checkHostKey, trustHostKey, type ConfirmHostKey } from './ssh/index';
