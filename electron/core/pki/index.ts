/**
 * Public API of the PKI domain, X.509 and files only: minting (certificates), validation helpers used
 * everywhere a PEM comes in (validate), Velociraptor config writers (config-files), password hashes
 * and rotations (rotation/). It imports no other domain: the server-side users of an identity are
 * Velociraptor operations (velociraptor/operations/users.ts), reached through the ServerAdmin port.
 */
export * from './certificates';
export * from './validate';
export * from './config-files';
export { hashPassword, verifyPassword, type PasswordHash } from './password-hash';
export {
  RotationService,
  type AgentConfigReport,
  type CaRotationPlan,
  type RenewOptions,
  type ServerAdmin,
} from './rotation/rotation-service';
export { RotationJournal, type JournalRecord } from './rotation/journal';
