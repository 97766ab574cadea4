import { createDynamoClient, createS3Client } from '../aws/clients';
import { requireEnv } from '../config';
import { S3ArchiveSink } from '../archive/s3';
import { createStreamArchiver } from '../archive/stream';
import { tableBodyReader } from '../store/published';

/** The stream archiver: shared bodies read from TABLE_NAME, objects put in ARCHIVE_BUCKET. */
export function createArchiver(env: NodeJS.ProcessEnv = process.env) {
  return createStreamArchiver(
    tableBodyReader(createDynamoClient(env), requireEnv('TABLE_NAME', env)),
    new S3ArchiveSink(createS3Client(env), requireEnv('ARCHIVE_BUCKET', env)),
  );
}
