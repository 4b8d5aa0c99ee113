/**
 * Shared fixtures for the ztai-model and admission-gate tests: temporary model trees and an in-memory
 * CLI I/O that captures stdout and stderr.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KMSClient } from '@aws-sdk/client-kms';
import { CliIo } from '../../../tools/ztai-model/cli';

/** A small model: nested directory, a binary file, a name needing the UTF-8 sort. */
export const MODEL_FILES: Record<string, string | Buffer> = {
  'config.json': '{"architecture":"tiny"}\n',
  'tokenizer/vocab.txt': 'a\nb\nc\n',
  'weights/model.bin': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)),
  'weights/model-00002.bin': Buffer.alloc(1024, 0xab),
};

const dirs: string[] = [];

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
export function tempDir(prefix = 'ztai-model-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Remove every directory {@link tempDir} made (call in afterAll). */
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Write `files` (relative POSIX paths) under `root`, creating directories. */
export function writeTree(root: string, files: Record<string, string | Buffer>): string {
  for (const [path, content] of Object.entries(files)) {
    const file = join(root, ...path.split('/'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

/** CLI I/O that records output; `kmsClient` makes SDK clients for the local KMS. */
export class MemoryIo implements CliIo {
  public stdoutText = '';
  public stderrText = '';
  public readonly stdout = { write: (text: string) => (this.stdoutText += text) };
  public readonly stderr: { write: (text: string) => string; isTTY: boolean };

  constructor(
    public readonly kmsClient: () => KMSClient,
    options: { isTTY?: boolean } = {},
  ) {
    this.stderr = { write: (text: string) => (this.stderrText += text), isTTY: options.isTTY ?? false };
  }

  public now(): Date {
    return new Date('2025-01-02T03:04:05.000Z');
  }
}
