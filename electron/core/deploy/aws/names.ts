/**
 * The names an AWS deployment gives its resources, chosen before anything exists (a clean-up after a
 * crash looks for exactly these), and the tags on everything it makes.
 */
export const TAG = {
  deployment: 'megaraptor:deployment',
  managedBy: 'megaraptor:managed-by',
  role: 'megaraptor:role',
  /** The self-destruction time the on-instance timer reads (an extension moves it). */
  destroyAt: 'megaraptor:destroy-at',
} as const;

/** Where CloudFormation joins the shared file system's id into a boot script. */
export const FILE_SYSTEM_TOKEN = '@MEGARAPTOR_FILE_SYSTEM@';

export function stackNameOf(deploymentId: string): string {
  return `megaraptor-${deploymentId}`;
}

export function secretNameOf(deploymentId: string): string {
  return `megaraptor/${deploymentId}/server-config`;
}

/** The logical id of frontend node `index` in the template (0 = the master). */
export function nodeLogicalId(index: number): string {
  return index === 0 ? 'Master' : `Minion${index}`;
}
