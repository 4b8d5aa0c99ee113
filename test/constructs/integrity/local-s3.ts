/**
 * A local S3 endpoint for the admission gate's tests: an HTTP server in the test process that speaks
 * the S3 REST wire protocol (path-style addressing, XML bodies) for the operations the gate and an
 * uploader use, over one versioned bucket. Drive it with the real `@aws-sdk/client-s3` client
 * (`clientConfig()`).
 *
 * Like S3 (https://docs.aws.amazon.com/AmazonS3/latest/API/):
 * - GetObject (optionally `versionId`), PutObject, DeleteObject (a delete marker), ListObjectsV2
 *   (paged, `continuation-token`), CopyObject, CreateMultipartUpload, UploadPartCopy,
 *   CompleteMultipartUpload, AbortMultipartUpload;
 * - `x-amz-copy-source` is `bucket/url-encoded-key[?versionId=…]`; `x-amz-copy-source-if-match` must
 *   match the source's ETag (else 412 PreconditionFailed); `x-amz-copy-source-range` is `bytes=a-b`;
 * - CopyObject refuses a source larger than `maxCopyObjectBytes` (S3: 5 GiB) with 400 InvalidRequest,
 *   "The specified copy source is larger than the maximum allowable size for a copy source";
 * - a write without SSE headers gets the bucket's default encryption (here: SSE-KMS with
 *   `defaultKmsKeyArn`); a multipart upload's encryption is the one set at CreateMultipartUpload;
 *   responses carry `x-amz-server-side-encryption` and `…-aws-kms-key-id`;
 * - errors are `<Error><Code>…</Code><Message>…</Message></Error>` with the HTTP status S3 uses.
 *
 * Every request is recorded in `requests` (operation, key, query, headers) for assertions.
 */
import { createHash, randomUUID } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

export const LOCAL_S3_REGION = 'us-east-1';

/** One stored version of an object. */
export interface LocalS3Version {
  readonly versionId: string;
  readonly etag: string;
  readonly body: Buffer;
  readonly encryption: { readonly algorithm: string; readonly kmsKeyId?: string };
  /** A delete marker (no body). */
  readonly deleteMarker?: boolean;
}

/** One request the server received. */
export interface LocalS3Request {
  readonly operation: string;
  readonly method: string;
  readonly key: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
}

class S3Fault extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Upload {
  readonly key: string;
  readonly encryption: LocalS3Version['encryption'];
  readonly parts: Map<number, { etag: string; body: Buffer }>;
}

export interface LocalS3Options {
  /** The one bucket. @default 'models' */
  readonly bucket?: string;
  /** The bucket's default SSE-KMS key. @default 'arn:aws:kms:us-east-1:111122223333:key/models' */
  readonly defaultKmsKeyArn?: string;
  /** Largest source CopyObject copies. @default 5 GiB, as S3 */
  readonly maxCopyObjectBytes?: number;
  /** Keys per ListObjectsV2 page. @default 1000 */
  readonly listPageSize?: number;
}

/** An in-process S3 endpoint. `await LocalS3.start()`, then `stop()` in `afterAll`. */
export class LocalS3 {
  public readonly bucket: string;
  public readonly defaultKmsKeyArn: string;
  public readonly requests: LocalS3Request[] = [];
  public maxCopyObjectBytes: number;
  private readonly listPageSize: number;
  private readonly objects = new Map<string, LocalS3Version[]>();
  private readonly uploads = new Map<string, Upload>();
  private readonly server: Server;
  private nextVersion = 1;

  private constructor(options: LocalS3Options) {
    this.bucket = options.bucket ?? 'models';
    this.defaultKmsKeyArn = options.defaultKmsKeyArn ?? 'arn:aws:kms:us-east-1:111122223333:key/models';
    this.maxCopyObjectBytes = options.maxCopyObjectBytes ?? 5 * 1024 ** 3;
    this.listPageSize = options.listPageSize ?? 1000;
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** `http://127.0.0.1:<port>` */
  public get endpoint(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Multipart uploads neither completed nor aborted. */
  public get openUploads(): number {
    return this.uploads.size;
  }

  /** Start a server on 127.0.0.1 with a random free port. */
  public static async start(options: LocalS3Options = {}): Promise<LocalS3> {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const s3 = new LocalS3(options);
    await new Promise<void>((resolve) => s3.server.listen(0, '127.0.0.1', resolve));
    return s3;
  }

  /** Client config for `new S3Client(...)`: this endpoint, path-style, static fake credentials. */
  public clientConfig() {
    return {
      endpoint: this.endpoint,
      region: LOCAL_S3_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIDLOCALS3TEST', secretAccessKey: 'local-s3-test-secret' },
      maxAttempts: 1,
    };
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Store an object version directly (no request recorded); returns its version id. */
  public put(key: string, body: string | Buffer): string {
    return this.store(key, Buffer.from(body), { algorithm: 'aws:kms', kmsKeyId: this.defaultKmsKeyArn }).versionId;
  }

  /** The latest version of a key (undefined if absent or deleted). */
  public latest(key: string): LocalS3Version | undefined {
    const v = this.objects.get(key)?.at(-1);
    return v && !v.deleteMarker ? v : undefined;
  }

  /** Keys whose latest version is not a delete marker, sorted. */
  public keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix) && this.latest(k)).sort();
  }

  /** The recorded requests of one operation. */
  public requestsOf(operation: string): LocalS3Request[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  private store(key: string, body: Buffer, encryption: LocalS3Version['encryption'], etag?: string): LocalS3Version {
    const version: LocalS3Version = {
      versionId: `v${this.nextVersion++}-${randomUUID().slice(0, 8)}`,
      etag: etag ?? `"${createHash('md5').update(body).digest('hex')}"`,
      body,
      encryption,
    };
    this.objects.set(key, [...(this.objects.get(key) ?? []), version]);
    return version;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://local');
      const [, bucket, ...rest] = url.pathname.split('/');
      const key = rest.map(decodeURIComponent).join('/');
      const query = Object.fromEntries(url.searchParams.entries());
      const body = decodeAwsChunked(req, await readBody(req));
      const operation = this.operationOf(req.method ?? 'GET', key, query, req.headers);
      this.requests.push({ operation, method: req.method ?? 'GET', key, query, headers: req.headers });
      if (decodeURIComponent(bucket) !== this.bucket)
        throw new S3Fault(404, 'NoSuchBucket', 'The specified bucket does not exist');
      this.dispatch(operation, key, query, req.headers, body, res);
    } catch (err) {
      const fault = err instanceof S3Fault ? err : new S3Fault(500, 'InternalError', String(err));
      res.writeHead(fault.status, { 'Content-Type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>${xml(fault.message)}</Message></Error>`,
      );
    }
  }

  private operationOf(method: string, key: string, q: Record<string, string>, h: IncomingMessage['headers']): string {
    if (method === 'GET' && key === '') return 'ListObjectsV2';
    if (method === 'GET') return 'GetObject';
    if (method === 'POST' && 'uploads' in q) return 'CreateMultipartUpload';
    if (method === 'POST' && q.uploadId) return 'CompleteMultipartUpload';
    if (method === 'PUT' && q.uploadId && h['x-amz-copy-source']) return 'UploadPartCopy';
    if (method === 'PUT' && q.uploadId) return 'UploadPart';
    if (method === 'PUT' && h['x-amz-copy-source']) return 'CopyObject';
    if (method === 'PUT') return 'PutObject';
    if (method === 'DELETE' && q.uploadId) return 'AbortMultipartUpload';
    if (method === 'DELETE') return 'DeleteObject';
    return `${method}?`;
  }

  private dispatch(
    operation: string,
    key: string,
    q: Record<string, string>,
    h: IncomingMessage['headers'],
    body: Buffer,
    res: ServerResponse,
  ): void {
    switch (operation) {
      case 'ListObjectsV2': {
        const all = this.keys(q.prefix ?? '');
        const start = q['continuation-token'] ? Number(q['continuation-token']) : 0;
        const page = all.slice(start, start + this.listPageSize);
        const truncated = start + page.length < all.length;
        const contents = page
          .map((k) => {
            const v = this.latest(k)!;
            return `<Contents><Key>${xml(k)}</Key><Size>${v.body.length}</Size><ETag>${xml(v.etag)}</ETag></Contents>`;
          })
          .join('');
        return sendXml(
          res,
          200,
          `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${this.bucket}</Name>` +
            `<Prefix>${xml(q.prefix ?? '')}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${this.listPageSize}</MaxKeys>` +
            `<IsTruncated>${truncated}</IsTruncated>${contents}` +
            (truncated ? `<NextContinuationToken>${start + page.length}</NextContinuationToken>` : '') +
            `</ListBucketResult>`,
        );
      }
      case 'GetObject': {
        const v = this.version(key, q.versionId);
        res.writeHead(200, {
          'Content-Length': v.body.length,
          ETag: v.etag,
          'x-amz-version-id': v.versionId,
          ...encryptionHeaders(v.encryption),
        });
        return void res.end(v.body);
      }
      case 'PutObject': {
        const v = this.store(key, body, this.encryptionOf(h));
        res.writeHead(200, { ETag: v.etag, 'x-amz-version-id': v.versionId, ...encryptionHeaders(v.encryption) });
        return void res.end();
      }
      case 'DeleteObject': {
        this.objects.set(key, [
          ...(this.objects.get(key) ?? []),
          {
            versionId: `v${this.nextVersion++}`,
            etag: '',
            body: Buffer.alloc(0),
            encryption: { algorithm: '' },
            deleteMarker: true,
          },
        ]);
        res.writeHead(204);
        return void res.end();
      }
      case 'CopyObject': {
        const source = this.copySource(h);
        if (source.body.length > this.maxCopyObjectBytes) {
          throw new S3Fault(
            400,
            'InvalidRequest',
            `The specified copy source is larger than the maximum allowable size for a copy source: ${this.maxCopyObjectBytes}`,
          );
        }
        const v = this.store(key, source.body, this.encryptionOf(h), source.etag);
        res.setHeader('x-amz-version-id', v.versionId);
        res.setHeader('x-amz-copy-source-version-id', source.versionId);
        for (const [name, value] of Object.entries(encryptionHeaders(v.encryption))) res.setHeader(name, value);
        return sendXml(
          res,
          200,
          `<CopyObjectResult><ETag>${xml(v.etag)}</ETag><LastModified>${NOW}</LastModified></CopyObjectResult>`,
        );
      }
      case 'CreateMultipartUpload': {
        const uploadId = randomUUID();
        this.uploads.set(uploadId, { key, encryption: this.encryptionOf(h), parts: new Map() });
        return sendXml(
          res,
          200,
          `<InitiateMultipartUploadResult><Bucket>${this.bucket}</Bucket><Key>${xml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      case 'UploadPartCopy': {
        const upload = this.upload(q.uploadId, key);
        const source = this.copySource(h);
        let part = source.body;
        const range = h['x-amz-copy-source-range'];
        if (range !== undefined) {
          const m = /^bytes=(\d+)-(\d+)$/.exec(String(range));
          if (!m || Number(m[2]) < Number(m[1]) || Number(m[2]) >= source.body.length) {
            throw new S3Fault(
              400,
              'InvalidArgument',
              `The x-amz-copy-source-range value must be of the form bytes=first-last within the object, got ${range}`,
            );
          }
          part = source.body.subarray(Number(m[1]), Number(m[2]) + 1);
        }
        const etag = `"${createHash('md5').update(part).digest('hex')}"`;
        upload.parts.set(Number(q.partNumber), { etag, body: Buffer.from(part) });
        res.setHeader('x-amz-copy-source-version-id', source.versionId);
        return sendXml(
          res,
          200,
          `<CopyPartResult><ETag>${xml(etag)}</ETag><LastModified>${NOW}</LastModified></CopyPartResult>`,
        );
      }
      case 'CompleteMultipartUpload': {
        const upload = this.upload(q.uploadId, key);
        const listed = [...body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
          partNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(m[1])?.[1]),
          etag: unxml(/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1])?.[1] ?? ''),
        }));
        if (listed.length === 0) throw new S3Fault(400, 'MalformedXML', 'The XML you provided was not well-formed');
        const bodies: Buffer[] = [];
        let previous = 0;
        for (const { partNumber, etag } of listed) {
          const stored = upload.parts.get(partNumber);
          if (!stored || stored.etag !== etag) {
            throw new S3Fault(
              400,
              'InvalidPart',
              `One or more of the specified parts could not be found (part ${partNumber})`,
            );
          }
          if (partNumber <= previous)
            throw new S3Fault(400, 'InvalidPartOrder', 'The list of parts was not in ascending order');
          previous = partNumber;
          bodies.push(stored.body);
        }
        const md5s = Buffer.concat(listed.map((p) => Buffer.from(p.etag.replace(/"/g, ''), 'hex')));
        const etag = `"${createHash('md5').update(md5s).digest('hex')}-${listed.length}"`;
        const v = this.store(key, Buffer.concat(bodies), upload.encryption, etag);
        this.uploads.delete(q.uploadId);
        res.setHeader('x-amz-version-id', v.versionId);
        for (const [name, value] of Object.entries(encryptionHeaders(v.encryption))) res.setHeader(name, value);
        return sendXml(
          res,
          200,
          `<CompleteMultipartUploadResult><Bucket>${this.bucket}</Bucket><Key>${xml(key)}</Key><ETag>${xml(etag)}</ETag></CompleteMultipartUploadResult>`,
        );
      }
      case 'AbortMultipartUpload': {
        this.upload(q.uploadId, key);
        this.uploads.delete(q.uploadId);
        res.writeHead(204);
        return void res.end();
      }
      default:
        throw new S3Fault(501, 'NotImplemented', `${operation} is not implemented by the local S3 endpoint`);
    }
  }

  private version(key: string, versionId?: string): LocalS3Version {
    const versions = this.objects.get(key);
    if (versionId) {
      const v = versions?.find((x) => x.versionId === versionId);
      if (!v) throw new S3Fault(404, 'NoSuchVersion', 'The specified version does not exist.');
      return v;
    }
    const v = versions?.at(-1);
    if (!v || v.deleteMarker) throw new S3Fault(404, 'NoSuchKey', 'The specified key does not exist.');
    return v;
  }

  private copySource(h: IncomingMessage['headers']): LocalS3Version {
    const raw = String(h['x-amz-copy-source']).replace(/^\//, '');
    const [path, search] = raw.split('?', 2);
    const [bucket, ...rest] = path.split('/');
    if (decodeURIComponent(bucket) !== this.bucket)
      throw new S3Fault(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const versionId = search ? (new URLSearchParams(search).get('versionId') ?? undefined) : undefined;
    const source = this.version(rest.map(decodeURIComponent).join('/'), versionId);
    const ifMatch = h['x-amz-copy-source-if-match'];
    if (ifMatch !== undefined && ifMatch !== source.etag) {
      throw new S3Fault(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
    }
    return source;
  }

  private upload(uploadId: string, key: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.key !== key) {
      throw new S3Fault(404, 'NoSuchUpload', 'The specified multipart upload does not exist.');
    }
    return upload;
  }

  /** The encryption a write asks for, else the bucket default (SSE-KMS with its key). */
  private encryptionOf(h: IncomingMessage['headers']): LocalS3Version['encryption'] {
    const algorithm = h['x-amz-server-side-encryption'];
    if (algorithm === undefined) return { algorithm: 'aws:kms', kmsKeyId: this.defaultKmsKeyArn };
    return {
      algorithm: String(algorithm),
      kmsKeyId:
        algorithm === 'aws:kms'
          ? String(h['x-amz-server-side-encryption-aws-kms-key-id'] ?? this.defaultKmsKeyArn)
          : undefined,
    };
  }
}

const NOW = '2025-01-02T03:04:05.000Z';

function encryptionHeaders(e: LocalS3Version['encryption']): Record<string, string> {
  return {
    'x-amz-server-side-encryption': e.algorithm,
    ...(e.kmsKeyId ? { 'x-amz-server-side-encryption-aws-kms-key-id': e.kmsKeyId } : {}),
  };
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unxml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Undo `Content-Encoding: aws-chunked` (the SDK streams bodies with a trailing checksum this way). */
function decodeAwsChunked(req: IncomingMessage, body: Buffer): Buffer {
  if (!String(req.headers['content-encoding'] ?? '').includes('aws-chunked')) return body;
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, eol).toString('latin1').split(';')[0], 16);
    if (!size) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}
