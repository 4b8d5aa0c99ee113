/**
 * {@link AdmissionStore} on Amazon S3 with `@aws-sdk/client-s3`.
 *
 * Copies name the exact source version (`?versionId=`) and, as a second guard, its ETag
 * (`x-amz-copy-source-if-match`). Objects over 5 GiB, the largest a single CopyObject copies, are
 * copied with a multipart upload: CreateMultipartUpload, UploadPartCopy of byte ranges of the pinned
 * version, CompleteMultipartUpload (https://docs.aws.amazon.com/AmazonS3/latest/userguide/CopyingObjectsMPUapi.html).
 *
 * No write names SSE headers: "if you don't specify encryption information in your copy request, the
 * encryption setting of the target object is set to the default encryption configuration of the
 * destination bucket" (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html), and a
 * multipart upload's encryption is set at CreateMultipartUpload, so the platform bucket's default
 * SSE-KMS with its own key applies to every copy and record. The platform's buckets deny only a wrong
 * SSE header, never a missing one.
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

/** Largest object a single CopyObject can copy (5 GiB). */
export const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
/** Smallest part of a multipart copy (more when needed to stay within 10,000 parts). */
export const COPY_PART_BYTES = 512 * 1024 ** 2;
/** Most parts a multipart upload may have. */
export const MAX_COPY_PARTS = 10_000;

/** How the store copies; the defaults are S3's limits, smaller values only let tests take the multipart path. */
export interface S3AdmissionStoreOptions {
  /** Objects larger than this are copied with a multipart copy. @default MAX_SINGLE_COPY_BYTES (5 GiB) */
  readonly maxSingleCopyBytes?: number;
  /** Smallest part of a multipart copy. @default COPY_PART_BYTES (512 MiB) */
  readonly copyPartBytes?: number;
}

/** The models bucket through the S3 API. */
export class S3AdmissionStore implements AdmissionStore {
  private readonly maxSingleCopyBytes: number;
  private readonly copyPartBytes: number;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    options: S3AdmissionStoreOptions = {},
  ) {
    this.maxSingleCopyBytes = options.maxSingleCopyBytes ?? MAX_SINGLE_COPY_BYTES;
    this.copyPartBytes = options.copyPartBytes ?? COPY_PART_BYTES;
    for (const [name, value] of [
      ['maxSingleCopyBytes', this.maxSingleCopyBytes],
      ['copyPartBytes', this.copyPartBytes],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1 || value > MAX_SINGLE_COPY_BYTES) {
        throw new Error(
          `S3AdmissionStore: ${name} must be an integer from 1 to ${MAX_SINGLE_COPY_BYTES}, got ${value}`,
        );
      }
    }
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
    if (source.size <= this.maxSingleCopyBytes) {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: destinationKey,
          CopySource: copySource,
          CopySourceIfMatch: source.etag,
        }),
      );
      return;
    }
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: destinationKey }),
    );
    try {
      const partBytes = Math.max(this.copyPartBytes, Math.ceil(source.size / MAX_COPY_PARTS));
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
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }),
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
