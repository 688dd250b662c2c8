/**
 * The fixed credentials the AWS tests sign with (moto accepts any). Apart from moto.ts so a bundled
 * crash child can import it without the test tree's paths, and with no import of aws/clients so the
 * browser-mode spec loads it without the app's module tree.
 */
export const MOTO_CREDENTIALS = {
  accessKeyId: 'AKIAMOTOTESTING00000',
  secretAccessKey: 'moto-testing-secret-key-0000000000',
};
