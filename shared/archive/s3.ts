import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ArchiveSink } from './objects';

/** The archive in the stack's bucket: one PutObject per object (the bucket encrypts it, SSE-S3). */
export class S3ArchiveSink implements ArchiveSink {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer): Promise<void> {
    // No Content-Encoding: the object is a .gz file (Athena picks the codec by the name), and a
    // download should keep its bytes rather than be inflated on the way.
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/gzip' }));
  }
}
