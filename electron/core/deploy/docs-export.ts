/**
 * A deployment's hand-over documents, made from its journal: where the server is (GUI, API, agent
 * frontend), how to trust it (the CA fingerprint), who signs in (the admin user — the password stays
 * in the keychain), what expires when, when it destroys itself, and the next step: agents, with the
 * client config they need (CA certificate, server URLs, nonce — no private key). Nothing secret is
 * written: the journal holds none, and the client config carries none.
 */
import { holdProtection, type CertificateStatus } from '../../../shared/deploy';
import { MINION_FIRST_TASK_NOTE } from './frontends';
import type { JournalDoc } from './journal';

export interface DeploymentDocs {
  /** README.md: Markdown for people. */
  readme: string;
  /** client.config.yaml for agents, when the server config was readable. */
  clientConfig?: string;
}

function line(label: string, value: string | number | boolean | undefined): string | null {
  return value === undefined || value === '' ? null : `- **${label}:** ${String(value)}`;
}

/**
 * Where a cloud deployment lives and what it holds there (the account, region or subscription, each
 * cloud resource still journaled, the VMs): what the responder needs to find it in the cloud's console
 * and what is billed until it is destroyed. Nothing for the other targets.
 */
function cloudSection(doc: JournalDoc): string[] {
  const o = doc.outputs;
  const held = doc.resources.filter(
    (r) => r.kind.startsWith('cloud-') && r.state !== 'removed' && r.state !== 'retained',
  );
  if (doc.target !== 'aws' && doc.target !== 'azure') return [];
  const vms = Object.keys(o)
    .map((k) => /^node(\d+)Address$/.exec(k)?.[1])
    .filter((i): i is string => i !== undefined)
    .sort((a, b) => Number(a) - Number(b))
    .map(
      (i) =>
        `- ${i === '0' ? 'Master' : `Minion ${i}`}: ${String(o[`node${i}Address`])}${o[`node${i}InstanceId`] ? ` (instance ${String(o[`node${i}InstanceId`])})` : ''}`,
    );
  return [
    '## In the cloud',
    '',
    doc.target === 'aws'
      ? line(
          'AWS account and region',
          o.awsAccountId ? `${String(o.awsAccountId)}, ${String(o.awsRegion)}` : undefined,
        )
      : line('Azure subscription', o.azureSubscriptionId),
    ...vms,
    ...held.map((r) => `- ${r.title}: \`${r.id}\` (${r.scope}, ${r.state})`),
    '- Billed until destroyed: destroy it from Megaraptor Desktop (Deployments → Destroy), which removes exactly these.',
    '',
  ].filter((l): l is string => l !== null);
}

export function deploymentDocs(
  doc: JournalDoc,
  input: { certificates: CertificateStatus[]; clientConfig?: string; now: Date },
): DeploymentDocs {
  const o = doc.outputs;
  const profile = (doc.profile as { name?: string; title?: string }).title ?? doc.profile.name;
  const frontend = typeof o.frontendUrl === 'string' ? o.frontendUrl : undefined;
  const sections: Array<string | null> = [
    `# ${doc.name} — Velociraptor server`,
    '',
    `Deployed by Megaraptor Desktop (deployment \`${doc.id}\`, ${doc.target} target, ${String(profile)} profile). Written ${input.now.toISOString()}.`,
    '',
    '## Where it is',
    '',
    line('GUI', o.guiUrl),
    line('API endpoint (gRPC, mTLS)', o.apiEndpoint),
    line('Agent frontend', frontend),
    line('SSH tunnel for GUI and API', o.tunnelCommand ? `\`${String(o.tunnelCommand)}\`` : undefined),
    line('Connection in Megaraptor Desktop', o.connectionName),
    '',
    ...cloudSection(doc),
    '## Trust',
    '',
    line('CA certificate SHA-256 fingerprint (agents and browsers must see this CA)', o.caFingerprint),
    line('Binary SHA-256', o.binarySha256),
    line('Release signature verified', o.binarySigned),
    '',
    '## Sign-in',
    '',
    line('Administrator', o.adminUser),
    `- The administrator's password is in this machine's keychain (secret \`deploy:${doc.id}:admin-password\`); it is written nowhere else.`,
    line("The app's API identity (roles api, investigator)", o.apiUser),
    '',
    '## Certificates',
    '',
    '| Certificate | Valid until | Days left |',
    '| --- | --- | --- |',
    ...input.certificates.map((c) => `| ${c.title} | ${c.notAfter} | ${Math.floor(c.daysLeft)} |`),
    '',
    "The server's config carries no CA private key, so the server cannot renew its certificates itself: Megaraptor Desktop renews them under the CA kept in its keychain, keeping their keys, and pushes them to the server (Deployments → Renew).",
    '',
    '## Lifetime',
    '',
    doc.autoDestroyAt
      ? `- Destroys itself at **${doc.autoDestroyAt}** (rapid profile)${o.targetDestroyAt ? `; the target's own timer fires at ${String(o.targetDestroyAt)}` : ''}. Export flows and hunts before then (Deployments → Export evidence).`
      : '- No self-destruction: it stays until destroyed by hand.',
    doc.legalHold
      ? `- **Legal hold** since ${doc.legalHold.since}: ${doc.legalHold.reason}. ${holdProtection(doc.legalHold)}`
      : null,
    '',
    '## Next step: agents',
    '',
    input.clientConfig
      ? "`client.config.yaml` next to this file is the agents' config (CA certificate, server URLs, nonce; no private key). On a Linux host: `velociraptor --config client.config.yaml client -v` to try it, then install it as a service (`velociraptor --config client.config.yaml debian client` builds a package). On Windows: `velociraptor config repack --msi velociraptor-windows-amd64.msi client.config.yaml agent.msi`."
      : "Make the agents' config from the server config: `velociraptor --config server.config.yaml config client > client.config.yaml`.",
    frontend ? `Agents must reach ${frontend} (TCP ${new URL(frontend).port || '443'}).` : null,
    o.minionNodes
      ? `Agents rotate through every frontend in their server URLs: the master and the minions ${String(o.minionNodes).split(',').join(', ')}. ${MINION_FIRST_TASK_NOTE}`
      : null,
    '',
  ];
  return {
    readme: sections.filter((s): s is string => s !== null).join('\n'),
    ...(input.clientConfig ? { clientConfig: input.clientConfig } : {}),
  };
}
