/**
 * The steps the deployment tests (unit, integration and e2e) expect a rapid (single-node) plan to
 * list, in order, written apart from the deployers so that a changed plan fails them. A module of its
 * own, without the core's imports, so that the e2e specs can use it too.
 */

export const RAPID_DOCKER_STEPS = [
  'binary',
  'identity',
  'image',
  'volumes',
  'register',
  'container',
  'start',
  'expiry',
  'verify-api',
  'verify-gui',
  'connect',
];

/** What a cloud VM's deployment does once its infrastructure stands. */
const CLOUD_VM_STEPS = ['identity', 'secret', 'boot', 'verify-api', 'verify-gui', 'seal', 'connect'];

export const RAPID_AWS_STEPS = ['account', 'binary', 'stack', ...CLOUD_VM_STEPS];

export const RAPID_AZURE_STEPS = ['account', 'binary', 'group', 'infrastructure', ...CLOUD_VM_STEPS];
