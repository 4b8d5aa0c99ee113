/**
 * Sign and verify a model, whatever holds its files (a local directory for the CLI, an S3 prefix for
 * the admission gate) and whatever checks the signature (KMS, or a public key offline).
 */
import { Bundle, createBundle, signatureBytes } from './bundle';
import { ModelInputError, ModelInvalidError } from './errors';
import {
  FileListing,
  Manifest,
  ManifestEntry,
  ManifestSubject,
  assertSameFileSet,
  canonicalManifest,
  createManifest,
  hashStream,
  manifestDigest,
  pathSetProblem,
  sortByPath,
} from './manifest';

/** Where a model's files are read from. */
export interface ModelSource {
  /** Where the model is, for messages (a path or an S3 URL). */
  readonly location: string;
  /** Every file of the model with its size. Paths valid and unique (see `pathProblem`), any order. */
  list(): Promise<FileListing[]>;
  /** Stream one listed file's content. */
  open(path: string): Promise<AsyncIterable<Uint8Array>>;
}

/** Signs a manifest digest (32 bytes). */
export interface DigestSigner {
  sign(digest: Buffer): Promise<{ signature: Uint8Array; keyArn: string }>;
}

/** Checks a bundle's signature. */
export interface SignatureVerifier {
  /** What the signature is checked against, for messages ("KMS key alias/x", "public key k.pem"). */
  readonly description: string;
  /**
   * True if `signature` is valid for the manifest. Implementations use the digest (KMS) or the
   * canonical bytes (local ECDSA-with-SHA-256). Throws {@link ModelInputError} if it cannot tell.
   */
  verify(canonical: Buffer, digest: Buffer, signature: Buffer): Promise<boolean>;
}

/** Reports hashing progress; every method optional to implement as a no-op. */
export interface ProgressSink {
  start(totalFiles: number, totalBytes: number): void;
  file(path: string, size: number): void;
  bytes(count: number): void;
  end(): void;
}

/** What a successful verify or sign covered. */
export interface ModelSummary {
  readonly files: number;
  readonly bytes: number;
  readonly manifestSha256: string;
}

const NO_PROGRESS: ProgressSink = { start() {}, file() {}, bytes() {}, end() {} };

/**
 * List and hash every file of a model into a manifest, in manifest order. Throws
 * {@link ModelInputError} if the source is empty or a path is unusable, and if a file's size changes
 * while it is hashed.
 */
export async function buildManifest(
  source: ModelSource,
  subject?: ManifestSubject,
  progress: ProgressSink = NO_PROGRESS,
): Promise<Manifest> {
  const listing = sortByPath(await source.list());
  if (listing.length === 0) throw new ModelInputError('path-refused', `no files to sign in ${source.location}`);
  const problem = pathSetProblem(listing.map((f) => f.path));
  if (problem) throw new ModelInputError('path-refused', `cannot sign ${source.location}: ${problem}`);
  const entries: ManifestEntry[] = [];
  progress.start(listing.length, sum(listing));
  try {
    for (const file of listing) {
      progress.file(file.path, file.size);
      const digest = await hashStream(await source.open(file.path), (n) => progress.bytes(n));
      if (digest.size !== file.size) {
        throw new ModelInputError(
          'path-unreadable',
          `${JSON.stringify(file.path)} changed while it was read (${file.size} bytes listed, ${digest.size} read)`,
        );
      }
      entries.push({ path: file.path, size: digest.size, sha256: digest.sha256 });
    }
  } finally {
    progress.end();
  }
  return createManifest(entries, subject);
}

/** Build the manifest of a model, sign its digest and return the bundle. */
export async function signModel(
  source: ModelSource,
  signer: DigestSigner,
  options: { subject?: ManifestSubject; progress?: ProgressSink; now?: () => Date } = {},
): Promise<Bundle> {
  const manifest = await buildManifest(source, options.subject, options.progress);
  const { signature, keyArn } = await signer.sign(manifestDigest(manifest));
  return createBundle(manifest, signature, keyArn, (options.now ?? (() => new Date()))());
}

/**
 * Verify a model against a bundle, cheapest check first:
 * 1. the bundle's manifest matches its `manifestSha256`;
 * 2. the signature is valid for the manifest digest (nothing is hashed if it is not);
 * 3. the listed files are exactly the manifest's, with the same sizes;
 * 4. every file's SHA-256 matches (stops at the first that does not).
 *
 * Throws {@link ModelInvalidError} if the model is not what was signed,
 * {@link ModelInputError} if it cannot tell.
 */
export async function verifyModel(
  bundle: Bundle,
  source: ModelSource,
  verifier: SignatureVerifier,
  progress: ProgressSink = NO_PROGRESS,
): Promise<ModelSummary> {
  const canonical = canonicalManifest(bundle.manifest);
  const digest = manifestDigest(bundle.manifest);
  if (digest.toString('hex') !== bundle.manifestSha256) {
    throw new ModelInvalidError(
      'manifest-digest-mismatch',
      `the bundle's manifest does not match its manifestSha256 (edited after signing?)`,
    );
  }
  if (!(await verifier.verify(canonical, digest, signatureBytes(bundle)))) {
    throw new ModelInvalidError('signature-invalid', `signature does not verify with ${verifier.description}`);
  }
  const listing = await source.list();
  const problem = pathSetProblem(listing.map((f) => f.path));
  if (problem) throw new ModelInputError('path-refused', `cannot verify ${source.location}: ${problem}`);
  assertSameFileSet(bundle.manifest, listing);

  progress.start(bundle.manifest.files.length, sum(bundle.manifest.files));
  try {
    for (const expected of bundle.manifest.files) {
      progress.file(expected.path, expected.size);
      const actual = await hashStream(await source.open(expected.path), (n) => progress.bytes(n));
      if (actual.sha256 !== expected.sha256 || actual.size !== expected.size) {
        throw new ModelInvalidError(
          'file-changed',
          `file changed: ${JSON.stringify(expected.path)} (sha256 ${actual.sha256.slice(0, 16)}…, ` +
            `${actual.size} bytes; signed ${expected.sha256.slice(0, 16)}…, ${expected.size} bytes)`,
        );
      }
    }
  } finally {
    progress.end();
  }
  return {
    files: bundle.manifest.files.length,
    bytes: sum(bundle.manifest.files),
    manifestSha256: bundle.manifestSha256,
  };
}

function sum(files: readonly { size: number }[]): number {
  return files.reduce((total, f) => total + f.size, 0);
}
