/**
 * The model admission gate's logic: verify a submitted model against its signature bundle and copy it
 * to the approved area, or copy nothing and record why. I/O sits behind {@link AdmissionStore} (the
 * models bucket) and `SignatureVerifier` (kms:Verify), so this module runs in tests without AWS.
 *
 * ## Key layout in the models bucket
 * ```
 * incoming/<workload>/<model>/<version>/files/<path>    the model's files; <path> as in the manifest
 * incoming/<workload>/<model>/<version>/bundle.json     the bundle (`ztai-model sign --out`); upload it LAST:
 *                                                       its arrival triggers the gate
 * approved/<workload>/<model>/<version>/files/<path>    written only by the gate, after verification
 * approved/<workload>/<model>/<version>/bundle.json     copied last; its presence marks a complete version,
 *                                                       which `ztai-model verify` can re-check offline
 * rejected/<workload>/<model>/<version>/<time>.json     why an attempt was rejected (or failed)
 * rejected/_refused/<sha256 of key>.json                 a trigger key outside this layout
 * ```
 * `<workload>`, `<model>` and `<version>` are 1-128 letters, digits, `.`, `_`, `+` or `-`, starting with a letter
 * or digit (so never `.` or `..`). Zero-byte "folder" objects (keys ending in `/`) under `files/` are ignored.
 *
 * ## What the gate checks, in order
 * 1. the key matches the layout (no `..`, no empty segment); keys under `files/` are ignored (the bundle
 *    triggers), keys under `approved/` or `rejected/` are ignored (the gate's own writes);
 * 2. the bundle exists (at the version that triggered), is at most 64 MiB and parses strictly;
 * 3. if the manifest names a subject, it is this location (and one is required if `requireSubject`);
 * 4. the bundle claims the configured signing key (a clear reason; the real check is step 6);
 * 5. the version is not already approved with different content (approved versions are immutable;
 *    the same content again is a no-op, so retries are safe);
 * 6. `verifyModel`: manifest digest, kms:Verify with the configured key, exact file set and sizes, then
 *    every SHA-256, streamed from S3. Each object's version id (or ETag) is pinned as it is read;
 * 7. copies the pinned versions (files, then the bundle), so what is approved is byte for byte what was
 *    verified even if `incoming/` is overwritten meanwhile. Stale objects under the approved `files/`
 *    prefix from an interrupted earlier attempt are deleted first.
 *
 * Any failure copies nothing (a copy failure deletes what it had copied), writes a rejection record,
 * logs one JSON line, and emits the CloudWatch metric `ZeroTrustAI/ModelAdmission` `AdmissionRejected`
 * (dimension `Workload`) through an Embedded Metric Format log line. Verification failures resolve;
 * infrastructure failures (KMS, S3) are also recorded and then rethrown so Lambda retries.
 */
import { createHash } from 'node:crypto';
import { Bundle, MAX_BUNDLE_BYTES, parseBundle } from '../../signing/bundle';
import { ModelInputError, ModelInvalidError, errorMessage } from '../../signing/errors';
import { FileListing, subjectSegmentProblem } from '../../signing/manifest';
import { ModelSource, SignatureVerifier, verifyModel } from '../../signing/signing';

export const INCOMING_PREFIX = 'incoming/';
export const APPROVED_PREFIX = 'approved/';
export const REJECTED_PREFIX = 'rejected/';
export const BUNDLE_NAME = 'bundle.json';
/**
 * The events that trigger the gate: S3's "Object Created" events, as S3 sends them to EventBridge
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html). Their object key is the key as
 * stored, not URL-encoded as in S3 event notifications.
 */
export const S3_EVENT_SOURCE = 'aws.s3';
export const OBJECT_CREATED_DETAIL_TYPE = 'Object Created';
export const FILES_DIR = 'files';
export const METRIC_NAMESPACE = 'ZeroTrustAI/ModelAdmission';
export const REJECTED_METRIC = 'AdmissionRejected';
export const APPROVED_METRIC = 'AdmissionApproved';
/** Workload dimension value when the key does not name a valid workload. */
export const UNKNOWN_WORKLOAD = '_unknown';

/** One object version, as read: enough to copy exactly that version later. */
export interface ObjectVersion {
  readonly key: string;
  readonly size: number;
  /** @default - none (unversioned bucket); the ETag pins the copy instead */
  readonly versionId?: string;
  readonly etag?: string;
}

/** An object being read. */
export interface StoredObject extends ObjectVersion {
  readonly body: AsyncIterable<Uint8Array>;
}

/** The models bucket, as the gate uses it. */
export interface AdmissionStore {
  /** Stream an object (a given version, or the latest); undefined if it does not exist. */
  getObject(key: string, versionId?: string): Promise<StoredObject | undefined>;
  /** Every object (latest versions) under a prefix, with sizes. */
  listObjects(prefix: string): Promise<{ key: string; size: number }[]>;
  /** Copy exactly `source` (its version id, else its ETag) to `destinationKey`. */
  copyObject(source: ObjectVersion, destinationKey: string): Promise<void>;
  /** Write a small JSON object. */
  putObject(key: string, body: string): Promise<void>;
  deleteObject(key: string): Promise<void>;
}

/** What the gate needs. */
export interface AdmissionConfig {
  readonly store: AdmissionStore;
  /** Checks signatures: kms:Verify with {@link signingKeyArn}. */
  readonly verifier: SignatureVerifier;
  /** The only key whose signatures are admitted. */
  readonly signingKeyArn: string;
  /** Refuse bundles whose manifest does not name a subject (`ztai-model sign --subject`). @default false */
  readonly requireSubject?: boolean;
  /** Where log lines go (one JSON object a line). @default console.log */
  readonly log?: (line: string) => void;
  /** @default the system clock */
  readonly now?: () => Date;
}

/** Where a model version sits in the layout. */
export interface ModelLocation {
  readonly workload: string;
  readonly model: string;
  readonly version: string;
}

/** Stable codes for why a submission was not admitted. */
export type RejectionReason =
  | 'refused-key'
  | 'bundle-missing'
  | 'bundle-too-large'
  | 'bundle-malformed'
  | 'subject-missing'
  | 'subject-mismatch'
  | 'wrong-key'
  | 'version-exists'
  | 'path-refused'
  | 'file-unreadable'
  | 'manifest-digest-mismatch'
  | 'signature-invalid'
  | 'file-set-mismatch'
  | 'file-changed'
  | 'error';

export type AdmissionOutcome =
  | {
      readonly outcome: 'approved';
      readonly location: ModelLocation;
      readonly files: number;
      readonly bytes: number;
      readonly manifestSha256: string;
    }
  | { readonly outcome: 'already-approved'; readonly location: ModelLocation; readonly manifestSha256: string }
  | { readonly outcome: 'ignored'; readonly key: string; readonly why: string }
  | {
      readonly outcome: 'rejected';
      readonly reason: RejectionReason;
      readonly message: string;
      readonly location?: ModelLocation;
      readonly record: string;
    };

/** What a key in the bucket means to the gate. */
export type ParsedKey =
  | { readonly kind: 'bundle'; readonly location: ModelLocation }
  | { readonly kind: 'ignored'; readonly why: string }
  | { readonly kind: 'refused'; readonly why: string };

/** Classify a (decoded) object key against the layout. */
export function parseKey(key: string): ParsedKey {
  if (key.startsWith(APPROVED_PREFIX) || key.startsWith(REJECTED_PREFIX)) {
    return { kind: 'ignored', why: 'written by the gate itself' };
  }
  if (!key.startsWith(INCOMING_PREFIX)) return { kind: 'refused', why: `key is outside ${INCOMING_PREFIX}` };
  const segments = key.slice(INCOMING_PREFIX.length).split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { kind: 'refused', why: "key has a '.' or '..' segment" };
  if (
    segments.length >= 5 &&
    segments[3] === FILES_DIR &&
    segments.slice(0, 3).every((s) => !subjectSegmentProblem(s))
  ) {
    return { kind: 'ignored', why: 'a model file; the bundle triggers admission' };
  }
  if (segments.length !== 4 || segments[3] !== BUNDLE_NAME) {
    return { kind: 'refused', why: `key is not ${INCOMING_PREFIX}<workload>/<model>/<version>/${BUNDLE_NAME}` };
  }
  const [workload, model, version] = segments;
  for (const [field, value] of [
    ['workload', workload],
    ['model', model],
    ['version', version],
  ] as const) {
    const problem = subjectSegmentProblem(value);
    if (problem) return { kind: 'refused', why: `${field} ${JSON.stringify(value)} ${problem}` };
  }
  return { kind: 'bundle', location: { workload, model, version } };
}

/** `<area>/<workload>/<model>/<version>/` */
export function versionPrefix(area: string, location: ModelLocation): string {
  return `${area}${location.workload}/${location.model}/${location.version}/`;
}

class Rejection extends Error {
  constructor(
    public readonly reason: RejectionReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Admit the model whose bundle is at `key` (the version `versionId` if given). Resolves with the
 * outcome; rejects only for infrastructure failures, after recording them.
 */
export async function admit(
  key: string,
  versionId: string | undefined,
  config: AdmissionConfig,
): Promise<AdmissionOutcome> {
  const log = config.log ?? ((line: string) => console.log(line));
  const now = config.now ?? (() => new Date());
  const parsed = parseKey(key);
  if (parsed.kind === 'ignored') {
    log(JSON.stringify({ level: 'info', outcome: 'ignored', key, why: parsed.why }));
    return { outcome: 'ignored', key, why: parsed.why };
  }
  if (parsed.kind === 'refused') {
    return reject(config, log, now, key, versionId, undefined, new Rejection('refused-key', parsed.why));
  }
  const location = parsed.location;
  try {
    const bundleObject = await readBundle(config.store, key, versionId);
    const bundle = bundleObject.bundle;
    checkSubject(bundle, location, config.requireSubject ?? false);
    if (bundle.signature.keyArn !== config.signingKeyArn) {
      throw new Rejection(
        'wrong-key',
        `bundle is signed by ${bundle.signature.keyArn}; only ${config.signingKeyArn} is admitted`,
      );
    }
    const approvedBundleKey = `${versionPrefix(APPROVED_PREFIX, location)}${BUNDLE_NAME}`;
    const existing = await readExistingBundle(config.store, approvedBundleKey);
    if (existing !== undefined) {
      if (existing === bundle.manifestSha256) {
        log(JSON.stringify({ level: 'info', outcome: 'already-approved', key, ...location, manifestSha256: existing }));
        return { outcome: 'already-approved', location, manifestSha256: existing };
      }
      throw new Rejection(
        'version-exists',
        `${versionPrefix(APPROVED_PREFIX, location)} is already approved with manifest ${existing}; publish a new version`,
      );
    }

    const source = new S3ModelSource(config.store, `${versionPrefix(INCOMING_PREFIX, location)}${FILES_DIR}/`);
    const summary = await verifyModel(bundle, source, config.verifier);
    await copyApproved(config.store, location, source, bundle, bundleObject.object);

    log(
      emf(now(), APPROVED_METRIC, location.workload, {
        level: 'info',
        outcome: 'approved',
        key,
        versionId: bundleObject.object.versionId,
        ...location,
        manifestSha256: summary.manifestSha256,
        files: summary.files,
        bytes: summary.bytes,
      }),
    );
    return {
      outcome: 'approved',
      location,
      files: summary.files,
      bytes: summary.bytes,
      manifestSha256: summary.manifestSha256,
    };
  } catch (err) {
    const rejection = toRejection(err);
    const outcome = await reject(config, log, now, key, versionId, location, rejection);
    if (rejection.reason === 'error') throw err;
    return outcome;
  }
}

/** The model files under an S3 prefix, pinning the version of each object it streams. */
class S3ModelSource implements ModelSource {
  public readonly location: string;
  public readonly pinned = new Map<string, ObjectVersion>();

  constructor(
    private readonly store: AdmissionStore,
    private readonly prefix: string,
  ) {
    this.location = prefix;
  }

  public async list(): Promise<FileListing[]> {
    const objects = await this.store.listObjects(this.prefix);
    return objects
      .filter((o) => !(o.key.endsWith('/') && o.size === 0)) // console "folder" markers
      .map((o) => ({ path: o.key.slice(this.prefix.length), size: o.size }));
  }

  public async open(path: string): Promise<AsyncIterable<Uint8Array>> {
    const object = await this.store.getObject(`${this.prefix}${path}`);
    if (!object)
      throw new Rejection('file-unreadable', `${JSON.stringify(path)} disappeared while the model was verified`);
    this.pinned.set(path, { key: object.key, size: object.size, versionId: object.versionId, etag: object.etag });
    return object.body;
  }
}

async function readBundle(
  store: AdmissionStore,
  key: string,
  versionId: string | undefined,
): Promise<{ bundle: Bundle; object: ObjectVersion }> {
  const object = await store.getObject(key, versionId);
  if (!object) {
    throw new Rejection('bundle-missing', `no bundle at ${key}${versionId ? ` version ${versionId}` : ''}`);
  }
  if (object.size > MAX_BUNDLE_BYTES) {
    throw new Rejection('bundle-too-large', `bundle is ${object.size} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of object.body) {
    size += chunk.length;
    if (size > MAX_BUNDLE_BYTES) throw new Rejection('bundle-too-large', `bundle exceeds ${MAX_BUNDLE_BYTES} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  const bundle = parseBundle(Buffer.concat(chunks).toString('utf8'), key);
  return { bundle, object: { key: object.key, size: object.size, versionId: object.versionId, etag: object.etag } };
}

/** The manifestSha256 of an already approved version, or undefined if there is none. */
async function readExistingBundle(store: AdmissionStore, key: string): Promise<string | undefined> {
  const object = await store.getObject(key);
  if (!object) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(Buffer.from(chunk));
  try {
    return parseBundle(Buffer.concat(chunks).toString('utf8'), key).manifestSha256;
  } catch {
    return 'unreadable'; // never equal to a digest: treated as a different approved version
  }
}

function checkSubject(bundle: Bundle, location: ModelLocation, required: boolean): void {
  const subject = bundle.manifest.subject;
  if (!subject) {
    if (required)
      throw new Rejection('subject-missing', 'bundle does not name its workload/model/version (sign with --subject)');
    return;
  }
  if (
    subject.workload !== location.workload ||
    subject.model !== location.model ||
    subject.version !== location.version
  ) {
    throw new Rejection(
      'subject-mismatch',
      `bundle was signed for ${subject.workload}/${subject.model}/${subject.version}, ` +
        `submitted as ${location.workload}/${location.model}/${location.version}`,
    );
  }
}

/** Copy the verified versions: stale leftovers out, files in, bundle last. On failure, undo. */
async function copyApproved(
  store: AdmissionStore,
  location: ModelLocation,
  source: S3ModelSource,
  bundle: Bundle,
  bundleObject: ObjectVersion,
): Promise<void> {
  const filesPrefix = `${versionPrefix(APPROVED_PREFIX, location)}${FILES_DIR}/`;
  const wanted = new Set(bundle.manifest.files.map((f) => `${filesPrefix}${f.path}`));
  for (const stale of await store.listObjects(filesPrefix)) {
    if (!wanted.has(stale.key)) await store.deleteObject(stale.key);
  }
  const copied: string[] = [];
  try {
    for (const file of bundle.manifest.files) {
      const pinned = source.pinned.get(file.path);
      if (!pinned) throw new Error(`internal: ${file.path} was not read during verification`);
      await store.copyObject(pinned, `${filesPrefix}${file.path}`);
      copied.push(`${filesPrefix}${file.path}`);
    }
    await store.copyObject(bundleObject, `${versionPrefix(APPROVED_PREFIX, location)}${BUNDLE_NAME}`);
  } catch (err) {
    for (const key of copied) await store.deleteObject(key).catch(() => undefined);
    throw err;
  }
}

function toRejection(err: unknown): Rejection {
  if (err instanceof Rejection) return err;
  if (err instanceof ModelInvalidError) return new Rejection(err.reason, err.message);
  if (err instanceof ModelInputError) {
    switch (err.reason) {
      case 'bundle-malformed':
        return new Rejection('bundle-malformed', err.message);
      case 'path-refused':
        return new Rejection('path-refused', err.message);
      default:
        return new Rejection('error', err.message); // KMS and other failures to answer
    }
  }
  return new Rejection('error', errorMessage(err).split('\n')[0]);
}

async function reject(
  config: AdmissionConfig,
  log: (line: string) => void,
  now: () => Date,
  key: string,
  versionId: string | undefined,
  location: ModelLocation | undefined,
  rejection: Rejection,
): Promise<AdmissionOutcome> {
  const at = now();
  const record = location
    ? `${versionPrefix(REJECTED_PREFIX, location)}${at.toISOString().replace(/[-:]/g, '')}.json`
    : `${REJECTED_PREFIX}_refused/${createHash('sha256').update(key).digest('hex')}.json`;
  const details = {
    outcome: 'rejected' as const,
    reason: rejection.reason,
    message: rejection.message,
    key,
    versionId,
    ...location,
  };
  let recordError: string | undefined;
  try {
    await config.store.putObject(record, `${JSON.stringify({ ...details, at: at.toISOString() }, null, 2)}\n`);
  } catch (err) {
    recordError = errorMessage(err).split('\n')[0];
  }
  log(
    emf(at, REJECTED_METRIC, location?.workload ?? UNKNOWN_WORKLOAD, {
      level: 'error',
      ...details,
      record,
      ...(recordError ? { recordError } : {}),
    }),
  );
  return { outcome: 'rejected', reason: rejection.reason, message: rejection.message, location, record };
}

/**
 * One Embedded Metric Format line: a count of 1 for `metric`, published per Workload and without
 * dimensions (so one alarm covers every workload), plus the details.
 */
function emf(at: Date, metric: string, workload: string, details: Record<string, unknown>): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        { Namespace: METRIC_NAMESPACE, Dimensions: [['Workload'], []], Metrics: [{ Name: metric, Unit: 'Count' }] },
      ],
    },
    Workload: workload,
    [metric]: 1,
    ...details,
  });
}
