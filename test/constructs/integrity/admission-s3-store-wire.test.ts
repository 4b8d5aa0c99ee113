/**
 * The admission gate's S3 adapter on the wire: the real `@aws-sdk/client-s3` client against a local S3
 * endpoint (./local-s3.ts) that refuses a CopyObject above its size limit, as S3 does above 5 GiB.
 * The store's thresholds are injected small, so a "large" object takes the multipart path
 * (CreateMultipartUpload, UploadPartCopy of the pinned version, CompleteMultipartUpload), and the whole
 * admission (kms:Verify against the local KMS endpoint) runs over both endpoints.
 *
 * D1: no request the gate sends carries an SSE header; the bucket's default encryption applies.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { admit } from '../../../constructs/integrity/admission/admission';
import {
  COPY_PART_BYTES,
  MAX_SINGLE_COPY_BYTES,
  S3AdmissionStore,
} from '../../../constructs/integrity/admission/s3-store';
import { serializeBundle } from '../../../constructs/signing/bundle';
import { KmsSigner, KmsVerifier } from '../../../constructs/signing/kms';
import { signModel } from '../../../constructs/signing/signing';
import { LocalKms, LocalKmsKey } from '../../helpers/local-kms';
import { LocalS3, LocalS3Request } from './local-s3';

/** The "5 GiB" of these tests: the local endpoint refuses CopyObject above it, the store switches above it. */
const COPY_LIMIT = 64 * 1024;
const PART = 16 * 1024;

let s3: LocalS3;
let kms: LocalKms;
let signingKey: LocalKmsKey;

beforeAll(async () => {
  s3 = await LocalS3.start({ maxCopyObjectBytes: COPY_LIMIT, listPageSize: 3 });
  kms = await LocalKms.start();
  signingKey = kms.createKey('alias/model-signing');
});

afterAll(async () => {
  await s3.stop();
  await kms.stop();
});

beforeEach(() => {
  s3.requests.length = 0;
});

const client = () => new S3Client(s3.clientConfig());
const store = (options = { maxSingleCopyBytes: COPY_LIMIT, copyPartBytes: PART }) =>
  new S3AdmissionStore(client(), s3.bucket, options);

/** Deterministic bytes, different for each seed. */
function bytes(size: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + seed * 13 + (i >> 8)) % 251));
}

/** Every header of a request that names server-side encryption. */
const sseHeaders = (r: LocalS3Request) =>
  Object.keys(r.headers).filter((h) => h.startsWith('x-amz-server-side-encryption'));

describe('S3AdmissionStore over the wire', () => {
  test('an object up to the limit: one CopyObject of the pinned version, without SSE headers; the bucket default encrypts it', async () => {
    const v1 = s3.put('incoming/w/m/1/files/small.bin', bytes(1000, 1));
    s3.put('incoming/w/m/1/files/small.bin', bytes(1000, 2)); // a newer version must not be copied
    const etag = s3.latest('incoming/w/m/1/files/small.bin')!.etag;
    const source = { key: 'incoming/w/m/1/files/small.bin', size: 1000, versionId: v1 };
    await expect(store().copyObject({ ...source, etag }, 'approved/x')).rejects.toThrow(/pre-conditions/);
    const v1etag = (await store().getObject(source.key, v1))!.etag;
    s3.requests.length = 0;

    await store().copyObject({ ...source, etag: v1etag }, 'approved/w/m/1/files/small.bin');

    expect(s3.requests.map((r) => r.operation)).toEqual(['CopyObject']);
    expect(s3.requests[0].headers['x-amz-copy-source']).toBe(`models/incoming/w/m/1/files/small.bin?versionId=${v1}`);
    expect(s3.requests[0].headers['x-amz-copy-source-if-match']).toBe(v1etag);
    expect(sseHeaders(s3.requests[0])).toEqual([]);
    const copy = s3.latest('approved/w/m/1/files/small.bin')!;
    expect(copy.body.equals(bytes(1000, 1))).toBe(true);
    expect(copy.encryption).toEqual({ algorithm: 'aws:kms', kmsKeyId: s3.defaultKmsKeyArn });
  });

  test('negative control: a single CopyObject of an object over the limit is refused, as S3 refuses one over 5 GiB', async () => {
    const versionId = s3.put('incoming/w/m/1/files/huge.bin', bytes(COPY_LIMIT + 1, 3));
    const single = store({ maxSingleCopyBytes: COPY_LIMIT + 1, copyPartBytes: PART });
    await expect(
      single.copyObject({ key: 'incoming/w/m/1/files/huge.bin', size: COPY_LIMIT + 1, versionId }, 'approved/huge.bin'),
    ).rejects.toThrow(/larger than the maximum allowable size for a copy source/);
    expect(s3.latest('approved/huge.bin')).toBeUndefined();
  });

  test('an object over the limit: a multipart copy of the pinned version in ranges, without SSE headers, byte for byte', async () => {
    const size = COPY_LIMIT * 2 + 123;
    const key = 'incoming/w/m/1/files/weights/large.bin';
    const versionId = s3.put(key, bytes(size, 4));
    const pinned = s3.latest(key)!;
    s3.put(key, bytes(size, 5)); // overwritten after verification: the copy must still be the pinned version
    s3.requests.length = 0;

    await store().copyObject({ key, size, versionId, etag: pinned.etag }, 'approved/w/m/1/files/weights/large.bin');

    const ops = s3.requests.map((r) => r.operation);
    const parts = Math.ceil(size / PART);
    expect(ops).toEqual(['CreateMultipartUpload', ...Array(parts).fill('UploadPartCopy'), 'CompleteMultipartUpload']);
    const copies = s3.requestsOf('UploadPartCopy');
    let next = 0;
    for (const [i, r] of copies.entries()) {
      expect(r.query.partNumber).toBe(String(i + 1));
      expect(r.headers['x-amz-copy-source']).toBe(`models/${key}?versionId=${versionId}`);
      expect(r.headers['x-amz-copy-source-if-match']).toBe(pinned.etag);
      const [start, end] = /^bytes=(\d+)-(\d+)$/
        .exec(String(r.headers['x-amz-copy-source-range']))!
        .slice(1)
        .map(Number);
      expect(start).toBe(next);
      next = end + 1;
    }
    expect(next).toBe(size);
    for (const r of s3.requests) expect({ op: r.operation, sse: sseHeaders(r) }).toEqual({ op: r.operation, sse: [] });

    const copy = s3.latest('approved/w/m/1/files/weights/large.bin')!;
    expect(copy.body.equals(bytes(size, 4))).toBe(true);
    expect(copy.etag).toMatch(new RegExp(`-${parts}"$`));
    expect(copy.encryption).toEqual({ algorithm: 'aws:kms', kmsKeyId: s3.defaultKmsKeyArn });
    expect(s3.openUploads).toBe(0);
  });

  test('a part that fails (the source changed ETag) aborts the multipart upload: nothing is written', async () => {
    const key = 'incoming/w/m/1/files/changed.bin';
    const size = COPY_LIMIT + 10;
    const versionId = s3.put(key, bytes(size, 6));
    await expect(
      store().copyObject({ key, size, versionId, etag: '"not-the-etag"' }, 'approved/w/m/1/files/changed.bin'),
    ).rejects.toThrow(/pre-conditions/);
    expect(s3.requests.map((r) => r.operation)).toEqual([
      'CreateMultipartUpload',
      'UploadPartCopy',
      'AbortMultipartUpload',
    ]);
    expect(s3.latest('approved/w/m/1/files/changed.bin')).toBeUndefined();
    expect(s3.openUploads).toBe(0);
  });

  test('putObject writes a record without SSE headers; getObject and listObjects page through the bucket', async () => {
    await store().putObject('rejected/w/m/1/t.json', '{"outcome":"rejected"}');
    const put = s3.requestsOf('PutObject')[0];
    expect(sseHeaders(put)).toEqual([]);
    expect(s3.latest('rejected/w/m/1/t.json')!.encryption.kmsKeyId).toBe(s3.defaultKmsKeyArn);

    for (const n of [1, 2, 3, 4, 5]) s3.put(`list/p/${n}.bin`, bytes(n, n));
    expect(await store().listObjects('list/p/')).toEqual(
      [1, 2, 3, 4, 5].map((n) => ({ key: `list/p/${n}.bin`, size: n })),
    );
    expect(s3.requestsOf('ListObjectsV2')).toHaveLength(2); // pages of 3

    expect(await store().getObject('list/p/missing.bin')).toBeUndefined();
    const got = (await store().getObject('list/p/2.bin'))!;
    const chunks: Buffer[] = [];
    for await (const c of got.body) chunks.push(Buffer.from(c));
    expect(Buffer.concat(chunks).equals(bytes(2, 2))).toBe(true);
  });

  test('thresholds are validated', () => {
    expect(() => new S3AdmissionStore(client(), 'b', { copyPartBytes: 0 })).toThrow(
      /copyPartBytes must be an integer from 1 to 5368709120, got 0/,
    );
    expect(() => new S3AdmissionStore(client(), 'b', { maxSingleCopyBytes: MAX_SINGLE_COPY_BYTES + 1 })).toThrow(
      /maxSingleCopyBytes must be an integer from 1 to 5368709120/,
    );
    expect(COPY_PART_BYTES).toBe(512 * 1024 ** 2);
  });
});

describe('an admission over the wire', () => {
  const PREFIX = 'incoming/fraud-scoring/fraud-model/1/';
  const files: Record<string, Buffer> = {
    'config.json': Buffer.from('{"arch":"tiny"}\n'),
    'weights/model.bin': bytes(COPY_LIMIT * 3 + 77, 9),
  };

  test('a signed model with a file over the copy limit is verified and copied to approved/…/files/, multipart for the large file', async () => {
    const source = {
      location: 'memory',
      list: async () => Object.entries(files).map(([path, c]) => ({ path, size: c.length })),
      open: async (path: string) => Readable.from([files[path]]),
    };
    const kmsClient = new KMSClient(kms.clientConfig());
    const bundle = await signModel(source, new KmsSigner(kmsClient, signingKey.arn), {
      subject: { workload: 'fraud-scoring', model: 'fraud-model', version: '1' },
    });
    // The release engineer's upload: files first, the bundle last (through the SDK, no SSE headers).
    const uploader = client();
    for (const [path, body] of Object.entries(files)) {
      await uploader.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}files/${path}`, Body: body }));
    }
    await uploader.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: `${PREFIX}bundle.json`, Body: serializeBundle(bundle) }),
    );
    const bundleVersion = s3.latest(`${PREFIX}bundle.json`)!.versionId;
    s3.requests.length = 0;

    const outcome = await admit(`${PREFIX}bundle.json`, bundleVersion, {
      store: store(),
      verifier: new KmsVerifier(kmsClient, signingKey.arn),
      signingKeyArn: signingKey.arn,
      requireSubject: true,
      log: () => undefined,
    });

    expect(outcome).toMatchObject({ outcome: 'approved', files: 2 });
    const approved = 'approved/fraud-scoring/fraud-model/1/';
    expect(s3.keys(approved)).toEqual([
      `${approved}bundle.json`,
      `${approved}files/config.json`,
      `${approved}files/weights/model.bin`,
    ]);
    for (const [path, body] of Object.entries(files)) {
      expect(s3.latest(`${approved}files/${path}`)!.body.equals(body)).toBe(true);
    }
    const ops = s3.requests.map((r) => r.operation);
    expect(ops.filter((o) => o === 'CreateMultipartUpload')).toHaveLength(1);
    expect(ops.filter((o) => o === 'CompleteMultipartUpload')).toHaveLength(1);
    expect(s3.requestsOf('CopyObject').map((r) => r.key)).toEqual([
      `${approved}files/config.json`,
      `${approved}bundle.json`,
    ]);
    expect(s3.requestsOf('CreateMultipartUpload').map((r) => r.key)).toEqual([`${approved}files/weights/model.bin`]);
    for (const r of s3.requests) expect({ op: r.operation, sse: sseHeaders(r) }).toEqual({ op: r.operation, sse: [] });
  });
});
