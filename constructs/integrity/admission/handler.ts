/**
 * Lambda entry point of the model admission gate: one S3 "Object Created" event for the models bucket,
 * as EventBridge delivers it (the gate's rule matches `incoming/*bundle.json`), in; {@link admit} for
 * its object. All logic is in ./admission.ts (layout, checks, records).
 *
 * The event's `detail.object.key` is the object key as stored: EventBridge events do not URL-encode it
 * (S3 event notifications did, with `+` for a space), so it is used as it is, never decoded.
 *
 * Environment:
 * - `MODELS_BUCKET`: the models bucket; events for any other bucket are refused.
 * - `SIGNING_KEY_ARN`: the KMS signing key; bundles are verified with kms:Verify against it.
 * - `REQUIRE_SUBJECT`: `true` to refuse bundles signed without `--subject` (default `false`).
 *
 * Writes name no SSE headers: the models bucket's default encryption (SSE-KMS, its own key) applies.
 *
 * An admission that fails for an infrastructure reason fails the invocation, so Lambda's retries and
 * dead-letter queue apply; re-admitting an approved version is a no-op. Anything but an S3 Object
 * Created event for the models bucket (including the `Records` shape of S3 event notifications, which
 * no longer trigger the gate) is logged and ignored.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { KmsVerifier } from '../../signing/kms';
import { AdmissionConfig, AdmissionOutcome, OBJECT_CREATED_DETAIL_TYPE, S3_EVENT_SOURCE, admit } from './admission';
import { S3AdmissionStore } from './s3-store';

/**
 * The parts of an S3 "Object Created" event, as EventBridge delivers it, that the gate reads
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html). Everything is optional:
 * whatever invokes the function, the handler checks the shape before it trusts it.
 */
export interface S3ObjectCreatedEvent {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail?: {
    readonly bucket?: { readonly name?: string };
    readonly object?: {
      /** The object key as stored (not URL-encoded). */
      readonly key?: string;
      readonly size?: number;
      readonly etag?: string;
      /** Absent for an unversioned bucket. */
      readonly 'version-id'?: string;
    };
    /** The API that created the object (PutObject, CopyObject, CompleteMultipartUpload). */
    readonly reason?: string;
  };
}

/** Gate configuration plus the bucket it serves. */
export interface HandlerConfig extends AdmissionConfig {
  readonly bucket: string;
}

/** Build the configuration from the Lambda environment; throws naming a missing or bad variable. */
export function configFromEnvironment(env: NodeJS.ProcessEnv): HandlerConfig {
  const bucket = requiredEnv(env, 'MODELS_BUCKET');
  const signingKeyArn = requiredEnv(env, 'SIGNING_KEY_ARN');
  const requireSubject = env.REQUIRE_SUBJECT ?? 'false';
  if (requireSubject !== 'true' && requireSubject !== 'false') {
    throw new Error(`REQUIRE_SUBJECT must be 'true' or 'false', got '${requireSubject}'`);
  }
  return {
    bucket,
    signingKeyArn,
    requireSubject: requireSubject === 'true',
    store: new S3AdmissionStore(new S3Client({}), bucket),
    verifier: new KmsVerifier(new KMSClient({}), signingKeyArn),
  };
}

/** A handler over the given configuration (made on first use). */
export function createHandler(getConfig: () => HandlerConfig) {
  return async (event: S3ObjectCreatedEvent): Promise<AdmissionOutcome> => {
    const config = getConfig();
    const log = config.log ?? ((line: string) => console.log(line));
    const detail = event?.detail;
    const bucket = detail?.bucket?.name;
    const key = detail?.object?.key;
    const versionId = detail?.object?.['version-id'];
    if (
      event?.source !== S3_EVENT_SOURCE ||
      event['detail-type'] !== OBJECT_CREATED_DETAIL_TYPE ||
      bucket !== config.bucket ||
      typeof key !== 'string' ||
      key === '' ||
      (versionId !== undefined && typeof versionId !== 'string')
    ) {
      const why = `not an S3 ${OBJECT_CREATED_DETAIL_TYPE} event for ${config.bucket}`;
      log(
        JSON.stringify({
          level: 'warn',
          outcome: 'ignored',
          source: event?.source,
          detailType: event?.['detail-type'],
          bucket,
          key,
          why,
        }),
      );
      return { outcome: 'ignored', key: typeof key === 'string' ? key : '', why };
    }
    // The key as stored: EventBridge does not URL-encode it, so decoding it here would corrupt keys
    // holding '+' or '%' (a version '1.0+2' would become '1.0 2').
    return admit(key, versionId, config);
  };
}

let environmentConfig: HandlerConfig | undefined;

/** The Lambda handler (configured from the environment on the first invocation). */
export const handler = createHandler(() => (environmentConfig ??= configFromEnvironment(process.env)));

function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}
