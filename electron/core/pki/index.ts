/**
 * Public API of the PKI domain: minting (certificates), validation helpers used everywhere a PEM
 * comes in (validate), Velociraptor config writers (config-files), server-side API identities
 * (api-identity) and rotations (rotation/).
 */
export * from './certificates';
export * from './validate';
export * from './config-files';
export * from '../velociraptor/operations/users';
export { hashPassword, verifyPassword, type PasswordHash } from './password-hash';
export {
  RotationService,
  type AgentConfigReport,
  type CaRotationPlan,
  type ServerAdmin,
} from './rotation/rotation-service';
export { RotationJournal, type JournalRecord } from './rotation/journal';
