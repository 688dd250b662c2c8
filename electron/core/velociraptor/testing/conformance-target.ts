/**
 * What the conformance suite runs against. By default the in-process simulator (CI); with
 * MEGARAPTOR_CONFORMANCE_API_CONFIG (an administrator API config file) and
 * MEGARAPTOR_CONFORMANCE_CLIENT (an online client of that server) a real server. An optional
 * MEGARAPTOR_CONFORMANCE_READONLY_API_CONFIG gives the least-privilege identity (role `api`) that
 * read-only VQL runs under. MEGARAPTOR_CONFORMANCE_SIM_VERSION (0.75 or 0.77) chooses the release
 * the simulator plays.
 */
import { readFileSync } from 'node:fs';
import { AppError } from '../../../../shared/errors';
import { startSimulator } from '../../sim/index';
import { loadApiConfig } from '../config/api-config';
import { ConnectionRegistry } from '../registry';
import { VelociraptorService } from '../service';

export interface ConformanceTarget {
  kind: 'simulator' | 'server';
  /** The administrator API config (YAML). */
  yaml: string;
  /** A least-privilege (`api`) API config, when there is one. */
  readOnlyYaml?: string;
  clientId: string;
  stop(): Promise<void>;
}

export const ENV = {
  config: 'MEGARAPTOR_CONFORMANCE_API_CONFIG',
  client: 'MEGARAPTOR_CONFORMANCE_CLIENT',
  readOnly: 'MEGARAPTOR_CONFORMANCE_READONLY_API_CONFIG',
  simVersion: 'MEGARAPTOR_CONFORMANCE_SIM_VERSION',
} as const;

export async function conformanceTarget(env: NodeJS.ProcessEnv = process.env): Promise<ConformanceTarget> {
  const file = env[ENV.config];
  if (file) {
    const clientId = env[ENV.client];
    if (!clientId)
      throw new AppError(
        'INVALID_ARGUMENT',
        `${ENV.config} is set: set ${ENV.client} to an online client id too.`,
      );
    const ro = env[ENV.readOnly];
    return {
      kind: 'server',
      yaml: readFileSync(file, 'utf8'),
      ...(ro ? { readOnlyYaml: readFileSync(ro, 'utf8') } : {}),
      clientId,
      stop: () => Promise.resolve(),
    };
  }
  const release = env[ENV.simVersion];
  const sim = await startSimulator({
    host: '127.0.0.1',
    speed: 50,
    ...(release ? { velociraptorVersion: release } : {}),
  });
  const yaml = await sim.mintApiConfig('conformance-admin', ['administrator']);
  const readOnlyYaml = await sim.mintApiConfig('conformance-readonly', ['api']);
  const registry = new ConnectionRegistry();
  try {
    registry.addConfig('sim', loadApiConfig(yaml));
    const clients = await new VelociraptorService(registry.connection('sim')).searchClients({
      search: 'all',
      limit: 1000,
    });
    const linux = clients.find((c) => c.os.toLowerCase() === 'linux' && c.online);
    if (!linux) throw new AppError('NOT_FOUND', 'The simulator has no online Linux client.');
    return { kind: 'simulator', yaml, readOnlyYaml, clientId: linux.clientId, stop: () => sim.stop() };
  } catch (e) {
    await sim.stop();
    throw e;
  } finally {
    registry.close();
  }
}
