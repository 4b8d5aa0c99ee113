/**
 * The model manifest: one entry per file (relative POSIX path, size, SHA-256), and its canonical
 * byte form, whose SHA-256 is what KMS signs.
 *
 * This is the only implementation of the format; the CLI and the admission gate both use it.
 * Pure: no file system, no network.
 *
 * ## Canonical form (format `ztai-model-manifest/v1`)
 *
 * The canonical bytes are the UTF-8 encoding of the manifest as RFC 8785 (JCS) JSON. For this schema
 * that is exactly:
 *
 * ```
 * {"files":[{"path":<P>,"sha256":"<H>","size":<N>},...],"format":"ztai-model-manifest/v1"}
 * ```
 *
 * and, when the manifest names what it is a release of (`--subject`),
 * `,"subject":{"model":<M>,"version":<V>,"workload":<W>}` before the closing brace. That is:
 * - object keys in ascending order (`files` < `format` < `subject`; `path` < `sha256` < `size`;
 *   `model` < `version` < `workload`), no whitespace anywhere, no trailing newline;
 * - strings escaped as ECMAScript `JSON.stringify` does (`"` `\` and U+0000..U+001F escaped,
 *   everything else literal UTF-8), which is what RFC 8785 requires;
 * - `size` a decimal integer without sign, leading zeros or exponent; `sha256` 64 lowercase hex digits;
 * - `files` sorted by `path`, comparing the UTF-8 bytes of the paths (no duplicates).
 *
 * The manifest digest is SHA-256 over those bytes. The signature is ECDSA P-256 over that digest
 * (KMS `ECDSA_SHA_256` with `MessageType: DIGEST`), so any ECDSA-with-SHA-256 verifier given the
 * canonical bytes and the public key checks it (for example `openssl dgst -sha256 -verify`).
 *
 * ## Paths
 * A path is relative to the model root (a directory; for a single file, the file's base name), uses
 * `/` between segments, and has no empty, `.` or `..` segment, no `\`, no control character and no
 * lone surrogate. No path may also be a directory of another (`a` and `a/b`).
 */
import { createHash } from 'node:crypto';
import { ModelInvalidError } from './errors';

/** The manifest format identifier; part of the signed bytes, so a signature cannot be replayed across formats. */
export const MANIFEST_FORMAT = 'ztai-model-manifest/v1';

/** Longest accepted path, in UTF-8 bytes (S3's key limit is 1024 bytes including the prefix). */
export const MAX_PATH_BYTES = 900;

/** One file of a model. */
export interface ManifestEntry {
  /** Relative POSIX path from the model root. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** SHA-256 of the content, 64 lowercase hex digits. */
  readonly sha256: string;
}

/** What a model is a release of; binds a signature to one admission location. */
export interface ManifestSubject {
  readonly workload: string;
  readonly model: string;
  readonly version: string;
}

/** The list of a model's files, sorted by path (UTF-8 byte order). */
export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly files: readonly ManifestEntry[];
  /** @default - not bound to a workload, model and version */
  readonly subject?: ManifestSubject;
}

/** One file as a source lists it, before hashing. */
export interface FileListing {
  readonly path: string;
  readonly size: number;
}

/** Result of streaming content through SHA-256. */
export interface StreamDigest {
  readonly sha256: string;
  readonly size: number;
}

/** How one listing differs from a manifest, found before anything is hashed. */
export interface FileSetDifference {
  readonly missing: readonly string[];
  readonly extra: readonly string[];
  readonly sizeChanged: readonly { path: string; expected: number; actual: number }[];
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SUBJECT_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHAR = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `path` is not an acceptable manifest path, or undefined if it is.
 */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
  if (LONE_SURROGATE.test(path)) return 'is not valid Unicode';
  if (CONTROL_CHAR.test(path)) return 'contains a control character';
  if (path.includes('\\')) return "contains '\\'";
  if (path.startsWith('/')) return "starts with '/'";
  for (const segment of path.split('/')) {
    if (segment === '') return 'has an empty segment';
    if (segment === '.' || segment === '..') return `has a '${segment}' segment`;
  }
  return undefined;
}

/**
 * Why `value` is not an acceptable workload, model or version name, or undefined if it is.
 * One S3 key segment: starts with a letter or digit, then letters, digits, `.`, `_`, `+`, `-` (max 128;
 * `+` for semver build metadata such as `1.2.0+build.7`).
 */
export function subjectSegmentProblem(value: string): string | undefined {
  return SUBJECT_SEGMENT.test(value)
    ? undefined
    : 'must be 1-128 characters of letters, digits, ".", "_", "+" or "-", starting with a letter or digit';
}

/** Compare two paths by their UTF-8 bytes (the manifest's sort order). */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Sort entries (or listings) into manifest order; returns a new array. */
export function sortByPath<T extends { readonly path: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => comparePaths(a.path, b.path));
}

/**
 * Why a list of paths (any order) cannot form a manifest, or undefined if it can:
 * an invalid path, a duplicate, or a path that is also another path's directory.
 */
export function pathSetProblem(paths: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const path of paths) {
    const problem = pathProblem(path);
    if (problem) return `path ${JSON.stringify(path)} ${problem}`;
    if (seen.has(path)) return `path ${JSON.stringify(path)} appears twice`;
    seen.add(path);
  }
  for (const path of paths) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const dir = segments.slice(0, i).join('/');
      if (seen.has(dir))
        return `path ${JSON.stringify(dir)} is both a file and the directory of ${JSON.stringify(path)}`;
    }
  }
  return undefined;
}

/**
 * Build a manifest from hashed entries (any order). Throws a plain Error on invalid entries;
 * callers validate listings first, so this is a programming error, not user input.
 */
export function createManifest(entries: readonly ManifestEntry[], subject?: ManifestSubject): Manifest {
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    files: sortByPath(entries).map((e) => ({ path: e.path, size: e.size, sha256: e.sha256 })),
    ...(subject ? { subject: { workload: subject.workload, model: subject.model, version: subject.version } } : {}),
  };
  const problem = manifestProblem(manifest);
  if (problem) throw new Error(`cannot build manifest: ${problem}`);
  return manifest;
}

/**
 * The canonical bytes of a manifest (see the module comment). The manifest must be valid
 * ({@link parseManifest} or {@link createManifest} made it).
 */
export function canonicalManifest(manifest: Manifest): Buffer {
  const files = manifest.files
    .map((f) => `{"path":${JSON.stringify(f.path)},"sha256":"${f.sha256}","size":${f.size}}`)
    .join(',');
  const subject = manifest.subject
    ? `,"subject":{"model":${JSON.stringify(manifest.subject.model)},` +
      `"version":${JSON.stringify(manifest.subject.version)},"workload":${JSON.stringify(manifest.subject.workload)}}`
    : '';
  return Buffer.from(`{"files":[${files}],"format":${JSON.stringify(MANIFEST_FORMAT)}${subject}}`, 'utf8');
}

/** SHA-256 of the canonical manifest bytes: the digest KMS signs. */
export function manifestDigest(manifest: Manifest): Buffer {
  return createHash('sha256').update(canonicalManifest(manifest)).digest();
}

/**
 * Validate an untrusted value (parsed JSON) as a manifest. Returns the manifest or throws an Error
 * whose message names the field and what is wrong. Unknown fields are refused: they would not be
 * covered by the signature.
 */
export function parseManifest(value: unknown): Manifest {
  const problem = manifestProblem(value);
  if (problem) throw new Error(problem);
  return value as Manifest;
}

function manifestProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'manifest must be an object';
  const extra = unknownKeys(value, ['format', 'files', 'subject']);
  if (extra) return `manifest has unknown field ${extra}`;
  if (value.format !== MANIFEST_FORMAT) {
    return `manifest.format must be ${JSON.stringify(MANIFEST_FORMAT)}, got ${JSON.stringify(value.format)}`;
  }
  if (!Array.isArray(value.files)) return 'manifest.files must be an array';
  if (value.files.length === 0) return 'manifest.files is empty';
  for (const [i, entry] of value.files.entries()) {
    const where = `manifest.files[${i}]`;
    if (!isPlainObject(entry)) return `${where} must be an object`;
    const extraKey = unknownKeys(entry, ['path', 'size', 'sha256']);
    if (extraKey) return `${where} has unknown field ${extraKey}`;
    if (typeof entry.path !== 'string') return `${where}.path must be a string`;
    if (typeof entry.size !== 'number' || !Number.isSafeInteger(entry.size) || entry.size < 0) {
      return `${where}.size must be a non-negative integer, got ${JSON.stringify(entry.size)}`;
    }
    if (typeof entry.sha256 !== 'string' || !SHA256_HEX.test(entry.sha256)) {
      return `${where}.sha256 must be 64 lowercase hex digits`;
    }
    if (i > 0 && comparePaths((value.files[i - 1] as ManifestEntry).path, entry.path) >= 0) {
      return `${where}.path ${JSON.stringify(entry.path)} is out of order or duplicated (files must be sorted by UTF-8 bytes)`;
    }
  }
  const pathSet = pathSetProblem((value.files as ManifestEntry[]).map((f) => f.path));
  if (pathSet) return `manifest.files: ${pathSet}`;
  if (value.subject !== undefined) {
    if (!isPlainObject(value.subject)) return 'manifest.subject must be an object';
    const extraKey = unknownKeys(value.subject, ['workload', 'model', 'version']);
    if (extraKey) return `manifest.subject has unknown field ${extraKey}`;
    for (const field of ['workload', 'model', 'version'] as const) {
      const v = value.subject[field];
      if (typeof v !== 'string') return `manifest.subject.${field} must be a string`;
      const p = subjectSegmentProblem(v);
      if (p) return `manifest.subject.${field} ${JSON.stringify(v)} ${p}`;
    }
  }
  return undefined;
}

/**
 * Compare a listing (path and size, not yet hashed) against a manifest. Cheap: run it before hashing
 * so a wrong file set fails without reading gigabytes.
 */
export function diffFileSet(manifest: Manifest, listing: readonly FileListing[]): FileSetDifference {
  const expected = new Map(manifest.files.map((f) => [f.path, f.size]));
  const actual = new Map(listing.map((f) => [f.path, f.size]));
  const missing = manifest.files.filter((f) => !actual.has(f.path)).map((f) => f.path);
  const extra = sortByPath(listing.filter((f) => !expected.has(f.path))).map((f) => f.path);
  const sizeChanged = manifest.files
    .filter((f) => actual.has(f.path) && actual.get(f.path) !== f.size)
    .map((f) => ({ path: f.path, expected: f.size, actual: actual.get(f.path) as number }));
  return { missing, extra, sizeChanged };
}

/**
 * Throw {@link ModelInvalidError} if the listing does not match the manifest's file set and sizes.
 * The message lists the first few differences on one line.
 */
export function assertSameFileSet(manifest: Manifest, listing: readonly FileListing[]): void {
  const diff = diffFileSet(manifest, listing);
  const problems = [
    ...diff.missing.map((p) => `missing ${JSON.stringify(p)}`),
    ...diff.extra.map((p) => `extra ${JSON.stringify(p)} (not in the bundle)`),
    ...diff.sizeChanged.map((c) => `changed ${JSON.stringify(c.path)} (size ${c.actual}, signed ${c.expected})`),
  ];
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).join('; ');
  const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
  const reason = diff.missing.length + diff.extra.length > 0 ? 'file-set-mismatch' : 'file-changed';
  throw new ModelInvalidError(reason, `files differ from the bundle: ${shown}${more}`);
}

/**
 * Hash content as it streams: SHA-256 and byte count, one chunk at a time (never the whole content
 * in memory). `onChunk` sees each chunk's length, for progress.
 */
export async function hashStream(
  source: AsyncIterable<Uint8Array | string>,
  onChunk?: (bytes: number) => void,
): Promise<StreamDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    hash.update(bytes);
    size += bytes.length;
    onChunk?.(bytes.length);
  }
  return { sha256: hash.digest('hex'), size };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(value: Record<string, unknown>, allowed: readonly string[]): string | undefined {
  const extra = Object.keys(value).find((k) => !allowed.includes(k));
  return extra === undefined ? undefined : JSON.stringify(extra);
}

/** Exposed for the bundle parser. @internal */
export const internal = { isPlainObject, unknownKeys };
