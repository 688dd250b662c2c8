/**
 * The Velociraptor release the simulator plays. Releases differ in what the product can see: the
 * artifact catalogue (parameters renamed, artifacts added), function arguments, the fields of flow,
 * hunt and user records, and the texts of parse errors. Each difference here was recorded from the
 * real 0.75.7 and 0.77.2 servers (electron/core/sim/fixtures/real/<version>).
 */

export type ReleaseLine = '0.75' | '0.77';

export interface VersionProfile {
  /** The full version, as config.version.version reports it. */
  version: string;
  line: ReleaseLine;
  /** flows() rows carry previous_flows (after request). */
  previousFlows: boolean;
  /** ArtifactCollectorArgs carry `summary` (after urgent). */
  requestSummary: boolean;
  /** collect_client's answer names the flow in request.flow_id ('' before 0.77). */
  requestFlowId: boolean;
  /** ArtifactCollectorArgs.max_upload_bytes when the caller sets none. */
  defaultMaxUploadBytes: number;
  /** Hunt stats also count uploaded bytes, rows and finished clients, and the last table scan. */
  huntStatsExtended: boolean;
  /** User records (user(), gui_users()) carry `stats`. */
  userStats: boolean;
  /** System.Flow.Completion rows carry `_Source`, and their Flow.request names the flow. */
  completionSource: boolean;
  /** Arguments a server function has only from some release on ('hunt' → 'tags'). */
  missingArgs: Record<string, readonly string[]>;
  /** What btime reads when the file system does not know it. */
  unknownBtime: string;
  /** Parse errors quote a window of the query and name the expected grammar (0.77's vfilter). */
  parseErrorWindow: boolean;
}

const PROFILES: Record<ReleaseLine, VersionProfile> = {
  '0.75': {
    version: '0.75.7',
    line: '0.75',
    previousFlows: false,
    requestSummary: false,
    requestFlowId: false,
    defaultMaxUploadBytes: 0,
    huntStatsExtended: false,
    userStats: false,
    completionSource: false,
    missingArgs: { hunt: ['tags'], collect_client: ['flow_id'], hunts: ['summary'], flows: ['summary'] },
    unknownBtime: '0001-01-01T00:00:00Z',
    parseErrorWindow: false,
  },
  '0.77': {
    version: '0.77.2',
    line: '0.77',
    previousFlows: true,
    requestSummary: true,
    requestFlowId: true,
    defaultMaxUploadBytes: 1_073_741_824,
    huntStatsExtended: true,
    userStats: true,
    completionSource: true,
    missingArgs: {},
    unknownBtime: '1970-01-01T00:00:00Z',
    parseErrorWindow: true,
  },
};

export const DEFAULT_VERSION = '0.77.2';

/** The profile of a release: "0.75", "0.75.7", "0.77" and "0.77.2" are known. */
export function versionProfile(version: string = DEFAULT_VERSION): VersionProfile {
  const line = /^0\.(75|77)(\.\d+)?$/.exec(version.trim());
  if (!line)
    throw new Error(`The simulator plays Velociraptor 0.75 or 0.77 (0.75.7, 0.77.2), not "${version}".`);
  return PROFILES[`0.${line[1]}` as ReleaseLine];
}
