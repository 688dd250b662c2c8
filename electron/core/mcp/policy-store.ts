/**
 * The assistant policy, shared by the app and the stdio servers it did not start, as a file in the
 * data dir that only the app can write validly: it carries an HMAC-SHA256 over its content and a
 * serial number, under a key that lives in the OS keychain with the current serial. A policy that
 * fails the check (edited by hand, written by another program or an assistant's file tool, an old
 * copy put back, written by a version that did not sign) is refused: the stdio server and the app
 * fall back to the default (`ask`: every gated tool waits for the responder) and say why.
 *
 * What it does not stop: a program running as the responder can also ask the keychain for the key
 * (a Secret Service session is open to every process of the user), and such a program does not
 * need the policy anyway. See docs/threat-model.md.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { McpPolicy } from '../../../shared/contracts/mcp';
import { AppError, messageOf } from '../../../shared/errors';
import type { SecretStore } from '../credentials/index';
import { JsonFile } from '../files/index';

export const DEFAULT_POLICY: McpPolicy = { mode: 'ask', allowTools: [], approvalTimeoutSeconds: 120 };

/** The keychain account holding the signing key and the serial of the current policy. */
export const POLICY_KEY_REF = 'mcp:policy-key';

/** The policy in effect, and why the file's was refused when it was. */
export type EffectivePolicy = McpPolicy & { notice?: string };

const SignedPolicy = z.object({
  version: z.literal(1),
  serial: z.number().int().min(1),
  policy: McpPolicy,
  mac: z.string().min(1).max(200),
});
type SignedPolicy = z.infer<typeof SignedPolicy>;

const KeyRecord = z.object({ key: z.string().min(40), serial: z.number().int().min(0) });
type KeyRecord = z.infer<typeof KeyRecord>;

/** The exact bytes the MAC covers: a label, the serial, and the policy with its keys in a fixed order. */
function signedText(serial: number, p: McpPolicy): string {
  const canonical = JSON.stringify({
    mode: p.mode,
    allowTools: p.allowTools,
    approvalTimeoutSeconds: p.approvalTimeoutSeconds,
  });
  return `megaraptor-mcp-policy:v1\n${serial}\n${canonical}`;
}

function mac(key: string, serial: number, p: McpPolicy): string {
  return createHmac('sha256', Buffer.from(key, 'base64url'))
    .update(signedText(serial, p))
    .digest('base64url');
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class PolicyStore {
  readonly path: string;
  private readonly file: JsonFile<typeof SignedPolicy>;

  /** `secrets`: the OS keychain (null when none answers: then no policy can be checked or set). */
  constructor(
    dataDir: string,
    private readonly secrets: () => Promise<SecretStore | null>,
  ) {
    this.path = join(dataDir, 'mcp-policy.json');
    this.file = new JsonFile(this.path, SignedPolicy);
  }

  private async keyRecord(store: SecretStore): Promise<KeyRecord | undefined> {
    const raw = await store.get(POLICY_KEY_REF);
    if (raw === undefined) return undefined;
    try {
      return KeyRecord.parse(JSON.parse(raw));
    } catch {
      return undefined;
    }
  }

  /** The checked policy, or the default with the reason the file was refused. */
  async get(): Promise<EffectivePolicy> {
    const refuse = (why: string): EffectivePolicy => ({
      ...DEFAULT_POLICY,
      notice: `The assistant policy file ${this.path} was refused (${why}); the default applies: every action waits for the responder. Only the responder can change the policy, on the Assistants page of Megaraptor Desktop.`,
    });
    let signed: SignedPolicy | undefined;
    try {
      signed = await this.file.read();
    } catch (e) {
      return refuse(`it is not a policy the app wrote: ${messageOf(e)}`);
    }
    if (!signed) return { ...DEFAULT_POLICY };
    let store: SecretStore | null;
    try {
      store = await this.secrets();
    } catch {
      store = null;
    }
    if (!store) return refuse('no OS keychain answers, so its signature cannot be checked');
    let record: KeyRecord | undefined;
    try {
      record = await this.keyRecord(store);
    } catch (e) {
      return refuse(`its signing key could not be read from the keychain: ${messageOf(e)}`);
    }
    if (!record) return refuse('the keychain holds no signing key for it');
    if (!sameMac(mac(record.key, signed.serial, signed.policy), signed.mac))
      return refuse('its signature does not match: it was changed outside the app');
    if (signed.serial !== record.serial)
      return refuse(`it is an older policy (number ${signed.serial}, the current one is ${record.serial})`);
    return signed.policy;
  }

  /** Writes and signs a new policy. Only the app calls this (the keychain must answer). */
  async set(policy: McpPolicy): Promise<McpPolicy> {
    const valid = McpPolicy.parse(policy);
    const store = await this.secrets();
    if (!store)
      throw new AppError(
        'KEYCHAIN_UNAVAILABLE',
        'The assistant policy is signed with a key kept in the OS keychain, and no keychain answers. Start a Secret Service (gnome-keyring, or the system keychain) and try again.',
      );
    const old = await this.keyRecord(store);
    const record: KeyRecord = {
      key: old?.key ?? randomBytes(32).toString('base64url'),
      serial: (old?.serial ?? 0) + 1,
    };
    // File first, then the serial: a crash in between leaves a mismatch, which reads as the default.
    await this.file.write({
      version: 1,
      serial: record.serial,
      policy: valid,
      mac: mac(record.key, record.serial, valid),
    });
    await store.set(POLICY_KEY_REF, JSON.stringify(record));
    return valid;
  }
}
