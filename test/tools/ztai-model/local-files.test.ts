import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelInputError } from '../../../constructs/signing/errors';
import { DEFAULT_CHUNK_BYTES, LocalModelSource } from '../../../tools/ztai-model/local-files';
import { ProgressSink, buildManifest } from '../../../constructs/signing/signing';
import { MODEL_FILES, removeTempDirs, tempDir, writeTree } from './fixtures';

afterAll(removeTempDirs);

async function inputError(promise: Promise<unknown>): Promise<ModelInputError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelInputError);
  return err as ModelInputError;
}

describe('LocalModelSource listing', () => {
  test('lists every regular file recursively, sorted by UTF-8 path, ignoring empty directories', async () => {
    const root = writeTree(tempDir(), { ...MODEL_FILES, 'a-c': 'x', 'a/b': 'y' });
    mkdirSync(join(root, 'empty', 'deeper'), { recursive: true });
    const source = await LocalModelSource.at(root);
    expect((await source.list()).map((f) => f.path)).toEqual([
      'a-c',
      'a/b',
      'config.json',
      'tokenizer/vocab.txt',
      'weights/model-00002.bin',
      'weights/model.bin',
    ]);
    expect((await source.list()).find((f) => f.path === 'weights/model.bin')?.size).toBe(4096);
  });

  test('a single file is a one-entry model named by its base name', async () => {
    const root = writeTree(tempDir(), { 'model.gguf': 'weights' });
    const source = await LocalModelSource.at(join(root, 'model.gguf'));
    expect(await source.list()).toEqual([{ path: 'model.gguf', size: 7 }]);
  });

  test('refuses a symbolic link to a file inside the model', async () => {
    const root = writeTree(tempDir(), MODEL_FILES);
    symlinkSync(join(root, 'config.json'), join(root, 'tokenizer', 'alias.json'));
    const err = await inputError((await LocalModelSource.at(root)).list());
    expect(err.reason).toBe('path-refused');
    expect(err.message).toBe(`symlink refused: ${join(root, 'tokenizer', 'alias.json')} (sign regular files only)`);
  });

  test('refuses a symbolic link to a directory (it is not followed)', async () => {
    const outside = writeTree(tempDir(), { 'secret.txt': 'x' });
    const root = writeTree(tempDir(), MODEL_FILES);
    symlinkSync(outside, join(root, 'linked'));
    expect((await inputError((await LocalModelSource.at(root)).list())).message).toMatch(/^symlink refused: .*linked/);
  });

  test('refuses a model path that is itself a symbolic link', async () => {
    const root = writeTree(tempDir(), MODEL_FILES);
    const link = join(tempDir(), 'model-link');
    symlinkSync(root, link);
    expect((await inputError(LocalModelSource.at(link))).message).toBe(`symlink refused: ${link} (pass the real path)`);
  });

  test('refuses a FIFO', async () => {
    const root = writeTree(tempDir(), MODEL_FILES);
    execFileSync('mkfifo', [join(root, 'pipe')]);
    expect((await inputError((await LocalModelSource.at(root)).list())).message).toMatch(
      /^not a regular file: .*pipe$/,
    );
  });

  test('a missing path is unreadable', async () => {
    const missing = join(tempDir(), 'nope');
    const err = await inputError(LocalModelSource.at(missing));
    expect(err.reason).toBe('path-unreadable');
    expect(err.message).toBe(`cannot read ${missing}: no such file or directory`);
  });

  test('a file swapped for a symbolic link after listing is refused when opened (O_NOFOLLOW)', async () => {
    const root = writeTree(tempDir(), { 'model.bin': 'real', 'other.bin': 'attacker' });
    const source = await LocalModelSource.at(root);
    await source.list();
    renameSync(join(root, 'model.bin'), join(root, 'moved.bin'));
    symlinkSync(join(root, 'other.bin'), join(root, 'model.bin'));
    expect((await inputError(source.open('model.bin'))).message).toMatch(/^symlink refused: .*model\.bin$/);
  });

  test('buildManifest refuses an empty directory', async () => {
    const root = tempDir();
    expect((await inputError(buildManifest(await LocalModelSource.at(root)))).message).toBe(
      `no files to sign in ${root}`,
    );
  });
});

describe('streaming', () => {
  // 5 MiB + 123 bytes of non-repeating content: big enough for many chunks, small enough to be fast.
  const size = 5 * 1024 * 1024 + 123;
  let root: string;
  let expected: string;

  beforeAll(() => {
    const content = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4) content.writeUInt32LE((i * 2654435761) >>> 0, Math.min(i, size - 4));
    expected = createHash('sha256').update(content).digest('hex');
    root = writeTree(tempDir(), { 'big.bin': content });
  });

  test('reads a file in chunks of at most the chunk size, never whole', async () => {
    const chunkBytes = 64 * 1024;
    const source = await LocalModelSource.at(root, { chunkBytes });
    const lengths: number[] = [];
    const hash = createHash('sha256');
    for await (const chunk of await source.open('big.bin')) {
      lengths.push(chunk.length);
      hash.update(chunk);
    }
    expect(Math.max(...lengths)).toBeLessThanOrEqual(chunkBytes);
    expect(lengths.length).toBe(Math.ceil(size / chunkBytes));
    expect(hash.digest('hex')).toBe(expected);
  });

  test('buildManifest hashes through the stream with the default 1 MiB chunks', async () => {
    const chunks: number[] = [];
    const progress: ProgressSink = { start() {}, file() {}, bytes: (n) => chunks.push(n), end() {} };
    const manifest = await buildManifest(await LocalModelSource.at(root), undefined, progress);
    expect(manifest.files).toEqual([{ path: 'big.bin', size, sha256: expected }]);
    expect(chunks.length).toBe(Math.ceil(size / DEFAULT_CHUNK_BYTES));
    expect(Math.max(...chunks)).toBeLessThanOrEqual(DEFAULT_CHUNK_BYTES);
  });

  test('a file that grows while it is hashed is refused', async () => {
    const dir = writeTree(tempDir(), { 'grows.bin': 'abc' });
    const source = await LocalModelSource.at(dir);
    const listed = await source.list();
    writeFileSync(join(dir, 'grows.bin'), 'abcdef');
    const tampered = { location: dir, list: async () => listed, open: (p: string) => source.open(p) };
    expect((await inputError(buildManifest(tampered))).message).toBe(
      '"grows.bin" changed while it was read (3 bytes listed, 6 read)',
    );
  });
});
