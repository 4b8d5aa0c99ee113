/**
 * The signature bundle: a JSON file that travels with a model.
 *
 * ```json
 * {
 *   "format": "ztai-model-bundle",
 *   "formatVersion": 1,
 *   "manifest": { "files": [{ "path": "config.json", "sha256": "…", "size": 1234 }], "format": "ztai-model-manifest/v1" },
 *   "manifestSha256": "<hex SHA-256 of the canonical manifest>",
 *   "signature": {
 *     "algorithm": "ECDSA_SHA_256",
 *     "keyArn": "arn:aws:kms:eu-west-1:111122223333:key/…",
 *     "signedAt": "2025-01-01T12:00:00.000Z",
 *     "value": "<base64 DER ECDSA signature over manifestSha256>"
 *   }
 * }
 * ```
 *
 * Only the manifest is signed. `keyArn` and `signedAt` are unsigned metadata (the key that verifies is
 * always the one the verifier names, never the one the bundle claims; KMS's CloudTrail log is the
 * authoritative record of when a signature was made). `manifestSha256` is checked against the manifest.
 * Parsing is strict: unknown fields, a different format version or a bad value are refused.
 */
import { ModelInputError, errorMessage } from './errors';
import { Manifest, internal, manifestDigest, parseManifest } from './manifest';

export const BUNDLE_FORMAT = 'ztai-model-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
/** The KMS signing algorithm every bundle uses (ECDSA on P-256 with SHA-256). */
export const SIGNING_ALGORITHM = 'ECDSA_SHA_256';
/** Largest bundle file accepted (a manifest of ~300,000 files); bigger is refused before parsing. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The signature part of a bundle. */
export interface BundleSignature {
  readonly algorithm: typeof SIGNING_ALGORITHM;
  /** ARN of the KMS key that signed (from the Sign response); unsigned metadata. */
  readonly keyArn: string;
  /** When the bundle was signed, ISO 8601 UTC; unsigned metadata. */
  readonly signedAt: string;
  /** Base64 of the DER-encoded ECDSA signature over the manifest digest. */
  readonly value: string;
}

/** A parsed, validated bundle. */
export interface Bundle {
  readonly format: typeof BUNDLE_FORMAT;
  readonly formatVersion: typeof BUNDLE_FORMAT_VERSION;
  readonly manifest: Manifest;
  /** Hex SHA-256 of the canonical manifest. */
  readonly manifestSha256: string;
  readonly signature: BundleSignature;
}

/** Assemble a bundle from a manifest and the signature KMS returned for its digest. */
export function createBundle(manifest: Manifest, signature: Uint8Array, keyArn: string, signedAt: Date): Bundle {
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    manifest,
    manifestSha256: manifestDigest(manifest).toString('hex'),
    signature: {
      algorithm: SIGNING_ALGORITHM,
      keyArn,
      signedAt: signedAt.toISOString(),
      value: Buffer.from(signature).toString('base64'),
    },
  };
}

/** The bundle as written to disk: 2-space JSON, fixed field order, trailing newline. */
export function serializeBundle(bundle: Bundle): string {
  return `${JSON.stringify(bundle, null, 2)}\n`;
}

/** The DER signature bytes of a parsed bundle. */
export function signatureBytes(bundle: Bundle): Buffer {
  return Buffer.from(bundle.signature.value, 'base64');
}

/**
 * Parse and validate bundle text. `source` names the bundle in messages.
 * Throws {@link ModelInputError} (`bundle-malformed`) with a one-line reason.
 */
export function parseBundle(text: string, source: string): Bundle {
  const fail = (what: string): never => {
    throw new ModelInputError('bundle-malformed', `malformed bundle ${source}: ${what}`);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(`not valid JSON (${errorMessage(err)})`);
  }
  const { isPlainObject, unknownKeys } = internal;
  if (!isPlainObject(value)) return fail('not a JSON object');
  const extra = unknownKeys(value, ['format', 'formatVersion', 'manifest', 'manifestSha256', 'signature']);
  if (extra) return fail(`unknown field ${extra}`);
  if (value.format !== BUNDLE_FORMAT) {
    return fail(`format must be ${JSON.stringify(BUNDLE_FORMAT)}, got ${JSON.stringify(value.format)}`);
  }
  if (value.formatVersion !== BUNDLE_FORMAT_VERSION) {
    return fail(
      `formatVersion ${JSON.stringify(value.formatVersion)} is not supported (this tool reads ${BUNDLE_FORMAT_VERSION})`,
    );
  }
  try {
    parseManifest(value.manifest);
  } catch (err) {
    return fail(errorMessage(err));
  }
  if (typeof value.manifestSha256 !== 'string' || !SHA256_HEX.test(value.manifestSha256)) {
    return fail('manifestSha256 must be 64 lowercase hex digits');
  }
  const sig = value.signature;
  if (!isPlainObject(sig)) return fail('signature must be an object');
  const extraSig = unknownKeys(sig, ['algorithm', 'keyArn', 'signedAt', 'value']);
  if (extraSig) return fail(`signature has unknown field ${extraSig}`);
  if (sig.algorithm !== SIGNING_ALGORITHM) {
    return fail(
      `signature.algorithm must be ${JSON.stringify(SIGNING_ALGORITHM)}, got ${JSON.stringify(sig.algorithm)}`,
    );
  }
  if (typeof sig.keyArn !== 'string' || !KEY_ARN.test(sig.keyArn)) {
    return fail(`signature.keyArn must be a KMS key ARN, got ${JSON.stringify(sig.keyArn)}`);
  }
  if (typeof sig.signedAt !== 'string' || !ISO_UTC.test(sig.signedAt) || Number.isNaN(Date.parse(sig.signedAt))) {
    return fail(`signature.signedAt must be an ISO 8601 UTC time, got ${JSON.stringify(sig.signedAt)}`);
  }
  if (typeof sig.value !== 'string' || sig.value.length === 0 || !BASE64.test(sig.value)) {
    return fail('signature.value must be base64');
  }
  const der = Buffer.from(sig.value, 'base64');
  // An ECDSA P-256 DER signature is a SEQUENCE of two INTEGERs: 8 to 72 bytes.
  if (der.length < 8 || der.length > 72 || der[0] !== 0x30) {
    return fail(`signature.value is not a DER ECDSA P-256 signature (${der.length} bytes)`);
  }
  return value as unknown as Bundle;
}
