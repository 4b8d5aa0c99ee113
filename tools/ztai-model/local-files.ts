/**
 * A model on the local file system: one regular file, or a directory walked recursively.
 *
 * - Only regular files are part of a model. A symbolic link anywhere (including the path given) is
 *   refused, as is any other special file (FIFO, socket, device): what is signed must be what is there.
 * - Files are opened with `O_NOFOLLOW`, so a link swapped in after the walk is refused too.
 * - Empty directories carry no content and are not recorded.
 * - Files are streamed in chunks of {@link DEFAULT_CHUNK_BYTES}; nothing is read whole into memory.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelInputError, errorCode, errorMessage } from '../../constructs/signing/errors';
import { FileListing, comparePaths, sortByPath } from '../../constructs/signing/manifest';
import { ModelSource } from '../../constructs/signing/signing';

/** Read size per chunk when hashing a file. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/** Options for {@link LocalModelSource.at}. */
export interface LocalModelSourceOptions {
  /** Bytes per read. @default DEFAULT_CHUNK_BYTES */
  readonly chunkBytes?: number;
}

/** A model file or directory on disk. */
export class LocalModelSource implements ModelSource {
  private readonly chunkBytes: number;

  private constructor(
    public readonly location: string,
    private readonly rootDir: string,
    private readonly singleFile: string | undefined,
    options: LocalModelSourceOptions,
  ) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  }

  /**
   * Open a model at `path` (a regular file or a directory). Throws {@link ModelInputError} if it
   * cannot be read or is a symbolic link or special file.
   */
  public static async at(path: string, options: LocalModelSourceOptions = {}): Promise<LocalModelSource> {
    const stats = await lstat(path).catch((err: unknown) => {
      throw new ModelInputError('path-unreadable', `cannot read ${path}: ${describeFsError(err)}`);
    });
    if (stats.isSymbolicLink()) {
      throw new ModelInputError('path-refused', `symlink refused: ${path} (pass the real path)`);
    }
    if (stats.isFile()) return new LocalModelSource(path, dirname(path), basename(path), options);
    if (stats.isDirectory()) return new LocalModelSource(path, path, undefined, options);
    throw new ModelInputError('path-refused', `not a regular file or directory: ${path}`);
  }

  /** Every regular file under the root, sorted by path; refuses symbolic links and special files. */
  public async list(): Promise<FileListing[]> {
    if (this.singleFile !== undefined) {
      const stats = await lstat(this.location);
      return [{ path: this.singleFile, size: stats.size }];
    }
    const out: FileListing[] = [];
    await this.walk('', out);
    return sortByPath(out);
  }

  /** Stream one file (path relative to the root, `/`-separated), refusing a symbolic link. */
  public async open(path: string): Promise<AsyncIterable<Uint8Array>> {
    const display = this.display(path);
    const handle = await open(this.absolute(path), constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: unknown) => {
      if (errorCode(err) === 'ELOOP') throw new ModelInputError('path-refused', `symlink refused: ${display}`);
      throw new ModelInputError('path-unreadable', `cannot read ${display}: ${describeFsError(err)}`);
    });
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      throw new ModelInputError('path-refused', `not a regular file: ${display}`);
    }
    return readGuarded(handle.createReadStream({ highWaterMark: this.chunkBytes }), display);
  }

  private async walk(relDir: string, out: FileListing[]): Promise<void> {
    const absDir = relDir === '' ? this.rootDir : this.absolute(relDir);
    const entries = await readdir(absDir, { withFileTypes: true }).catch((err: unknown) => {
      throw new ModelInputError('path-unreadable', `cannot read directory ${absDir}: ${describeFsError(err)}`);
    });
    // A fixed order (UTF-8 bytes of the name), so the walk and any error it reports are reproducible.
    entries.sort((a, b) => comparePaths(a.name, b.name));
    for (const entry of entries) {
      const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      if (entry.name.includes('\uFFFD')) {
        throw new ModelInputError('path-refused', `file name is not valid UTF-8: ${this.display(rel)}`);
      }
      if (entry.isSymbolicLink()) {
        throw new ModelInputError('path-refused', `symlink refused: ${this.display(rel)} (sign regular files only)`);
      } else if (entry.isDirectory()) {
        await this.walk(rel, out);
      } else if (entry.isFile()) {
        const stats = await lstat(this.absolute(rel));
        out.push({ path: rel, size: stats.size });
      } else {
        throw new ModelInputError('path-refused', `not a regular file: ${this.display(rel)}`);
      }
    }
  }

  private absolute(rel: string): string {
    return join(this.rootDir, ...rel.split('/'));
  }

  private display(rel: string): string {
    return this.singleFile !== undefined ? this.location : join(this.location, ...rel.split('/'));
  }
}

/** Re-throw read errors (EIO, a file truncated under us) as input errors naming the file. */
async function* readGuarded(stream: NodeJS.ReadableStream & { destroy(): void }, display: string) {
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (err) {
    throw new ModelInputError('path-unreadable', `cannot read ${display}: ${describeFsError(err)}`);
  } finally {
    stream.destroy();
  }
}

function describeFsError(err: unknown): string {
  switch (errorCode(err)) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return errorMessage(err);
  }
}
