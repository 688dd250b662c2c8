/**
 * Typed errors with stable codes. Every failure that crosses a boundary (IPC, WebSocket, MCP, CLI)
 * carries one of these codes so callers can react to it and tests can assert on it, and a message
 * a responder can act on. The same file is imported by main, core, CLI and renderer: no runtime
 * dependency on Node or the DOM.
 */

export const ErrorCodes = {
  // Contract / transport
  CONTRACT_UNKNOWN_CHANNEL: 'The call names a channel that does not exist.',
  CONTRACT_INVALID_INPUT: 'The call carried input that does not match its contract.',
  CONTRACT_INVALID_OUTPUT: 'A service returned a value that does not match its contract (a bug).',
  CONTRACT_FORBIDDEN_SENDER: 'The call came from a frame or client that may not use the contract.',
  STREAM_NOT_FOUND: 'The stream is unknown or already finished.',
  CANCELLED: 'The operation was cancelled.',
  TIMEOUT: 'The operation did not finish in time.',
  INTERNAL: 'An unexpected internal error.',
  TRANSPORT_CLOSED: 'The connection between the window and the app core closed; reload the window.',
  NOT_FOUND: 'The thing asked for does not exist.',
  INVALID_ARGUMENT: 'An argument is not valid.',
  CONFLICT: 'The thing already exists or changed meanwhile.',

  // API client configs and certificates
  CONFIG_NOT_YAML: 'The file is not valid YAML.',
  CONFIG_MISSING_KEY: 'A required key is missing from the config.',
  CONFIG_UNKNOWN_KEY: 'The config has a key Velociraptor does not write.',
  CONFIG_INVALID_PEM: 'A PEM block in the config cannot be parsed.',
  CONFIG_BAD_CONNECTION_STRING: 'The api_connection_string is not host:port or unix:///path.',
  CONFIG_PASSPHRASE_REQUIRED: 'The private key is encrypted and needs its passphrase.',
  CONFIG_WRONG_PASSPHRASE: 'The passphrase does not decrypt the private key.',
  CERT_KEY_MISMATCH: 'The private key does not belong to the certificate.',
  CERT_NOT_SIGNED_BY_CA: 'The certificate was not signed by the configured CA.',
  CERT_EXPIRED: 'The certificate has expired.',
  CERT_NOT_YET_VALID: 'The certificate is not valid yet.',

  // Velociraptor server
  SERVER_UNREACHABLE: 'The Velociraptor server cannot be reached.',
  TLS_HANDSHAKE_FAILED: 'The TLS handshake with the server failed.',
  PERMISSION_DENIED: 'The API user lacks a permission for this action.',
  USER_UNKNOWN: 'The server does not know the API user of this certificate.',
  VQL_ERROR: 'The VQL query failed on the server.',
  CONNECTION_NOT_FOUND: 'No connection with that name is configured.',

  // Credentials
  KEYCHAIN_UNAVAILABLE: 'No OS keychain (Secret Service) is available.',
  KEYCHAIN_LOCKED: 'The OS keychain is locked or did not answer in time.',
  KEYCHAIN_ACCESS_DENIED: 'The OS keychain refused access.',
  SECRET_MISSING: 'A secret listed in the index is missing from the keychain.',
  STORE_CORRUPT: 'The credential index is damaged.',
  VAULT_WRONG_PASSPHRASE: 'The passphrase does not open the file vault.',

  // MCP
  APPROVAL_DENIED: 'The responder denied the action.',
  APPROVAL_TIMEOUT: 'The responder did not answer the approval request in time.',
  POLICY_FORBIDDEN: 'The assistant policy does not allow this action.',

  // Deployment
  DEPLOY_PREFLIGHT_FAILED: 'A pre-flight check failed; nothing was created.',
  DEPLOY_FAILED: 'The deployment failed.',
  DEPLOY_PROFILE_VIOLATION: 'The deployment asks for something its profile does not allow.',
  DEPLOY_VERIFY_FAILED: 'The deployed server did not pass verification.',
  DEPLOY_ROLLBACK_INCOMPLETE: 'Some resources could not be removed; they are listed and kept in the journal.',
  DEPLOY_IN_PROGRESS: 'Another process is working on this deployment.',
  DEPLOY_TARGET_UNREACHABLE: 'The deployment target (Docker engine, host, cloud API) cannot be reached.',
  DEPLOY_LEGAL_HOLD: 'A legal hold keeps this deployment: nothing is destroyed until the hold is lifted.',
  DEPLOY_EXPORT_FAILED: 'The evidence export before destruction did not complete; nothing was destroyed.',
  RELEASE_UNAVAILABLE: 'The Velociraptor release or its list cannot be fetched.',
  RELEASE_ASSET_MISSING: 'The release has no asset for this operating system and architecture.',
  RELEASE_DOWNLOAD_INCOMPLETE: 'The download ended before the whole file arrived.',
  RELEASE_SIGNATURE_INVALID: 'The file does not carry a valid signature of the trusted release key.',

  // SSH targets (server hosts, agent pushes)
  SSH_UNREACHABLE: 'The SSH host (or its jump host) cannot be reached.',
  SSH_AUTH_FAILED: 'The SSH host refused the login (user, key, agent or password).',
  SSH_KEY_UNUSABLE: 'The private key file cannot be used (unreadable, not a key, public, or not opened).',
  SSH_HOST_KEY_UNKNOWN: 'The SSH host key is not known yet; confirm its fingerprint first.',
  SSH_HOST_KEY_MISMATCH: 'The SSH host key differs from the one remembered for that host.',
  SSH_SUDO_REFUSED: 'sudo on the SSH host refused to run the command as root.',
  SSH_NO_SPACE: 'The SSH host has no space left where the file was to be written.',
  SSH_COMMAND_FAILED: 'A command on the SSH host failed.',

  // Agents (push, installers, kits)
  WINRM_UNREACHABLE: 'The WinRM listener of the host cannot be reached.',
  WINRM_AUTH_FAILED: 'The host refused the WinRM login (user, password, NTLM or Basic).',
  WINRM_CERT_UNTRUSTED: 'The WinRM listener presented a certificate that is not trusted for this host.',
  WINRM_CERT_UNKNOWN: 'The WinRM listener certificate is not pinned yet; confirm its fingerprint first.',
  WINRM_FAULT: 'The host answered a WS-Management request with a fault.',
  WINRM_COMMAND_FAILED: 'A command run over WinRM failed.',
  WINRM_SEAL_INVALID: 'A WinRM message sealed with NTLM (plain HTTP) failed its signature check.',
  AGENT_PLATFORM_UNSUPPORTED: 'The host runs a system or architecture no agent can be pushed to.',
  AGENT_NOT_ENROLLED: 'The agent was installed but did not enroll with the server in time.',
  AGENT_INSTALL_FAILED: 'The agent could not be installed on the host.',
  AGENT_RUN_IN_PROGRESS: 'Another process is working on this agent push.',
  KIT_BUILD_FAILED: 'An installer, kit or collector could not be built.',
  // Cloud targets (AWS, Azure)
  CLOUD_CREDENTIALS_MISSING: 'No cloud credentials were found, or they have expired.',
  CLOUD_ACCESS_DENIED: 'The cloud account may not do this (a missing permission or a policy).',
  CLOUD_QUOTA_EXCEEDED: 'A cloud quota or limit stops this (instances, addresses, vCPUs).',
  CLOUD_REQUEST_FAILED: 'The cloud API refused or failed a request.',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message ?? ErrorCodes[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options?.details;
  }

  toPayload(): ErrorPayload {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromPayload(p: ErrorPayload): AppError {
    return new AppError(p.code, p.message, p.details === undefined ? undefined : { details: p.details });
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ErrorCodes, value);
}

export function isAppError(e: unknown, code?: ErrorCode): e is AppError {
  return e instanceof AppError && (code === undefined || e.code === code);
}

/** The message of anything thrown: an Error's own message, else its string form. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Anything thrown, as an Error (for a rejection or a `cause` that must be one). */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Anything thrown as one line a responder can act on: the message, and an AppError's stable code. */
export function describeError(e: unknown): string {
  return isAppError(e) ? `${e.message} (${e.code})` : messageOf(e);
}
