/**
 * Certificate rotation, each kind on its own, journaled and reversible until confirmed:
 * - Frontend (also the API server certificate): new leaf from the same CA; agents keep working.
 * - GUI gateway certificate.
 * - One API client: Velociraptor has no revocation list, so the new certificate gets a new user
 *   name with the same roles; on confirm the old user's roles are removed (its certificate is then
 *   useless). Rollback removes the new user's roles instead.
 * - The CA, staged: stage 1 makes a new CA and a client config whose ca_certificate holds BOTH CAs,
 *   plus a plan of every agent with the CA(s) of the config it last reported; stage 2 switches the
 *   server to a Frontend certificate from the new CA only when the chosen share of agents holds the
 *   bundle, and lists the others.
 * - Renewal of any of these (`renew*`): the same key with a new validity, journaled and reversible
 *   the same way. Renewal is what keeps a server whose CA key stays on the responder's machine
 *   running past its certificates' first year; unlike a Frontend rotation it orphans nothing.
 * Rollback material (old certificates and keys, the new CA key) lives in the SecretStore, never in
 * the journal. Server configs are handled as parsed objects; callers write and deliver them.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../../../shared/errors';
import type { SecretStore } from '../../credentials/index';
import {
  createCertificateAuthority,
  renewCertificate,
  issueApiClientCertificate,
  issueFrontendCertificate,
  issueGatewayCertificate,
  loadCertificateAuthority,
  type CertificateAuthority,
  type IssuedCertificate,
  type KeyAlgorithm,
} from '../certificates';
import { writeApiClientConfig, writeClientConfig } from '../config-files';
import { fingerprintSha256, parseCertificateBundle } from '../validate';
import { RotationJournal, type JournalRecord } from './journal';

type ServerConfig = Record<string, unknown>;

/** A renewal's validity: from `notBefore` (default: 5 minutes ago) for `validityDays`. */
export interface RenewOptions {
  validityDays: number;
  notBefore?: Date;
}

/**
 * The server-side users an API client rotation needs, done with an administrator identity
 * (velociraptor/operations/users.ts builds one over a connection). A port, so pki stays X.509 only.
 */
export interface ServerAdmin {
  /**
   * Creates (or updates) the user with exactly these roles and returns them as granted. Refuses
   * (INVALID_ARGUMENT) an unknown role, and administrator unless `allowAdministrator`, before it
   * reaches the server.
   */
  createUser(
    name: string,
    roles: readonly string[],
    options: { allowAdministrator: boolean },
  ): Promise<string[]>;
  /** Removes every role of the user: its certificate then opens nothing (there is no revocation list). */
  revokeRoles(name: string): Promise<void>;
}

/** What an agent last reported: the CA fingerprints in the config it runs with. */
export interface AgentConfigReport {
  clientId: string;
  hostname: string;
  caFingerprints: string[];
  lastSeen?: string;
}

export interface CaRotationPlan {
  rotationId: string;
  newCaFingerprint: string;
  oldCaFingerprint: string;
  /** client.config.yaml with both CAs: push this to every agent before the switch. */
  bundleClientConfig: string;
  agents: Array<AgentConfigReport & { hasBundle: boolean }>;
  share: number;
}

interface Backup {
  section: 'Frontend' | 'GUI' | 'CA' | 'ApiClient';
  certificatePem?: string;
  privateKeyPem?: string;
  caCertificatePem?: string;
}

const section = (config: ServerConfig, name: string): Record<string, unknown> => {
  const s = config[name];
  if (typeof s !== 'object' || s === null)
    throw new AppError('CONFIG_MISSING_KEY', `The server config has no ${name} section.`);
  return s as Record<string, unknown>;
};

export class RotationService {
  private readonly journal: RotationJournal;

  constructor(private readonly options: { journalPath: string; secrets: SecretStore; clock?: () => Date }) {
    this.journal = new RotationJournal(options.journalPath);
  }

  private now(): string {
    return (this.options.clock?.() ?? new Date()).toISOString();
  }

  private backupRef(id: string): string {
    return `rotation:${id}:backup`;
  }

  private async record(r: Omit<JournalRecord, 'at'>): Promise<void> {
    await this.journal.append({ ...r, at: this.now() });
  }

  async history(): Promise<JournalRecord[]> {
    return [...(await this.journal.current()).values()];
  }

  /** New Frontend certificate from the same CA. Returns the new server config. */
  async rotateFrontend(
    config: ServerConfig,
    ca: CertificateAuthority,
    options: { bits?: 2048 | 3072 | 4096; pinnedName?: string } = {},
  ) {
    const frontend = section(config, 'Frontend');
    const issued = await issueFrontendCertificate(ca, options);
    return this.replaceLeaf(
      config,
      'frontend',
      'Frontend',
      ['certificate', 'private_key'],
      String(frontend.certificate),
      String(frontend.private_key),
      issued,
    );
  }

  /** The Frontend certificate renewed: same key (collections encrypted to it stay readable). */
  async renewFrontend(config: ServerConfig, ca: CertificateAuthority, options: RenewOptions) {
    const frontend = section(config, 'Frontend');
    const current = {
      certificatePem: String(frontend.certificate),
      privateKeyPem: String(frontend.private_key),
    };
    return this.replaceLeaf(
      config,
      'frontend',
      'Frontend',
      ['certificate', 'private_key'],
      current.certificatePem,
      current.privateKeyPem,
      await renewCertificate(ca, current, options),
      { renewal: true },
    );
  }

  /** The GUI gateway certificate renewed (same key). */
  async renewGui(config: ServerConfig, ca: CertificateAuthority, options: RenewOptions) {
    const gui = section(config, 'GUI');
    const current = { certificatePem: String(gui.gw_certificate), privateKeyPem: String(gui.gw_private_key) };
    return this.replaceLeaf(
      config,
      'gui',
      'GUI',
      ['gw_certificate', 'gw_private_key'],
      current.certificatePem,
      current.privateKeyPem,
      await renewCertificate(ca, current, options),
      { renewal: true },
    );
  }

  /**
   * An API client identity renewed: same key and user name, so the server maps it to the same user
   * and nothing needs registering (contrast rotateApiClient, which must change the name).
   */
  async renewApiClient(
    identity: IssuedCertificate,
    ca: CertificateAuthority,
    options: RenewOptions,
  ): Promise<{ rotationId: string; identity: IssuedCertificate }> {
    const rotationId = randomUUID();
    const backup: Backup = { section: 'ApiClient', ...identity };
    await this.options.secrets.set(this.backupRef(rotationId), JSON.stringify(backup));
    const renewed = await renewCertificate(ca, identity, options);
    await this.record({
      rotationId,
      kind: 'api-client',
      state: 'applied',
      details: {
        renewal: true,
        oldFingerprint: fingerprintSha256(identity.certificatePem),
        newFingerprint: fingerprintSha256(renewed.certificatePem),
        backupRef: this.backupRef(rotationId),
      },
    });
    return { rotationId, identity: renewed };
  }

  /** New GUI gateway certificate (GUI.gw_certificate / gw_private_key). */
  async rotateGui(
    config: ServerConfig,
    ca: CertificateAuthority,
    options: { algorithm?: KeyAlgorithm } = {},
  ) {
    const gui = section(config, 'GUI');
    const issued = await issueGatewayCertificate(ca, options);
    return this.replaceLeaf(
      config,
      'gui',
      'GUI',
      ['gw_certificate', 'gw_private_key'],
      String(gui.gw_certificate),
      String(gui.gw_private_key),
      issued,
    );
  }

  private async replaceLeaf(
    config: ServerConfig,
    kind: 'frontend' | 'gui',
    name: 'Frontend' | 'GUI',
    keys: [string, string],
    oldCert: string,
    oldKey: string,
    issued: { certificatePem: string; privateKeyPem: string },
    extra: Record<string, unknown> = {},
  ): Promise<{ rotationId: string; config: ServerConfig }> {
    const rotationId = randomUUID();
    const backup: Backup = { section: name, certificatePem: oldCert, privateKeyPem: oldKey };
    await this.options.secrets.set(this.backupRef(rotationId), JSON.stringify(backup));
    const next = structuredClone(config);
    Object.assign(section(next, name), { [keys[0]]: issued.certificatePem, [keys[1]]: issued.privateKeyPem });
    await this.record({
      rotationId,
      kind,
      state: 'applied',
      details: {
        ...extra,
        oldFingerprint: fingerprintSha256(oldCert),
        newFingerprint: fingerprintSha256(issued.certificatePem),
        backupRef: this.backupRef(rotationId),
      },
    });
    return { rotationId, config: next };
  }

  /**
   * New API client identity: a new user name with the same roles, created on the server now; the old
   * user keeps its roles until `confirm` (so the switch can be tested and rolled back).
   */
  async rotateApiClient(input: {
    ca: CertificateAuthority;
    admin: ServerAdmin;
    oldName: string;
    newName: string;
    roles: readonly string[];
    allowAdministrator?: boolean;
    apiConnectionString: string;
    algorithm?: KeyAlgorithm;
  }): Promise<{ rotationId: string; apiConfigYaml: string }> {
    if (input.newName === input.oldName)
      throw new AppError(
        'INVALID_ARGUMENT',
        'The rotated identity needs a new user name: Velociraptor cannot revoke a certificate.',
      );
    const client = await issueApiClientCertificate(
      input.ca,
      input.newName,
      input.algorithm ? { algorithm: input.algorithm } : {},
    );
    const rotationId = randomUUID();
    const roles = await input.admin.createUser(input.newName, input.roles, {
      allowAdministrator: input.allowAdministrator ?? false,
    });
    await this.record({
      rotationId,
      kind: 'api-client',
      state: 'applied',
      details: {
        oldName: input.oldName,
        newName: input.newName,
        roles,
        newFingerprint: fingerprintSha256(client.certificatePem),
      },
    });
    const apiConfigYaml = writeApiClientConfig({
      caCertificatePem: input.ca.certificatePem,
      client,
      name: input.newName,
      apiConnectionString: input.apiConnectionString,
    });
    return { rotationId, apiConfigYaml };
  }

  /** Stage 1 of a CA rotation: new CA, the two-CA client config, and the agent plan. */
  async stageCaRotation(input: {
    config: ServerConfig;
    agents: AgentConfigReport[];
  }): Promise<CaRotationPlan> {
    const client = section(input.config, 'Client');
    const oldCaPem = String(client.ca_certificate);
    const oldCa = parseCertificateBundle(oldCaPem)[0]!;
    const newCa = await createCertificateAuthority();
    const rotationId = randomUUID();
    // The new CA key is needed at stage 2 (and for every later API client): keep it in the store.
    await this.options.secrets.set(
      `rotation:${rotationId}:new-ca`,
      JSON.stringify({ certificatePem: newCa.certificatePem, privateKeyPem: newCa.privateKeyPem }),
    );
    const bundle = `${oldCa.toString().trim()}\n${newCa.certificatePem.trim()}\n`;
    const bundleClientConfig = writeClientConfig(input.config, { caCertificatePem: bundle });
    const plan = this.planFor(
      rotationId,
      oldCa.fingerprint256,
      fingerprintSha256(newCa.certificatePem),
      bundleClientConfig,
      input.agents,
    );
    await this.record({
      rotationId,
      kind: 'ca',
      state: 'staged',
      details: {
        oldCaFingerprint: plan.oldCaFingerprint,
        newCaFingerprint: plan.newCaFingerprint,
        newCaRef: `rotation:${rotationId}:new-ca`,
        agents: input.agents.length,
      },
    });
    return plan;
  }

  private planFor(
    rotationId: string,
    oldFp: string,
    newFp: string,
    bundleClientConfig: string,
    agents: AgentConfigReport[],
  ): CaRotationPlan {
    const rows = agents.map((a) => ({
      ...a,
      hasBundle: a.caFingerprints.includes(oldFp) && a.caFingerprints.includes(newFp),
    }));
    const share = rows.length === 0 ? 1 : rows.filter((r) => r.hasBundle).length / rows.length;
    return {
      rotationId,
      oldCaFingerprint: oldFp,
      newCaFingerprint: newFp,
      bundleClientConfig,
      agents: rows,
      share,
    };
  }

  /** The plan again with fresh agent reports (progress of stage 1). */
  async caRotationPlan(
    rotationId: string,
    config: ServerConfig,
    agents: AgentConfigReport[],
  ): Promise<CaRotationPlan> {
    const rec = await this.find(rotationId, 'ca');
    const newCa = await this.newCa(rotationId);
    const oldCaPem = parseCertificateBundle(String(section(config, 'Client').ca_certificate))[0]!.toString();
    const bundle = `${oldCaPem.trim()}\n${newCa.certificatePem.trim()}\n`;
    return this.planFor(
      rotationId,
      String(rec.details.oldCaFingerprint),
      String(rec.details.newCaFingerprint),
      writeClientConfig(config, { caCertificatePem: bundle }),
      agents,
    );
  }

  /**
   * Stage 2: only when at least `minShare` of the agents hold the bundle. The server then presents a
   * Frontend certificate from the new CA and trusts both CAs (existing API clients keep working).
   */
  async switchCa(input: {
    rotationId: string;
    config: ServerConfig;
    agents: AgentConfigReport[];
    minShare: number;
  }): Promise<{ config: ServerConfig; notUpdated: AgentConfigReport[]; newCa: CertificateAuthority }> {
    const plan = await this.caRotationPlan(input.rotationId, input.config, input.agents);
    const notUpdated = plan.agents.filter((a) => !a.hasBundle).map(({ hasBundle: _h, ...a }) => a);
    if (plan.share < input.minShare) {
      throw new AppError(
        'CONFLICT',
        `Only ${Math.round(plan.share * 100)}% of agents hold the two-CA config (${Math.round(input.minShare * 100)}% needed). Push it to the listed agents first.`,
        {
          details: {
            share: plan.share,
            minShare: input.minShare,
            notUpdated: notUpdated.map((a) => ({ clientId: a.clientId, hostname: a.hostname })),
          },
        },
      );
    }
    const newCa = await this.newCa(input.rotationId);
    const frontend = await issueFrontendCertificate(newCa);
    const next = structuredClone(input.config);
    const client = section(next, 'Client');
    const front = section(next, 'Frontend');
    const backup: Backup = {
      section: 'CA',
      certificatePem: String(front.certificate),
      privateKeyPem: String(front.private_key),
      caCertificatePem: String(client.ca_certificate),
    };
    await this.options.secrets.set(this.backupRef(input.rotationId), JSON.stringify(backup));
    const bundle = `${parseCertificateBundle(String(client.ca_certificate))[0]!.toString().trim()}\n${newCa.certificatePem.trim()}\n`;
    client.ca_certificate = bundle;
    front.certificate = frontend.certificatePem;
    front.private_key = frontend.privateKeyPem;
    await this.record({
      rotationId: input.rotationId,
      kind: 'ca',
      state: 'applied',
      details: {
        share: plan.share,
        notUpdated: notUpdated.map((a) => a.clientId),
        backupRef: this.backupRef(input.rotationId),
        newFrontendFingerprint: fingerprintSha256(frontend.certificatePem),
      },
    });
    return { config: next, notUpdated, newCa };
  }

  /** Makes an applied rotation final: drops rollback material; for API clients revokes the old user. */
  async confirm(rotationId: string, options: { admin?: ServerAdmin } = {}): Promise<void> {
    const rec = await this.find(rotationId);
    if (rec.state !== 'applied')
      throw new AppError(
        'CONFLICT',
        `Rotation ${rotationId} is ${rec.state}; only an applied rotation can be confirmed.`,
      );
    if (rec.kind === 'api-client' && rec.details.renewal !== true) {
      if (!options.admin)
        throw new AppError(
          'INVALID_ARGUMENT',
          'Confirming an API client rotation removes the old user’s roles: an administrator connection is needed.',
        );
      await options.admin.revokeRoles(String(rec.details.oldName));
    }
    await this.options.secrets.delete(this.backupRef(rotationId));
    await this.record({ rotationId, kind: rec.kind, state: 'confirmed', details: {} });
  }

  /** Undoes an applied (or staged) rotation. Returns the restored server config where one applies. */
  async rollback(
    rotationId: string,
    options: { config?: ServerConfig; admin?: ServerAdmin } = {},
  ): Promise<{ config?: ServerConfig; identity?: IssuedCertificate }> {
    const rec = await this.find(rotationId);
    if (rec.state === 'confirmed' || rec.state === 'rolled-back')
      throw new AppError('CONFLICT', `Rotation ${rotationId} is ${rec.state} and cannot be rolled back.`);
    let restored: ServerConfig | undefined;
    if (rec.kind === 'api-client' && rec.details.renewal === true) {
      const b = await this.backup(rotationId);
      await this.options.secrets.delete(this.backupRef(rotationId));
      await this.record({ rotationId, kind: rec.kind, state: 'rolled-back', details: {} });
      return { identity: { certificatePem: b.certificatePem ?? '', privateKeyPem: b.privateKeyPem ?? '' } };
    }
    if (rec.kind === 'api-client') {
      if (!options.admin)
        throw new AppError(
          'INVALID_ARGUMENT',
          'Rolling back an API client rotation removes the new user’s roles: an administrator connection is needed.',
        );
      await options.admin.revokeRoles(String(rec.details.newName));
    } else if (rec.state === 'applied') {
      if (!options.config)
        throw new AppError('INVALID_ARGUMENT', 'Pass the current server config to roll back into.');
      const b = await this.backup(rotationId);
      restored = structuredClone(options.config);
      if (b.section === 'GUI')
        Object.assign(section(restored, 'GUI'), {
          gw_certificate: b.certificatePem,
          gw_private_key: b.privateKeyPem,
        });
      else
        Object.assign(section(restored, 'Frontend'), {
          certificate: b.certificatePem,
          private_key: b.privateKeyPem,
        });
      if (b.section === 'CA') section(restored, 'Client').ca_certificate = b.caCertificatePem;
      await this.options.secrets.delete(this.backupRef(rotationId));
    }
    await this.record({ rotationId, kind: rec.kind, state: 'rolled-back', details: {} });
    return restored ? { config: restored } : {};
  }

  private async backup(rotationId: string): Promise<Backup> {
    const raw = await this.options.secrets.get(this.backupRef(rotationId));
    if (!raw)
      throw new AppError(
        'SECRET_MISSING',
        `The rollback material of rotation ${rotationId} is missing from the keychain.`,
      );
    return JSON.parse(raw) as Backup;
  }

  private async newCa(rotationId: string): Promise<CertificateAuthority> {
    const raw = await this.options.secrets.get(`rotation:${rotationId}:new-ca`);
    if (!raw)
      throw new AppError(
        'SECRET_MISSING',
        `The new CA of rotation ${rotationId} is missing from the keychain.`,
      );
    const { certificatePem, privateKeyPem } = JSON.parse(raw) as {
      certificatePem: string;
      privateKeyPem: string;
    };
    return loadCertificateAuthority(certificatePem, privateKeyPem);
  }

  private async find(rotationId: string, kind?: JournalRecord['kind']): Promise<JournalRecord> {
    const rec = (await this.journal.current()).get(rotationId);
    if (!rec || (kind && rec.kind !== kind))
      throw new AppError('NOT_FOUND', `No ${kind ?? ''} rotation ${rotationId} in the journal.`);
    return rec;
  }
}
