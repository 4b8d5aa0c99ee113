/**
 * The admission gate's logic (admission.ts) and its Lambda entry (handler.ts), with an in-memory
 * versioned bucket and kms:Verify through the real SDK client against the local KMS endpoint.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AdmissionConfig,
  AdmissionStore,
  ObjectVersion,
  StoredObject,
  admit,
  parseKey,
} from '../../../constructs/integrity/admission/admission';
import {
  configFromEnvironment,
  createHandler,
  S3ObjectCreatedEvent,
} from '../../../constructs/integrity/admission/handler';
import { Bundle, serializeBundle } from '../../../constructs/signing/bundle';
import { KmsSigner, KmsVerifier } from '../../../constructs/signing/kms';
import { ManifestSubject } from '../../../constructs/signing/manifest';
import { signModel } from '../../../constructs/signing/signing';
import { LocalKms, LocalKmsKey } from '../../helpers/local-kms';
import { MODEL_FILES } from '../../tools/ztai-model/fixtures';

/** A versioned bucket in memory, recording every write. */
class MemoryBucket implements AdmissionStore {
  public readonly objects = new Map<string, { versionId: string; etag: string; body: Buffer }[]>();
  public readonly writes: { op: 'copy' | 'put' | 'delete'; key: string; from?: ObjectVersion }[] = [];
  /** Called after an object version is handed out for reading. */
  public onGet?: (key: string) => void;
  /** Make the n-th copy (1-based) fail. */
  public failCopy?: number;
  private nextVersion = 1;
  private copies = 0;

  public put(key: string, body: string | Buffer): string {
    const data = Buffer.from(body);
    const version = {
      versionId: `v${this.nextVersion++}`,
      etag: `"${createHash('md5').update(data).digest('hex')}"`,
      body: data,
    };
    this.objects.set(key, [...(this.objects.get(key) ?? []), version]);
    return version.versionId;
  }

  public text(key: string): string | undefined {
    return this.objects.get(key)?.at(-1)?.body.toString('utf8');
  }

  public keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  public async getObject(key: string, versionId?: string): Promise<StoredObject | undefined> {
    const versions = this.objects.get(key);
    const version = versionId ? versions?.find((v) => v.versionId === versionId) : versions?.at(-1);
    if (!version) return undefined;
    this.onGet?.(key);
    return {
      key,
      size: version.body.length,
      versionId: version.versionId,
      etag: version.etag,
      body: chunks(version.body),
    };
  }

  public async listObjects(prefix: string) {
    return this.keys(prefix).map((key) => ({ key, size: (this.objects.get(key)?.at(-1)?.body.length ?? 0) as number }));
  }

  public async copyObject(source: ObjectVersion, destinationKey: string): Promise<void> {
    if (++this.copies === this.failCopy) throw new Error('InternalError: copy failed');
    const version = this.objects.get(source.key)?.find((v) => v.versionId === source.versionId);
    if (!version || (source.etag && version.etag !== source.etag)) throw new Error('PreconditionFailed');
    this.put(destinationKey, version.body);
    this.writes.push({ op: 'copy', key: destinationKey, from: source });
  }

  public async putObject(key: string, body: string): Promise<void> {
    this.put(key, body);
    this.writes.push({ op: 'put', key });
  }

  public async deleteObject(key: string): Promise<void> {
    this.objects.delete(key);
    this.writes.push({ op: 'delete', key });
  }
}

/** Yield a buffer in small chunks, as an S3 body stream would. */
async function* chunks(body: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < body.length; i += 1000) yield body.subarray(i, i + 1000);
  if (body.length === 0) return;
}

let kms: LocalKms;
let signingKey: LocalKmsKey;
let otherKey: LocalKmsKey;

beforeAll(async () => {
  kms = await LocalKms.start();
  signingKey = kms.createKey('alias/model-signing');
  otherKey = kms.createKey('alias/rogue');
});

afterAll(() => kms.stop());

const client = () => new KMSClient(kms.clientConfig());
const PREFIX = 'incoming/fraud/scorer/1.0.0/';
const BUNDLE_KEY = `${PREFIX}bundle.json`;

async function signFiles(
  files: Record<string, string | Buffer>,
  key: LocalKmsKey,
  subject?: ManifestSubject,
): Promise<Bundle> {
  const source = {
    location: 'memory',
    list: async () => Object.entries(files).map(([path, c]) => ({ path, size: Buffer.from(c).length })),
    open: async (path: string) => Readable.from([Buffer.from(files[path])]),
  };
  return signModel(source, new KmsSigner(client(), key.arn), { subject });
}

/** Upload files then the bundle, as the documented flow does; returns the bundle's version id. */
function upload(bucket: MemoryBucket, bundle: Bundle | string, files = MODEL_FILES, prefix = PREFIX): string {
  for (const [path, content] of Object.entries(files)) bucket.put(`${prefix}files/${path}`, content);
  return bucket.put(`${prefix}bundle.json`, typeof bundle === 'string' ? bundle : serializeBundle(bundle));
}

function gate(bucket: MemoryBucket, overrides: Partial<AdmissionConfig> = {}) {
  const lines: string[] = [];
  const config: AdmissionConfig = {
    store: bucket,
    verifier: new KmsVerifier(client(), signingKey.arn),
    signingKeyArn: signingKey.arn,
    log: (line) => lines.push(line),
    now: () => new Date('2025-03-04T05:06:07.089Z'),
    ...overrides,
  };
  return { config, lines, logs: () => lines.map((l) => JSON.parse(l)) };
}

/** Nothing under approved/, one rejection record with `reason`, one EMF AdmissionRejected line. */
function expectRejected(
  bucket: MemoryBucket,
  logs: Record<string, unknown>[],
  reason: string,
  workload = 'fraud',
): void {
  expect(bucket.keys('approved/')).toEqual([]);
  expect(bucket.writes.filter((w) => w.op === 'copy')).toEqual([]);
  const records = bucket.keys('rejected/');
  expect(records).toHaveLength(1);
  expect(JSON.parse(bucket.text(records[0]) as string)).toMatchObject({ outcome: 'rejected', reason });
  expect(logs).toHaveLength(1);
  expect(logs[0]).toMatchObject({
    _aws: {
      CloudWatchMetrics: [
        {
          Namespace: 'ZeroTrustAI/ModelAdmission',
          Dimensions: [['Workload'], []],
          Metrics: [{ Name: 'AdmissionRejected', Unit: 'Count' }],
        },
      ],
    },
    Workload: workload,
    AdmissionRejected: 1,
    level: 'error',
    outcome: 'rejected',
    reason,
    record: records[0],
  });
}

describe('parseKey', () => {
  test('a bundle at incoming/<workload>/<model>/<version>/bundle.json', () => {
    expect(parseKey(BUNDLE_KEY)).toEqual({
      kind: 'bundle',
      location: { workload: 'fraud', model: 'scorer', version: '1.0.0' },
    });
  });

  test.each([
    'incoming/fraud/scorer/1.0.0/files/config.json',
    'incoming/fraud/scorer/1.0.0/files/weights/bundle.json',
    'approved/fraud/scorer/1.0.0/bundle.json',
    'rejected/fraud/scorer/1.0.0/x.json',
  ])('ignores %j', (key) => {
    expect(parseKey(key).kind).toBe('ignored');
  });

  test.each([
    ['models/fraud/scorer/1.0.0/bundle.json', /outside incoming\//],
    ['incoming/fraud/../approved/x/bundle.json', /'\.' or '\.\.' segment/],
    ['incoming/fraud/scorer/1.0.0/files/../../../../approved/fraud/x', /'\.' or '\.\.' segment/],
    ['incoming/fraud/scorer/./bundle.json', /'\.' or '\.\.' segment/],
    ['incoming/fraud//1.0.0/bundle.json', /model "" must be/],
    ['incoming/fraud/scorer/bundle.json', /key is not incoming\/<workload>\/<model>\/<version>\/bundle\.json/],
    ['incoming/fraud/scorer/1.0.0/extra/bundle.json', /key is not/],
    ['incoming/-fraud/scorer/1.0.0/bundle.json', /workload "-fraud"/],
  ])('refuses %j', (key, why) => {
    const parsed = parseKey(key);
    expect(parsed.kind).toBe('refused');
    expect((parsed as { why: string }).why).toMatch(why);
  });
});

describe('admit', () => {
  test('approves a signed model: copies the verified files and the bundle to approved/, emits AdmissionApproved', async () => {
    const bucket = new MemoryBucket();
    const bundle = await signFiles(MODEL_FILES, signingKey);
    const versionId = upload(bucket, bundle);
    const verifies = kms.requestsFor('Verify').length;
    const { config, logs } = gate(bucket);

    const outcome = await admit(BUNDLE_KEY, versionId, config);

    expect(outcome).toMatchObject({
      outcome: 'approved',
      files: 4,
      bytes: 5150,
      manifestSha256: bundle.manifestSha256,
    });
    expect(bucket.keys('approved/')).toEqual([
      'approved/fraud/scorer/1.0.0/bundle.json',
      'approved/fraud/scorer/1.0.0/files/config.json',
      'approved/fraud/scorer/1.0.0/files/tokenizer/vocab.txt',
      'approved/fraud/scorer/1.0.0/files/weights/model-00002.bin',
      'approved/fraud/scorer/1.0.0/files/weights/model.bin',
    ]);
    expect(
      bucket.objects
        .get('approved/fraud/scorer/1.0.0/files/weights/model.bin')?.[0]
        .body.equals(MODEL_FILES['weights/model.bin'] as Buffer),
    ).toBe(true);
    // The bundle is copied last, so its presence marks a complete version.
    expect(bucket.writes.filter((w) => w.op === 'copy').at(-1)?.key).toBe('approved/fraud/scorer/1.0.0/bundle.json');
    expect(bucket.keys('rejected/')).toEqual([]);
    expect(
      kms
        .requestsFor('Verify')
        .slice(verifies)
        .map((r) => r.body.KeyId),
    ).toEqual([signingKey.arn]);
    expect(logs()).toEqual([
      expect.objectContaining({
        _aws: expect.objectContaining({
          CloudWatchMetrics: [expect.objectContaining({ Metrics: [{ Name: 'AdmissionApproved', Unit: 'Count' }] })],
        }),
        Workload: 'fraud',
        AdmissionApproved: 1,
        outcome: 'approved',
        manifestSha256: bundle.manifestSha256,
      }),
    ]);
  });

  test('a tampered file: nothing copied, rejection recorded, alarm metric emitted', async () => {
    const bucket = new MemoryBucket();
    const bundle = await signFiles(MODEL_FILES, signingKey);
    const tampered = Buffer.from(MODEL_FILES['weights/model.bin'] as Buffer);
    tampered[10] ^= 0xff;
    const versionId = upload(bucket, bundle, { ...MODEL_FILES, 'weights/model.bin': tampered });
    const { config, logs } = gate(bucket);

    const outcome = await admit(BUNDLE_KEY, versionId, config);

    expect(outcome).toMatchObject({
      outcome: 'rejected',
      reason: 'file-changed',
      message: expect.stringMatching(/^file changed: "weights\/model\.bin"/),
    });
    expectRejected(bucket, logs(), 'file-changed');
    expect(bucket.keys('rejected/')).toEqual(['rejected/fraud/scorer/1.0.0/20250304T050607.089Z.json']);
    expect(JSON.parse(bucket.text('rejected/fraud/scorer/1.0.0/20250304T050607.089Z.json') as string)).toEqual({
      outcome: 'rejected',
      reason: 'file-changed',
      message: expect.stringMatching(/^file changed/),
      key: BUNDLE_KEY,
      versionId,
      workload: 'fraud',
      model: 'scorer',
      version: '1.0.0',
      at: '2025-03-04T05:06:07.089Z',
    });
  });

  test('signed with another key: rejected as wrong-key without asking KMS', async () => {
    const bucket = new MemoryBucket();
    const versionId = upload(bucket, await signFiles(MODEL_FILES, otherKey));
    const verifies = kms.requestsFor('Verify').length;
    const { config, logs } = gate(bucket);
    expect(await admit(BUNDLE_KEY, versionId, config)).toMatchObject({ outcome: 'rejected', reason: 'wrong-key' });
    expectRejected(bucket, logs(), 'wrong-key');
    expect(kms.requestsFor('Verify').length).toBe(verifies);
  });

  test('signed with another key but claiming the gate key: kms:Verify rejects it', async () => {
    const bucket = new MemoryBucket();
    const forged = await signFiles(MODEL_FILES, otherKey);
    const claimed = { ...forged, signature: { ...forged.signature, keyArn: signingKey.arn } };
    const { config, logs } = gate(bucket);
    expect(await admit(BUNDLE_KEY, upload(bucket, claimed), config)).toMatchObject({
      outcome: 'rejected',
      reason: 'signature-invalid',
    });
    expectRejected(bucket, logs(), 'signature-invalid');
  });

  test('a missing bundle: rejected', async () => {
    const bucket = new MemoryBucket();
    const { config, logs } = gate(bucket);
    expect(await admit(BUNDLE_KEY, 'v99', config)).toMatchObject({
      outcome: 'rejected',
      reason: 'bundle-missing',
      message: `no bundle at ${BUNDLE_KEY} version v99`,
    });
    expectRejected(bucket, logs(), 'bundle-missing');
  });

  test('a malformed bundle: rejected', async () => {
    const bucket = new MemoryBucket();
    const text = serializeBundle(await signFiles(MODEL_FILES, signingKey));
    const { config, logs } = gate(bucket);
    expect(await admit(BUNDLE_KEY, upload(bucket, text.slice(0, 100)), config)).toMatchObject({
      outcome: 'rejected',
      reason: 'bundle-malformed',
    });
    expectRejected(bucket, logs(), 'bundle-malformed');
  });

  test('an extra file under files/: rejected', async () => {
    const bucket = new MemoryBucket();
    const bundle = await signFiles(MODEL_FILES, signingKey);
    const { config, logs } = gate(bucket);
    const versionId = upload(bucket, bundle, { ...MODEL_FILES, 'weights/backdoor.py': 'import os' });
    expect(await admit(BUNDLE_KEY, versionId, config)).toMatchObject({
      outcome: 'rejected',
      reason: 'file-set-mismatch',
      message: 'files differ from the bundle: extra "weights/backdoor.py" (not in the bundle)',
    });
    expectRejected(bucket, logs(), 'file-set-mismatch');
  });

  test('a traversal path among the files: rejected as path-refused', async () => {
    const bucket = new MemoryBucket();
    const bundle = await signFiles(MODEL_FILES, signingKey);
    const versionId = upload(bucket, bundle);
    bucket.put(`${PREFIX}files/../../../../approved/fraud/scorer/9.9.9/files/evil.bin`, 'x');
    const { config, logs } = gate(bucket);
    expect(await admit(BUNDLE_KEY, versionId, config)).toMatchObject({
      outcome: 'rejected',
      reason: 'path-refused',
      message: expect.stringMatching(/'\.\.' segment/),
    });
    expectRejected(bucket, logs(), 'path-refused');
  });

  test('console folder markers under files/ are ignored', async () => {
    const bucket = new MemoryBucket();
    const bundle = await signFiles(MODEL_FILES, signingKey);
    bucket.put(`${PREFIX}files/`, '');
    bucket.put(`${PREFIX}files/weights/`, '');
    const { config } = gate(bucket);
    expect(await admit(BUNDLE_KEY, upload(bucket, bundle), config)).toMatchObject({ outcome: 'approved' });
  });

  test.each([
    ['outside incoming/', 'models/fraud/scorer/1.0.0/bundle.json'],
    ['a traversal key', 'incoming/fraud/../../approved/fraud/scorer/1.0.0/bundle.json'],
  ])('%s: refused, recorded under rejected/_refused/, alarm with an unknown workload', async (_what, key) => {
    const bucket = new MemoryBucket();
    bucket.put(key, serializeBundle(await signFiles(MODEL_FILES, signingKey)));
    const { config, logs } = gate(bucket);
    expect(await admit(key, undefined, config)).toMatchObject({ outcome: 'rejected', reason: 'refused-key' });
    expectRejected(bucket, logs(), 'refused-key', '_unknown');
    expect(bucket.keys('rejected/')).toEqual([
      `rejected/_refused/${createHash('sha256').update(key).digest('hex')}.json`,
    ]);
  });

  test('the gate ignores its own writes and model files (no record, no alarm)', async () => {
    const bucket = new MemoryBucket();
    const { config, logs } = gate(bucket);
    expect(await admit('rejected/fraud/scorer/1.0.0/x.json', undefined, config)).toMatchObject({ outcome: 'ignored' });
    expect(await admit(`${PREFIX}files/config.json`, undefined, config)).toMatchObject({ outcome: 'ignored' });
    expect(bucket.writes).toEqual([]);
    expect(logs().map((l) => l.outcome)).toEqual(['ignored', 'ignored']);
    expect(logs().some((l) => '_aws' in l)).toBe(false);
  });

  describe('subject', () => {
    test('a bundle signed for another workload is refused there', async () => {
      const bucket = new MemoryBucket();
      const bundle = await signFiles(MODEL_FILES, signingKey, {
        workload: 'payments',
        model: 'scorer',
        version: '1.0.0',
      });
      const { config, logs } = gate(bucket);
      expect(await admit(BUNDLE_KEY, upload(bucket, bundle), config)).toMatchObject({
        outcome: 'rejected',
        reason: 'subject-mismatch',
        message: 'bundle was signed for payments/scorer/1.0.0, submitted as fraud/scorer/1.0.0',
      });
      expectRejected(bucket, logs(), 'subject-mismatch');
    });

    test('a matching subject is approved', async () => {
      const bucket = new MemoryBucket();
      const bundle = await signFiles(MODEL_FILES, signingKey, { workload: 'fraud', model: 'scorer', version: '1.0.0' });
      const { config } = gate(bucket, { requireSubject: true });
      expect(await admit(BUNDLE_KEY, upload(bucket, bundle), config)).toMatchObject({ outcome: 'approved' });
    });

    test('requireSubject refuses a bundle without one', async () => {
      const bucket = new MemoryBucket();
      const { config, logs } = gate(bucket, { requireSubject: true });
      expect(await admit(BUNDLE_KEY, upload(bucket, await signFiles(MODEL_FILES, signingKey)), config)).toMatchObject({
        reason: 'subject-missing',
      });
      expectRejected(bucket, logs(), 'subject-missing');
    });
  });

  describe('approved versions are immutable', () => {
    test('the same bundle again is a no-op (safe retries)', async () => {
      const bucket = new MemoryBucket();
      const bundle = await signFiles(MODEL_FILES, signingKey);
      const { config } = gate(bucket);
      const versionId = upload(bucket, bundle);
      await admit(BUNDLE_KEY, versionId, config);
      const writes = bucket.writes.length;
      expect(await admit(BUNDLE_KEY, versionId, config)).toMatchObject({ outcome: 'already-approved' });
      expect(bucket.writes.length).toBe(writes);
    });

    test('different content for an approved version is rejected and the approved copy is untouched', async () => {
      const bucket = new MemoryBucket();
      const { config } = gate(bucket);
      await admit(BUNDLE_KEY, upload(bucket, await signFiles(MODEL_FILES, signingKey)), config);
      const approved = bucket.text('approved/fraud/scorer/1.0.0/files/config.json');
      const changed = { ...MODEL_FILES, 'config.json': '{"architecture":"v2"}' };
      const outcome = await admit(BUNDLE_KEY, upload(bucket, await signFiles(changed, signingKey), changed), config);
      expect(outcome).toMatchObject({ outcome: 'rejected', reason: 'version-exists' });
      expect(bucket.text('approved/fraud/scorer/1.0.0/files/config.json')).toBe(approved);
    });
  });

  test('copies the exact versions it verified even if incoming/ is overwritten meanwhile', async () => {
    const bucket = new MemoryBucket();
    const bundle = await signFiles(MODEL_FILES, signingKey);
    const versionId = upload(bucket, bundle);
    bucket.onGet = (key) => {
      if (key === `${PREFIX}files/weights/model.bin`) bucket.put(key, Buffer.alloc(4096, 0x66)); // same size, evil bytes
    };
    const { config } = gate(bucket);
    expect(await admit(BUNDLE_KEY, versionId, config)).toMatchObject({ outcome: 'approved' });
    expect(bucket.text(`${PREFIX}files/weights/model.bin`)).toBe(Buffer.alloc(4096, 0x66).toString('utf8'));
    expect(
      bucket.objects
        .get('approved/fraud/scorer/1.0.0/files/weights/model.bin')
        ?.at(-1)
        ?.body.equals(MODEL_FILES['weights/model.bin'] as Buffer),
    ).toBe(true);
  });

  test('stale objects from an interrupted earlier attempt are removed from the approved prefix', async () => {
    const bucket = new MemoryBucket();
    bucket.put('approved/fraud/scorer/1.0.0/files/leftover.bin', 'old');
    const { config } = gate(bucket);
    expect(await admit(BUNDLE_KEY, upload(bucket, await signFiles(MODEL_FILES, signingKey)), config)).toMatchObject({
      outcome: 'approved',
    });
    expect(bucket.keys('approved/fraud/scorer/1.0.0/files/leftover')).toEqual([]);
  });

  test('a copy failure undoes the copies made, records an error, alarms and rethrows for a retry', async () => {
    const bucket = new MemoryBucket();
    bucket.failCopy = 3;
    const { config, logs } = gate(bucket);
    await expect(admit(BUNDLE_KEY, upload(bucket, await signFiles(MODEL_FILES, signingKey)), config)).rejects.toThrow(
      'copy failed',
    );
    expect(bucket.keys('approved/')).toEqual([]);
    expect(bucket.writes.filter((w) => w.op === 'delete').map((w) => w.key)).toEqual([
      'approved/fraud/scorer/1.0.0/files/config.json',
      'approved/fraud/scorer/1.0.0/files/tokenizer/vocab.txt',
    ]);
    expect(logs()).toEqual([
      expect.objectContaining({ AdmissionRejected: 1, reason: 'error', message: 'InternalError: copy failed' }),
    ]);
  });

  test('a KMS failure (disabled key) copies nothing, records an error, alarms and rethrows', async () => {
    const key = kms.createKey();
    key.enabled = false;
    const bucket = new MemoryBucket();
    const bundle = await signFiles(MODEL_FILES, signingKey);
    const claimed = { ...bundle, signature: { ...bundle.signature, keyArn: key.arn } };
    const { config, logs } = gate(bucket, { signingKeyArn: key.arn, verifier: new KmsVerifier(client(), key.arn) });
    await expect(admit(BUNDLE_KEY, upload(bucket, claimed), config)).rejects.toThrow(
      /KMS Verify failed .*DisabledException/,
    );
    expectRejected(bucket, logs(), 'error');
  });
});

describe('handler', () => {
  /**
   * An S3 "Object Created" event as EventBridge delivers it to the function: the shape of
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html, with the key as stored.
   */
  const event = (
    key: string,
    extra: { bucket?: string; detailType?: string; source?: string; versionId?: string; size?: number } = {},
  ): S3ObjectCreatedEvent => {
    const bucket = extra.bucket ?? 'models-bucket';
    return {
      version: '0',
      id: '17793124-05d4-b198-2fde-7ededc63b103',
      'detail-type': extra.detailType ?? 'Object Created',
      source: extra.source ?? 'aws.s3',
      account: '111122223333',
      time: '2025-03-04T05:06:07Z',
      region: 'eu-west-1',
      resources: [`arn:aws:s3:::${bucket}`],
      detail: {
        version: '0',
        bucket: { name: bucket },
        object: {
          key,
          size: extra.size ?? 1234,
          etag: 'b1946ac92492d2347c6235b4d2611184',
          ...(extra.versionId === undefined ? {} : { 'version-id': extra.versionId }),
          sequencer: '00617F08299329D189',
        },
        'request-id': 'N4N7GDK58NMKJ12R',
        requester: '111122223333',
        'source-ip-address': '10.0.1.5',
        reason: 'PutObject',
      },
    } as S3ObjectCreatedEvent;
  };

  test('admits the bundle named by the event, at the event version', async () => {
    const bucket = new MemoryBucket();
    const versionId = upload(bucket, await signFiles(MODEL_FILES, signingKey));
    upload(bucket, '{"not":"this version"}', {}); // a later version of the bundle
    const { config } = gate(bucket);
    const handler = createHandler(() => ({ ...config, bucket: 'models-bucket' }));
    expect(await handler(event(BUNDLE_KEY, { versionId }))).toMatchObject({
      outcome: 'approved',
      location: { workload: 'fraud', model: 'scorer', version: '1.0.0' },
    });
    expect(bucket.keys('approved/fraud/scorer/1.0.0/bundle.json')).toHaveLength(1);
  });

  test("uses the key as stored, never URL-decoded: '+' stays '+', '%2B' stays '%2B'", async () => {
    // S3 event notifications wrote this key as 'incoming/fraud/scorer/1.0%2B2/bundle.json' and a space
    // as '+'; EventBridge writes it as it is. Decoding it as before would admit version '1.0 2'.
    const bucket = new MemoryBucket();
    const versionId = upload(
      bucket,
      await signFiles(MODEL_FILES, signingKey),
      MODEL_FILES,
      'incoming/fraud/scorer/1.0+2/',
    );
    const { config } = gate(bucket);
    const handler = createHandler(() => ({ ...config, bucket: 'models-bucket' }));
    expect(await handler(event('incoming/fraud/scorer/1.0+2/bundle.json', { versionId }))).toMatchObject({
      outcome: 'approved',
      location: { version: '1.0+2' },
    });
    expect(bucket.keys('approved/')).toContain('approved/fraud/scorer/1.0+2/bundle.json');
    expect(bucket.keys('approved/').some((k) => k.includes('1.0 2'))).toBe(false);

    // A key with spaces, '%' and non-ASCII: outside the layout, refused, and recorded under the exact key.
    const odd = 'incoming/fraud/my model/100%2B café/bundle.json';
    const refused = await handler(event(odd));
    expect(refused).toMatchObject({ outcome: 'rejected', reason: 'refused-key' });
    const record = `rejected/_refused/${createHash('sha256').update(odd).digest('hex')}.json`;
    expect(bucket.keys('rejected/')).toEqual([record]);
    expect(JSON.parse(bucket.text(record) as string)).toMatchObject({ key: odd });
  });

  test('the bundle is read at the key in the event, not a decoded one', async () => {
    const bucket = new MemoryBucket();
    const reads: string[] = [];
    bucket.onGet = (key) => reads.push(key);
    upload(bucket, await signFiles(MODEL_FILES, signingKey), MODEL_FILES, 'incoming/fraud/scorer/1.0+2/');
    const { config } = gate(bucket);
    const handler = createHandler(() => ({ ...config, bucket: 'models-bucket' }));
    await handler(event('incoming/fraud/scorer/1.0+2/bundle.json'));
    expect(reads[0]).toBe('incoming/fraud/scorer/1.0+2/bundle.json');
  });

  test.each([
    ['another bucket', event(BUNDLE_KEY, { bucket: 'elsewhere' })],
    ['another detail type', event(BUNDLE_KEY, { detailType: 'Object Deleted' })],
    ['another source', event(BUNDLE_KEY, { source: 'custom.uploader' })],
    ['no key', { ...event(BUNDLE_KEY), detail: { bucket: { name: 'models-bucket' } } }],
    [
      'an S3 event notification (Records), which no longer triggers the gate',
      {
        Records: [
          {
            eventSource: 'aws:s3',
            eventName: 'ObjectCreated:Put',
            s3: { bucket: { name: 'models-bucket' }, object: { key: BUNDLE_KEY } },
          },
        ],
      } as S3ObjectCreatedEvent,
    ],
  ])('ignores %s, with a warning and no write', async (_what, e) => {
    const bucket = new MemoryBucket();
    upload(bucket, await signFiles(MODEL_FILES, signingKey));
    const { config, logs } = gate(bucket);
    const handler = createHandler(() => ({ ...config, bucket: 'models-bucket' }));
    expect(await handler(e)).toMatchObject({
      outcome: 'ignored',
      why: 'not an S3 Object Created event for models-bucket',
    });
    expect(bucket.writes).toEqual([]);
    expect(logs()).toEqual([expect.objectContaining({ level: 'warn', outcome: 'ignored' })]);
  });

  test('fails the invocation when the admission fails for an infrastructure reason (so Lambda retries)', async () => {
    const bucket = new MemoryBucket();
    const versionId = upload(bucket, await signFiles(MODEL_FILES, signingKey));
    const failing: AdmissionStore = Object.assign(Object.create(bucket), {
      copyObject: () => Promise.reject(new Error('SlowDown')),
    });
    const { config } = gate(bucket, { store: failing });
    const handler = createHandler(() => ({ ...config, bucket: 'models-bucket' }));
    await expect(handler(event(BUNDLE_KEY, { versionId }))).rejects.toThrow('SlowDown');
    expect(bucket.keys('approved/')).toEqual([]);
  });

  test('configFromEnvironment names a missing or bad variable', () => {
    expect(() => configFromEnvironment({ SIGNING_KEY_ARN: signingKey.arn })).toThrow(
      'environment variable MODELS_BUCKET is required',
    );
    expect(() => configFromEnvironment({ MODELS_BUCKET: 'b' })).toThrow(
      'environment variable SIGNING_KEY_ARN is required',
    );
    expect(() => configFromEnvironment({ MODELS_BUCKET: 'b', SIGNING_KEY_ARN: 'k', REQUIRE_SUBJECT: 'yes' })).toThrow(
      "REQUIRE_SUBJECT must be 'true' or 'false', got 'yes'",
    );
    expect(configFromEnvironment({ MODELS_BUCKET: 'b', SIGNING_KEY_ARN: 'k', REQUIRE_SUBJECT: 'true' })).toMatchObject({
      bucket: 'b',
      signingKeyArn: 'k',
      requireSubject: true,
    });
  });
});
