/**
 * {@link AdmissionStore} on Amazon S3 with `@aws-sdk/client-s3`.
 *
 * Copies name the exact source version (`?versionId=`) and, as a second guard, its ETag
 * (`x-amz-copy-source-if-match`). Objects over 5 GiB (the CopyObject limit) are copied with a
 * multipart UploadPartCopy. With `encryptionKeyArn`, every write (copies, multipart uploads, records)
 * names SSE-KMS and that key explicitly: the platform's buckets deny object writes that do not
 * (`DenyUploadsNotEncryptedWithSse-Kms`, `DenyUploadsWithAnotherKey` use `StringNotEqualsIfExists`,
 * which denies a request without the header). Without it, copies inherit the bucket's default encryption.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { AdmissionStore, ObjectVersion, StoredObject } from './admission';

/** Largest object a single CopyObject can copy. */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
/** Smallest part of a multipart copy (more when needed to stay within 10,000 parts). */
export const COPY_PART_BYTES = 512 * 1024 ** 2;

/** The models bucket through the S3 API. */
export class S3AdmissionStore implements AdmissionStore {
  /** SSE-KMS parameters of every write, when a key is given. */
  private readonly sse: { ServerSideEncryption?: 'aws:kms'; SSEKMSKeyId?: string; BucketKeyEnabled?: boolean };

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    /** The bucket's KMS key ARN, named on every write. @default - no encryption parameters */
    encryptionKeyArn?: string,
  ) {
    this.sse = encryptionKeyArn
      ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: encryptionKeyArn, BucketKeyEnabled: true }
      : {};
  }

  public async getObject(key: string, versionId?: string): Promise<StoredObject | undefined> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }),
      );
      return {
        key,
        size: response.ContentLength ?? 0,
        versionId: response.VersionId,
        etag: response.ETag,
        body: response.Body as unknown as AsyncIterable<Uint8Array>,
      };
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.name === 'NoSuchVersion' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }

  public async listObjects(prefix: string): Promise<{ key: string; size: number }[]> {
    const objects: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key !== undefined) objects.push({ key: o.Key, size: o.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  public async copyObject(source: ObjectVersion, destinationKey: string): Promise<void> {
    const copySource = copySourceOf(this.bucket, source);
    if (source.size <= MAX_SINGLE_COPY_BYTES) {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: destinationKey,
          CopySource: copySource,
          CopySourceIfMatch: source.etag,
          ...this.sse,
        }),
      );
      return;
    }
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: destinationKey, ...this.sse }),
    );
    try {
      const partBytes = Math.max(COPY_PART_BYTES, Math.ceil(source.size / 10_000));
      const parts: { ETag?: string; PartNumber: number }[] = [];
      for (let start = 0, part = 1; start < source.size; start += partBytes, part++) {
        const end = Math.min(start + partBytes, source.size) - 1;
        const response = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: destinationKey,
            UploadId,
            PartNumber: part,
            CopySource: copySource,
            CopySourceIfMatch: source.etag,
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ ETag: response.CopyPartResult?.ETag, PartNumber: part });
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: destinationKey,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: destinationKey, UploadId }))
        .catch(() => undefined);
      throw err;
    }
  }

  public async putObject(key: string, body: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json', ...this.sse }),
    );
  }

  public async deleteObject(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}

/** `bucket/url-encoded-key[?versionId=...]`, the form `x-amz-copy-source` requires. */
export function copySourceOf(bucket: string, source: ObjectVersion): string {
  const key = source.key.split('/').map(encodeURIComponent).join('/');
  return `${bucket}/${key}${source.versionId ? `?versionId=${encodeURIComponent(source.versionId)}` : ''}`;
}
