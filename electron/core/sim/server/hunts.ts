/**
 * Hunts (VR vql/server/hunts): hunt() creates one, hunts() and hunt_info() read them,
 * hunt_update() starts, stops and edits, hunt_results() and hunt_flows() read what they collected.
 */
import { appliedHuntScope, type HuntOs } from '../../../../shared/hunt-scope';
import { sourceKeys } from '../dataset/artifacts';
import type { PluginItem } from '../vql/scope';
import { toText, VqlTime } from '../vql/values';
import type { HuntRecord } from '../world';
import { fn, plugin, splitSource, window, type PluginGroup, type ServerContext } from './context';
import { artifactEnv } from './flows';
import { huntResults } from './results';
import { huntCreatedRow, huntFlowRow, huntRow, huntSummaryRow } from './rows';

export function huntPlugins(ctx: ServerContext): PluginGroup {
  const { world } = ctx;
  return {
    plugins: [
      plugin({
        name: 'hunts',
        doc: 'Retrieve the list of hunts.',
        args: { hunt_id: { type: 'string' }, summary: { type: 'bool' } },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'hunts')) return;
          const orgId = ctx.org(scope);
          // The real server walks a Go map: no order. Here the (random) hunt id orders them.
          const list = [...world.org(orgId).hunts.values()]
            .filter((h) => !a.hunt_id || h.hunt_id === a.hunt_id)
            .sort((x, y) => x.hunt_id.localeCompare(y.hunt_id));
          for (const h of list) {
            const row = huntRow(world, orgId, h);
            yield a.summary ? huntSummaryRow(row) : row;
          }
        },
      }),
      plugin({
        name: 'hunt_results',
        doc: 'Retrieve the results of a hunt.',
        args: {
          hunt_id: { type: 'string', required: true },
          artifact: { type: 'string' },
          source: { type: 'string' },
          brief: { type: 'bool' },
          orgs: { type: 'strings' },
        },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'hunt_results')) return;
          const hunt = ctx.huntOf(scope, a.hunt_id);
          if (!hunt) return;
          const [artifact, fromName] = splitSource(toText(a.artifact) || (hunt.artifacts[0] ?? ''));
          const source = typeof a.source === 'string' && a.source ? a.source : (fromName ?? '');
          // Named sources must be asked for as Artifact/Source: a bare name is not "available".
          const available = hunt.artifacts.flatMap((n) => {
            const def = world.artifact(n);
            return def ? sourceKeys(def) : [n];
          });
          const key = source ? `${artifact}/${source}` : artifact;
          if (!available.includes(key)) {
            scope.log(
              `hunt_results: artifact ${key} not available in hunt. Available artifacts are ${available.join(', ')}`,
            );
            return;
          }
          yield* huntResults(world, scope.ctx.orgId, hunt, artifact, source);
        },
      }),
      plugin({
        name: 'hunt_flows',
        doc: 'Retrieve the flows launched by a hunt.',
        args: {
          hunt_id: { type: 'string', required: true },
          start_row: { type: 'int' },
          limit: { type: 'int' },
        },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'hunt_flows')) return;
          const orgId = ctx.org(scope);
          const hunt = ctx.huntOf(scope, a.hunt_id);
          if (!hunt) return;
          for (const [clientId, flowId] of window([...hunt.flows.entries()], a.start_row, a.limit)) {
            const flow = world.getFlow(orgId, clientId, flowId);
            if (flow) yield huntFlowRow(world, orgId, hunt.hunt_id, flow);
          }
        },
      }),
    ],
    functions: [
      fn({
        name: 'hunt',
        doc: 'Create and launch a hunt.',
        args: {
          description: { type: 'string', required: true },
          artifacts: { type: 'strings', required: true },
          spec: { type: 'dict' },
          env: { type: 'dict' },
          expires: { type: 'any' },
          include_labels: { type: 'strings' },
          exclude_labels: { type: 'strings' },
          os: { type: 'string' },
          pause: { type: 'bool' },
          timeout: { type: 'int' },
          ops_per_sec: { type: 'int' },
          cpu_limit: { type: 'float' },
          iops_limit: { type: 'float' },
          max_rows: { type: 'int' },
          max_bytes: { type: 'int' },
          tags: { type: 'strings' },
          org_id: { type: 'strings' },
        },
        call: (a, scope) => {
          if (!scope.require('START_HUNT', 'hunt')) return null;
          const orgIds = (a.org_id as string[] | undefined) ?? [];
          if (orgIds.length > 1 && !scope.require('ORG_ADMIN', 'hunt')) return null;
          const orgId = ctx.org(scope);
          const now = scope.ctx.now();
          const expiresMs =
            a.expires === undefined || a.expires === null
              ? now + 168 * 3_600_000
              : a.expires instanceof VqlTime
                ? a.expires.ms
                : typeof a.expires === 'number'
                  ? a.expires * 1000
                  : Date.parse(toText(a.expires));
          if (!(expiresMs > now)) {
            scope.log('hunt: expiry time is in the past');
            return null;
          }
          const artifacts = a.artifacts as string[];
          for (const n of artifacts) if (!world.artifact(n)) throw new Error(`Artifact ${n} not found`);
          const os = typeof a.os === 'string' && a.os ? a.os : null;
          if (os && !['windows', 'linux', 'darwin'].includes(os)) {
            scope.log(`hunt: OS condition invalid ${os} (should be linux, windows, darwin)`);
            return null;
          }
          const include = (a.include_labels as string[] | undefined) ?? [];
          if (os && include.length)
            scope.log('hunt: Both OS and label conditions set, ignoring include label conditions');
          // With an OS the server stores only the OS condition: include and exclude labels are gone.
          const applied = appliedHuntScope({
            os: (os as HuntOs | null) ?? undefined,
            includeLabels: include,
            excludeLabels: (a.exclude_labels as string[] | undefined) ?? [],
          });
          const hunt: HuntRecord = {
            hunt_id: world.newHuntId(),
            description: String(a.description),
            creator: scope.ctx.user,
            artifacts,
            env: artifactEnv(world, artifacts, a.env, a.spec),
            createMs: now,
            startMs: a.pause === true ? null : now,
            stopMs: null,
            expiresMs,
            state: a.pause === true ? 'PAUSED' : 'RUNNING',
            os: applied.os || null,
            includeLabels: applied.includeLabels,
            excludeLabels: applied.excludeLabels,
            tags: (a.tags as string[] | undefined) ?? [],
            ...(a.spec === undefined && a.env === undefined ? { withoutSpecs: true as const } : {}),
            timeout: typeof a.timeout === 'number' ? a.timeout : 0,
            max_rows: typeof a.max_rows === 'number' ? a.max_rows : 0,
            max_bytes: typeof a.max_bytes === 'number' ? a.max_bytes : world.profile.defaultMaxUploadBytes,
            cpu_limit: typeof a.cpu_limit === 'number' ? a.cpu_limit : 0,
            flows: new Map(),
          };
          world.org(orgId).hunts.set(hunt.hunt_id, hunt);
          return { HuntId: hunt.hunt_id, Request: huntCreatedRow(world, orgId, hunt) };
        },
      }),
      fn({
        name: 'hunt_update',
        doc: 'Update a hunt.',
        args: {
          hunt_id: { type: 'string', required: true },
          stop: { type: 'bool' },
          start: { type: 'bool' },
          description: { type: 'string' },
          expires: { type: 'any' },
          add_labels: { type: 'strings' },
          del_labels: { type: 'strings' },
        },
        call: (a, scope) => {
          if (!scope.require('START_HUNT', 'hunt_update')) return null;
          const hunt = ctx.huntOf(scope, a.hunt_id);
          if (!hunt) throw new Error(`hunt ${String(a.hunt_id)} not found`);
          const now = scope.ctx.now();
          if (a.start === true && hunt.state !== 'ARCHIVED') {
            hunt.state = 'RUNNING';
            hunt.startMs ??= now;
            hunt.stopMs = null;
          }
          if (a.stop === true) {
            hunt.state = 'STOPPED';
            hunt.stopMs = now;
          }
          if (typeof a.description === 'string' && a.description) hunt.description = a.description;
          if (a.expires !== undefined)
            hunt.expiresMs = a.expires instanceof VqlTime ? a.expires.ms : Number(a.expires) * 1000;
          for (const l of (a.add_labels as string[] | undefined) ?? [])
            if (!hunt.includeLabels.includes(l)) hunt.includeLabels.push(l);
          hunt.includeLabels = hunt.includeLabels.filter(
            (l) => !((a.del_labels as string[] | undefined) ?? []).includes(l),
          );
          return hunt.hunt_id;
        },
      }),
      fn({
        name: 'hunt_info',
        doc: 'Retrieve the hunt information.',
        args: { hunt_id: { type: 'string', required: true } },
        call: (a, scope) => {
          if (!scope.require('READ_RESULTS', 'hunt_info')) return null;
          const hunt = ctx.huntOf(scope, a.hunt_id);
          return hunt ? huntRow(world, scope.ctx.orgId, hunt) : null;
        },
      }),
    ],
  };
}
