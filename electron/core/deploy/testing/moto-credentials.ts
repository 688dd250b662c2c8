/**
 * The fixed credentials the AWS tests sign with (moto accepts any). Apart from moto.ts so a bundled
 * crash child can import it without the test tree's paths.
 */
import type { AwsAccessKey } from '../aws/clients';

export const MOTO_CREDENTIALS: AwsAccessKey = {
  accessKeyId: 'AKIAMOTOTESTING00000',
  secretAccessKey: 'moto-testing-secret-key-0000000000',
};
