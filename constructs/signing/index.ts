// The model-signing core: the manifest and its canonical digest, the signed bundle, signing and
// verification over any file source, and the KMS and offline public-key verifiers. No CDK import:
// the `ztai-model` CLI and the admission gate's Lambda function both run it (eslint enforces this).
export * from './errors';
export type {
  FileListing,
  FileSetDifference,
  Manifest,
  ManifestEntry,
  ManifestSubject,
  StreamDigest,
} from './manifest';
export {
  MANIFEST_FORMAT,
  MAX_PATH_BYTES,
  pathProblem,
  subjectSegmentProblem,
  comparePaths,
  sortByPath,
  pathSetProblem,
  createManifest,
  canonicalManifest,
  manifestDigest,
  parseManifest,
  diffFileSet,
  assertSameFileSet,
  hashStream,
} from './manifest';
export * from './bundle';
export * from './signing';
export * from './kms';
export * from './public-key';
