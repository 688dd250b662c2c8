import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MemorySecretStore } from '../../credentials/memory-store';
import { writeServerConfig } from '../config-files';
import { testChain } from '../testing/fixtures';
import { fingerprintSha256 } from '../validate';
import { RotationService, type AgentConfigReport, type ServerAdmin } from './rotation-service';

/** Does a TLS client trusting `caPem` accept a server presenting cert/key (name VelociraptorServer)? */
async function handshake(cert: string, key: string, caPem: string): Promise<string> {
  const server = createServer({ cert, key, minVersion: 'TLSv1.3' }, (s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve) => {
      const sock = connect(
        { host: '127.0.0.1', port, ca: caPem, servername: 'VelociraptorServer', minVersion: 'TLSv1.3' },
        () => {
          resolve('ok');
          sock.destroy();
        },
      );
      sock.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
  } finally {
    server.close();
  }
}

type Cfg = {
  Client: { ca_certificate: string };
  Frontend: { certificate: string; private_key: string };
  GUI: { gw_certificate: string };
};

let dir: string;
let secrets: MemorySecretStore;
let service: RotationService;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-rotation-'));
  secrets = new MemorySecretStore();
  service = new RotationService({ journalPath: join(dir, 'rotations.jsonl'), secrets });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serverConfig() {
  const { ca, frontend, gateway } = await testChain(2048);
  return {
    ca,
    config: writeServerConfig({
      caCertificatePem: ca.certificatePem,
      frontend,
      gateway,
      frontendHostname: 'vr.test',
      placement: 'host',
      datastoreDir: '/d',
    }).config,
  };
}

describe('RotationService', () => {
  it('rotates the Frontend certificate alone: agents trusting the same CA keep connecting; journaled; rollback restores', async () => {
    const { ca, config } = await serverConfig();
    const { rotationId, config: next } = await service.rotateFrontend(config, ca);
    const before = config as unknown as Cfg;
    const after = next as unknown as Cfg;
    expect(after.Frontend.certificate).not.toBe(before.Frontend.certificate);
    expect(after.Client.ca_certificate).toBe(before.Client.ca_certificate);
    expect(after.GUI.gw_certificate).toBe(before.GUI.gw_certificate);
    expect(
      await handshake(after.Frontend.certificate, after.Frontend.private_key, before.Client.ca_certificate),
    ).toBe('ok');
    const journal = await readFile(join(dir, 'rotations.jsonl'), 'utf8');
    expect(journal).not.toMatch(/PRIVATE KEY/);
    expect((await service.history())[0]).toMatchObject({
      rotationId,
      kind: 'frontend',
      state: 'applied',
      details: { newFingerprint: fingerprintSha256(after.Frontend.certificate) },
    });
    const { config: restored } = await service.rollback(rotationId, { config: next });
    expect((restored as unknown as Cfg).Frontend).toMatchObject(before.Frontend);
    await expect(service.confirm(rotationId)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect([...secrets.data.keys()]).toEqual([]);
  });

  it('rotates the GUI gateway certificate alone and confirms (backup dropped)', async () => {
    const { ca, config } = await serverConfig();
    const { rotationId, config: next } = await service.rotateGui(config, ca);
    expect((next as unknown as Cfg).GUI.gw_certificate).not.toBe(
      (config as unknown as Cfg).GUI.gw_certificate,
    );
    expect((next as unknown as Cfg).Frontend.certificate).toBe(
      (config as unknown as Cfg).Frontend.certificate,
    );
    expect([...secrets.data.keys()]).toHaveLength(1);
    await service.confirm(rotationId);
    expect([...secrets.data.keys()]).toEqual([]);
    expect((await service.history())[0]!.state).toBe('confirmed');
  });

  it('rotates an API client under a new user; old roles removed only on confirm', async () => {
    const { ca } = await serverConfig();
    const ran: string[] = [];
    const admin: ServerAdmin = {
      createUser: (name, roles) => {
        ran.push(`create ${name} ${roles.join(',')}`);
        return Promise.resolve([...roles]);
      },
      revokeRoles: (name) => {
        ran.push(`revoke ${name}`);
        return Promise.resolve();
      },
    };
    await expect(
      service.rotateApiClient({
        ca,
        admin,
        oldName: 'bot',
        newName: 'bot',
        roles: ['api'],
        apiConnectionString: '127.0.0.1:8001',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const r = await service.rotateApiClient({
      ca,
      admin,
      oldName: 'bot',
      newName: 'bot-2',
      roles: ['api', 'investigator'],
      apiConnectionString: '127.0.0.1:8001',
    });
    expect((parse(r.apiConfigYaml) as { name: string }).name).toBe('bot-2');
    expect(ran).toEqual(['create bot-2 api,investigator']);
    await service.confirm(r.rotationId, { admin });
    expect(ran).toEqual(['create bot-2 api,investigator', 'revoke bot']);
  });

  it('CA rotation: bundle + plan, switch gated on the share, bundle holders connect after the switch, others listed', async () => {
    const { config } = await serverConfig();
    const oldCaPem = (config as unknown as Cfg).Client.ca_certificate;
    const oldFp = fingerprintSha256(oldCaPem);
    const agents: AgentConfigReport[] = [
      { clientId: 'C.1', hostname: 'ws1', caFingerprints: [oldFp] },
      { clientId: 'C.2', hostname: 'ws2', caFingerprints: [oldFp] },
      { clientId: 'C.3', hostname: 'ws3', caFingerprints: [oldFp] },
    ];
    const plan = await service.stageCaRotation({ config, agents });
    expect(plan.share).toBe(0);
    expect(plan.agents.map((a) => a.hasBundle)).toEqual([false, false, false]);
    const bundleDoc = parse(plan.bundleClientConfig) as Record<string, { ca_certificate: string }>;
    expect(Object.keys(bundleDoc)).toEqual(['version', 'Client']);
    const bundle = bundleDoc.Client!.ca_certificate;
    expect(bundle.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    // Two agents apply the bundle; the third does not.
    const reported = agents.map((a, i) =>
      i < 2 ? { ...a, caFingerprints: [oldFp, plan.newCaFingerprint] } : a,
    );
    await expect(
      service.switchCa({ rotationId: plan.rotationId, config, agents: reported, minShare: 0.9 }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      details: { notUpdated: [{ clientId: 'C.3', hostname: 'ws3' }] },
    });
    const switched = await service.switchCa({
      rotationId: plan.rotationId,
      config,
      agents: reported,
      minShare: 0.6,
    });
    expect(switched.notUpdated.map((a) => a.clientId)).toEqual(['C.3']);
    const front = (switched.config as unknown as Cfg).Frontend;
    expect(await handshake(front.certificate, front.private_key, bundle)).toBe('ok');
    expect(await handshake(front.certificate, front.private_key, oldCaPem)).toMatch(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/,
    );
    // Before the switch, bundle holders also accept the old Frontend certificate.
    const oldFront = (config as unknown as Cfg).Frontend;
    expect(await handshake(oldFront.certificate, oldFront.private_key, bundle)).toBe('ok');
    // Reversible until confirmed.
    const { config: back } = await service.rollback(plan.rotationId, { config: switched.config });
    expect((back as unknown as Cfg).Frontend).toEqual(oldFront);
    expect((back as unknown as Cfg).Client.ca_certificate).toBe(oldCaPem);
  }, 60_000);
});
