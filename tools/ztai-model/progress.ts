/**
 * Hashing progress on stderr.
 *
 * - stderr is a terminal: one status line, redrawn at most 10 times a second, erased at the end.
 * - otherwise (CI logs, pipes): only for models of {@link PROGRESS_THRESHOLD_BYTES} or more, a line at
 *   the start, one every {@link LOG_INTERVAL_MS} and one at the end, so logs show a long hash is alive.
 * - `--quiet`: nothing.
 * stdout is never used, so the result line stays machine-readable.
 */
import { ProgressSink } from '../../constructs/signing/signing';

/** Models at least this large report progress even when stderr is not a terminal. */
export const PROGRESS_THRESHOLD_BYTES = 256 * 1024 * 1024;
/** Interval between progress lines when stderr is not a terminal. */
export const LOG_INTERVAL_MS = 10_000;
const TTY_INTERVAL_MS = 100;

/** The part of a stream progress needs (process.stderr fits). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Reports hashing progress to a stream (see the module comment for when). */
export class StreamProgress implements ProgressSink {
  private active = false;
  private totalFiles = 0;
  private totalBytes = 0;
  private fileIndex = 0;
  private doneBytes = 0;
  private currentPath = '';
  private lastRender = 0;

  constructor(
    private readonly stream: ProgressStream,
    private readonly options: { readonly quiet?: boolean; readonly now?: () => number } = {},
  ) {}

  public start(totalFiles: number, totalBytes: number): void {
    this.totalFiles = totalFiles;
    this.totalBytes = totalBytes;
    this.active = !this.options.quiet && (this.stream.isTTY === true || totalBytes >= PROGRESS_THRESHOLD_BYTES);
    if (this.active && !this.stream.isTTY) {
      this.stream.write(`ztai-model: hashing ${totalFiles} files, ${formatBytes(totalBytes)}\n`);
    }
    this.lastRender = this.now();
  }

  public file(path: string, _size: number): void {
    this.fileIndex++;
    this.currentPath = path;
    this.render();
  }

  public bytes(count: number): void {
    this.doneBytes += count;
    this.render();
  }

  public end(): void {
    if (!this.active) return;
    if (this.stream.isTTY) this.stream.write('\r\x1b[K');
    else
      this.stream.write(
        `ztai-model: hashed ${this.fileIndex} of ${this.totalFiles} files, ${formatBytes(this.doneBytes)}\n`,
      );
    this.active = false;
  }

  private render(): void {
    if (!this.active) return;
    const now = this.now();
    const interval = this.stream.isTTY ? TTY_INTERVAL_MS : LOG_INTERVAL_MS;
    if (now - this.lastRender < interval) return;
    this.lastRender = now;
    const percent = this.totalBytes > 0 ? Math.floor((this.doneBytes / this.totalBytes) * 100) : 100;
    const line =
      `ztai-model: hashing ${formatBytes(this.doneBytes)} of ${formatBytes(this.totalBytes)} (${percent}%), ` +
      `file ${this.fileIndex} of ${this.totalFiles}: ${this.currentPath}`;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[K${line.slice(0, 200)}`);
    else this.stream.write(`${line}\n`);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
