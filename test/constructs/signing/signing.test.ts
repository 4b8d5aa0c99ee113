import { Readable } from 'node:stream';
import { createBundle } from '../../../constructs/signing/bundle';
import { ModelInvalidError } from '../../../constructs/signing/errors';
import { FileListing, createManifest, hashStream } from '../../../constructs/signing/manifest';
import { ModelSource, SignatureVerifier, verifyModel } from '../../../constructs/signing/signing';

/** An in-memory model that records which files were opened. */
function memorySource(files: Record<string, string>): ModelSource & { opened: string[] } {
  const opened: string[] = [];
  return {
    location: 'memory',
    opened,
    list: async (): Promise<FileListing[]> =>
      Object.entries(files).map(([path, c]) => ({ path, size: Buffer.byteLength(c) })),
    open: async (path: string) => {
      opened.push(path);
      return Readable.from([Buffer.from(files[path])]);
    },
  };
}

const verifier = (valid: boolean): SignatureVerifier => ({ description: 'test key', verify: async () => valid });
const DER = Buffer.concat([Buffer.from([0x30, 6, 2, 1, 1, 2, 1, 1])]);

async function bundleFor(files: Record<string, string>) {
  const entries = await Promise.all(
    Object.entries(files).map(async ([path, c]) => ({ path, ...(await hashStream(Readable.from([Buffer.from(c)]))) })),
  );
  return createBundle(createManifest(entries), DER, 'arn:aws:kms:us-east-1:111122223333:key/k', new Date());
}

async function failure(promise: Promise<unknown>): Promise<ModelInvalidError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelInvalidError);
  return err as ModelInvalidError;
}

describe('verifyModel', () => {
  const files = { 'a.bin': 'aaa', 'b.bin': 'bbbb' };

  test('passes and hashes every file once when everything matches', async () => {
    const source = memorySource(files);
    expect(await verifyModel(await bundleFor(files), source, verifier(true))).toMatchObject({ files: 2, bytes: 7 });
    expect(source.opened).toEqual(['a.bin', 'b.bin']);
  });

  test('an invalid signature fails before any file is read', async () => {
    const source = memorySource(files);
    const err = await failure(verifyModel(await bundleFor(files), source, verifier(false)));
    expect(err.reason).toBe('signature-invalid');
    expect(err.message).toBe('signature does not verify with test key');
    expect(source.opened).toEqual([]);
  });

  test('a different file set fails before any file is read', async () => {
    const source = memorySource({ ...files, 'c.bin': 'c' });
    expect((await failure(verifyModel(await bundleFor(files), source, verifier(true)))).reason).toBe(
      'file-set-mismatch',
    );
    expect(source.opened).toEqual([]);
  });

  test('a manifest edited in the bundle fails on its recorded digest', async () => {
    const bundle = await bundleFor(files);
    const edited = { ...bundle, manifest: createManifest([...bundle.manifest.files.slice(1)]) };
    expect((await failure(verifyModel(edited, memorySource(files), verifier(true)))).reason).toBe(
      'manifest-digest-mismatch',
    );
  });

  test('a changed byte stops at that file', async () => {
    const source = memorySource({ 'a.bin': 'aXa', 'b.bin': 'bbbb' });
    const err = await failure(verifyModel(await bundleFor(files), source, verifier(true)));
    expect(err.reason).toBe('file-changed');
    expect(err.message).toMatch(
      /^file changed: "a\.bin" \(sha256 [0-9a-f]{16}…, 3 bytes; signed [0-9a-f]{16}…, 3 bytes\)$/,
    );
    expect(source.opened).toEqual(['a.bin']);
  });
});
