/**
 * Lambda entry point of the model admission gate: S3 "object created" notifications for the models
 * bucket in, {@link admit} for each record. All logic is in ./admission.ts (layout, checks, records).
 *
 * Environment:
 * - `MODELS_BUCKET`: the models bucket; records for any other bucket are refused.
 * - `SIGNING_KEY_ARN`: the KMS signing key; bundles are verified with kms:Verify against it.
 * - `REQUIRE_SUBJECT`: `true` to refuse bundles signed without `--subject` (default `false`).
 *
 * Writes name no SSE headers: the models bucket's default encryption (SSE-KMS, its own key) applies.
 *
 * If any record fails for an infrastructure reason, the invocation fails after all records are
 * handled, so Lambda's retry and failure destination apply; re-admitting an approved version is a no-op.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { KmsVerifier } from '../../../tools/ztai-model/kms';
import { AdmissionConfig, AdmissionOutcome, admit } from './admission';
import { S3AdmissionStore } from './s3-store';

/** The parts of an S3 event notification the gate reads. */
export interface S3NotificationEvent {
  readonly Records?: readonly {
    readonly eventSource?: string;
    readonly eventName?: string;
    readonly s3: {
      readonly bucket: { readonly name: string };
      readonly object: { readonly key: string; readonly versionId?: string };
    };
  }[];
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

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** A handler over the given configuration (made on first use). */
export function createHandler(getConfig: () => HandlerConfig) {
  return async (event: S3NotificationEvent): Promise<AdmissionOutcome[]> => {
    const config = getConfig();
    const log = config.log ?? ((line: string) => console.log(line));
    const outcomes: AdmissionOutcome[] = [];
    let failure: unknown;
    for (const record of event.Records ?? []) {
      const rawKey = record.s3.object.key;
      if (record.s3.bucket.name !== config.bucket || !record.eventName?.startsWith('ObjectCreated:')) {
        const why = `not an object-created event for ${config.bucket}`;
        log(
          JSON.stringify({
            level: 'warn',
            outcome: 'ignored',
            bucket: record.s3.bucket.name,
            event: record.eventName,
            key: rawKey,
            why,
          }),
        );
        outcomes.push({ outcome: 'ignored', key: rawKey, why });
        continue;
      }
      let key: string;
      try {
        key = decodeS3Key(rawKey);
      } catch {
        key = rawKey; // not valid percent-encoding: admit() refuses it as outside the layout or malformed
      }
      try {
        outcomes.push(await admit(key, record.s3.object.versionId, config));
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
    return outcomes;
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
