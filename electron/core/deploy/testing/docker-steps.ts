/**
 * What the Docker tests (integration and e2e) expect of a plan, apart from the deployer: a module of
 * its own so that the e2e specs import it without the app's core.
 */

/** The steps a rapid (single-node) Docker deployment's plan lists, in order: what the tests expect. */
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
