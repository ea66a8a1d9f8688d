import type { Kms } from '../kms/kms.ts';

/** What the recording operations need from the Worker: the database, the bucket and the key service. */
export interface Deps {
  db: D1Database;
  bucket: R2Bucket;
  kms: Kms;
}
