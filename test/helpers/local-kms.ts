/**
 * A local KMS endpoint for tests: an HTTP server in the test process that speaks KMS's JSON 1.1 wire
 * protocol for `Sign`, `Verify` and `GetPublicKey`, backed by EC P-256 keys made with node:crypto.
 *
 * Drive it with the real `@aws-sdk/client-kms` client (`clientConfig()`), or point a child process at it
 * with `AWS_ENDPOINT_URL_KMS` (`env()`). Like KMS:
 * - requests are `POST /` with `X-Amz-Target: TrentService.<Operation>` and
 *   `Content-Type: application/x-amz-json-1.1`; blobs are base64;
 * - `Sign`/`Verify` with `MessageType: DIGEST` sign the 32-byte digest as given (raw ECDSA, no re-hash);
 *   `RAW` hashes the message with SHA-256 first;
 * - an invalid signature is the `KMSInvalidSignatureException` error, not `SignatureValid: false`;
 * - errors are HTTP 400 with `{"__type": "<Name>", "message": "..."}` (`NotFoundException`,
 *   `DisabledException`, `InvalidKeyUsageException`, `ValidationException`, `UnknownOperationException`);
 * - `KeyId` may be the key id, key ARN, `alias/<name>` or alias ARN; responses carry the key ARN.
 *
 * Every request is recorded in `requests` (operation, parsed body, headers) for assertions.
 * Node's crypto cannot sign a pre-hashed digest with ECDSA, so the curve arithmetic is done here
 * with BigInt (test-only code; the signatures are standard and verify with node:crypto and OpenSSL).
 */
import { KeyObject, createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';

export const LOCAL_KMS_REGION = 'us-east-1';
export const LOCAL_KMS_ACCOUNT = '111122223333';

/** One key held by the local KMS. */
export interface LocalKmsKey {
  readonly keyId: string;
  readonly arn: string;
  readonly aliases: readonly string[];
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  /** SubjectPublicKeyInfo PEM, as `ztai-model public-key` writes it. */
  readonly publicKeyPem: string;
  enabled: boolean;
}

/** One request the server received. */
export interface LocalKmsRequest {
  readonly operation: string;
  readonly body: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
}

class KmsFault extends Error {
  constructor(
    public readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** An in-process KMS endpoint. `await LocalKms.start()`, then `stop()` in `afterAll`. */
export class LocalKms {
  public readonly keys: LocalKmsKey[] = [];
  public readonly requests: LocalKmsRequest[] = [];
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** `http://127.0.0.1:<port>` */
  public get endpoint(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Start a server on 127.0.0.1 with a random free port. */
  public static async start(): Promise<LocalKms> {
    // Keep test output readable: the SDK otherwise prints a multi-line node-20 support notice.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const kms = new LocalKms();
    await new Promise<void>((resolve) => kms.server.listen(0, '127.0.0.1', resolve));
    return kms;
  }

  /** Client config for `new KMSClient(...)`: this endpoint, a region and static fake credentials. */
  public clientConfig() {
    return {
      endpoint: this.endpoint,
      region: LOCAL_KMS_REGION,
      credentials: { accessKeyId: 'AKIDLOCALKMSTEST', secretAccessKey: 'local-kms-test-secret' },
      maxAttempts: 1,
    };
  }

  /**
   * Environment for a child process: the standard SDK variables pointing at this endpoint, with shared
   * config files and instance metadata switched off so nothing outside the test is consulted.
   */
  public env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_KMS: this.endpoint,
      AWS_REGION: LOCAL_KMS_REGION,
      AWS_ACCESS_KEY_ID: 'AKIDLOCALKMSTEST',
      AWS_SECRET_ACCESS_KEY: 'local-kms-test-secret',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
    };
  }

  /** Make an ECC_NIST_P256 SIGN_VERIFY key, optionally with aliases (`alias/<name>`). */
  public createKey(...aliases: string[]): LocalKmsKey {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyId = randomUUID();
    const key: LocalKmsKey = {
      keyId,
      arn: `arn:aws:kms:${LOCAL_KMS_REGION}:${LOCAL_KMS_ACCOUNT}:key/${keyId}`,
      aliases,
      publicKey,
      privateKey,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      enabled: true,
    };
    this.keys.push(key);
    return key;
  }

  /** Requests for one operation (`Sign`, `Verify`, `GetPublicKey`). */
  public requestsFor(operation: string): LocalKmsRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : target;
    try {
      if (req.method !== 'POST') throw new KmsFault('UnknownOperationException', `method ${req.method}`);
      if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
        throw new KmsFault('SerializationException', `content-type ${req.headers['content-type']}`);
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        throw new KmsFault('SerializationException', 'request body is not JSON');
      }
      this.requests.push({ operation, body, headers: req.headers });
      this.reply(res, 200, this.dispatch(operation, body));
    } catch (err) {
      const fault = err instanceof KmsFault ? err : new KmsFault('KMSInternalException', String(err));
      this.reply(res, 400, { __type: fault.type, message: fault.message });
    }
  }

  private dispatch(operation: string, body: Record<string, unknown>): Record<string, unknown> {
    switch (operation) {
      case 'Sign': {
        const key = this.usableKey(body.KeyId);
        checkAlgorithm(body.SigningAlgorithm);
        const digest = messageDigest(body);
        return {
          KeyId: key.arn,
          Signature: ecdsaSign(key.privateKey, digest).toString('base64'),
          SigningAlgorithm: 'ECDSA_SHA_256',
        };
      }
      case 'Verify': {
        const key = this.usableKey(body.KeyId);
        checkAlgorithm(body.SigningAlgorithm);
        const digest = messageDigest(body);
        const signature = blob(body.Signature, 'Signature');
        if (!ecdsaVerify(key.publicKey, digest, signature)) {
          throw new KmsFault('KMSInvalidSignatureException', '');
        }
        return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: 'ECDSA_SHA_256' };
      }
      case 'GetPublicKey': {
        const key = this.usableKey(body.KeyId);
        return {
          KeyId: key.arn,
          PublicKey: key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
          KeySpec: 'ECC_NIST_P256',
          CustomerMasterKeySpec: 'ECC_NIST_P256',
          KeyUsage: 'SIGN_VERIFY',
          SigningAlgorithms: ['ECDSA_SHA_256'],
        };
      }
      default:
        throw new KmsFault('UnknownOperationException', `operation ${operation || '(none)'} is not supported`);
    }
  }

  private usableKey(keyId: unknown): LocalKmsKey {
    if (typeof keyId !== 'string' || keyId === '') throw new KmsFault('ValidationException', 'KeyId is required');
    const aliasPrefix = `arn:aws:kms:${LOCAL_KMS_REGION}:${LOCAL_KMS_ACCOUNT}:`;
    const key = this.keys.find(
      (k) =>
        k.keyId === keyId ||
        k.arn === keyId ||
        k.aliases.includes(keyId) ||
        k.aliases.some((a) => `${aliasPrefix}${a}` === keyId),
    );
    if (!key) {
      throw new KmsFault(
        'NotFoundException',
        keyId.includes('alias/')
          ? `Alias ${keyId.startsWith('arn:') ? keyId : aliasPrefix + keyId} is not found.`
          : `Key '${keyId.startsWith('arn:') ? keyId : `${aliasPrefix}key/${keyId}`}' does not exist`,
      );
    }
    if (!key.enabled) throw new KmsFault('DisabledException', `${key.arn} is disabled.`);
    return key;
  }

  private reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(text);
  }
}

function checkAlgorithm(value: unknown): void {
  if (value !== 'ECDSA_SHA_256') {
    throw new KmsFault(
      'InvalidKeyUsageException',
      `SigningAlgorithm ${String(value)} is not valid for an ECC_NIST_P256 key`,
    );
  }
}

function blob(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || value === '') throw new KmsFault('ValidationException', `${field} is required`);
  return Buffer.from(value, 'base64');
}

function messageDigest(body: Record<string, unknown>): Buffer {
  const message = blob(body.Message, 'Message');
  const type = body.MessageType ?? 'RAW';
  if (type === 'RAW') return createHash('sha256').update(message).digest();
  if (type !== 'DIGEST') throw new KmsFault('ValidationException', `MessageType ${String(type)}`);
  if (message.length !== 32) {
    throw new KmsFault('ValidationException', `Digest is invalid length for algorithm ECDSA_SHA_256.`);
  }
  return message;
}

// ---- ECDSA over P-256 on a pre-hashed digest (SEC 1 §4.1), BigInt arithmetic ----

const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const A = P - 3n;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};

type Point = { x: bigint; y: bigint } | null; // null: the point at infinity

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function inverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return mod(oldS, m);
}

function add(p: Point, q: Point): Point {
  if (p === null) return q;
  if (q === null) return p;
  if (p.x === q.x && mod(p.y + q.y, P) === 0n) return null;
  const lambda =
    p.x === q.x && p.y === q.y
      ? mod((3n * p.x * p.x + A) * inverse(2n * p.y, P), P)
      : mod((q.y - p.y) * inverse(q.x - p.x, P), P);
  const x = mod(lambda * lambda - p.x - q.x, P);
  return { x, y: mod(lambda * (p.x - x) - p.y, P) };
}

function multiply(k: bigint, point: Point): Point {
  let result: Point = null;
  let addend = point;
  for (let n = k; n > 0n; n >>= 1n) {
    if (n & 1n) result = add(result, addend);
    addend = add(addend, addend);
  }
  return result;
}

function toBigInt(bytes: Buffer): bigint {
  return BigInt(`0x${bytes.toString('hex') || '0'}`);
}

function jwkScalar(key: KeyObject, field: 'd' | 'x' | 'y'): bigint {
  const value = key.export({ format: 'jwk' })[field];
  return toBigInt(Buffer.from(value as string, 'base64url'));
}

function ecdsaSign(privateKey: KeyObject, digest: Buffer): Buffer {
  const d = jwkScalar(privateKey, 'd');
  const z = toBigInt(digest);
  for (;;) {
    const k = toBigInt(randomBytes(32));
    if (k === 0n || k >= N) continue;
    const r = mod((multiply(k, G) as { x: bigint }).x, N);
    if (r === 0n) continue;
    const s = mod(inverse(k, N) * (z + r * d), N);
    if (s === 0n) continue;
    return derSignature(r, s);
  }
}

function ecdsaVerify(publicKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const parsed = parseDerSignature(signature);
  if (!parsed) return false;
  const { r, s } = parsed;
  if (r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const q: Point = { x: jwkScalar(publicKey, 'x'), y: jwkScalar(publicKey, 'y') };
  const w = inverse(s, N);
  const point = add(multiply(mod(toBigInt(digest) * w, N), G), multiply(mod(r * w, N), q));
  return point !== null && mod(point.x, N) === r;
}

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
}

function derSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function parseDerSignature(der: Buffer): { r: bigint; s: bigint } | undefined {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return undefined;
  const ints: bigint[] = [];
  let offset = 2;
  for (let i = 0; i < 2; i++) {
    if (der[offset] !== 0x02) return undefined;
    const length = der[offset + 1];
    if (length === 0 || offset + 2 + length > der.length) return undefined;
    ints.push(toBigInt(der.subarray(offset + 2, offset + 2 + length)));
    offset += 2 + length;
  }
  return offset === der.length ? { r: ints[0], s: ints[1] } : undefined;
}
