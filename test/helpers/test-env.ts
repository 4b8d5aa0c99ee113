/**
 * Every test file runs in a clean, quiet environment (jest `setupFilesAfterEnv`):
 *
 * - **Its own temporary directory, removed after the file.** aws-cdk-lib writes every `App` without an
 *   `outdir` to a fresh `cdk.outXXXXXX` under `os.tmpdir()`, and the tests make hundreds of them (every
 *   `Template.fromStack`), besides the `ztai-*` directories of their own. Here `os.tmpdir()` (and `TMPDIR` for
 *   child processes) points at one directory per test file, removed in `afterAll`, so a run leaves nothing
 *   behind. Caches meant to outlive the file (test/helpers/reference-fixture.ts) use {@link realTmpdir}.
 * - **No synth-time validation report on the console.** aws-cdk-lib 2.276 prints every annotation warning of
 *   a synthesized app (`WARNING … (Annotation)`, "Acknowledge with …") with `console.error`; the tests that
 *   weaken a default assert on the annotation itself (`Annotations.fromStack`, the validation report). Those
 *   reports are captured per test ({@link synthReports}) instead of printed; any other console output is not.
 *   Nor its "Bundling asset <path>..." line, written to stderr directly (esbuild itself prints only warnings
 *   and errors: the admission gate bundles with `logLevel: WARNING`).
 */
import * as fs from 'fs';
import os from 'os';
import * as path from 'path';

const ORIGINAL_TMPDIR = Symbol.for('ztai.test.originalTmpdir');
type PatchedOs = typeof os & { [ORIGINAL_TMPDIR]?: () => string };

/** The OS temporary directory, as it was before this file's test directory replaced it. */
export function realTmpdir(): string {
  return ((os as PatchedOs)[ORIGINAL_TMPDIR] ?? os.tmpdir)();
}

/** What aws-cdk-lib prints at synth: its validation report (annotations, plugin findings). */
const CDK_REPORT = /A copy of this report can be found in: |^\s*Acknowledge with '/m;
let reports: string[] = [];
/** aws-cdk-lib's line before it bundles an asset locally. */
const BUNDLING_NOTICE = /^Bundling asset \S+\.\.\.\n$/;

/** The synth-time validation reports aws-cdk-lib printed during the current test, in order. */
export function synthReports(): readonly string[] {
  return reports;
}

/** Whether a console.error message is aws-cdk-lib's synth-time validation report. */
export function isCdkReport(message: unknown): boolean {
  return typeof message === 'string' && CDK_REPORT.test(message);
}

/** Wire both up for the current test file (called once, from jest's setupFilesAfterEnv). */
export function installTestEnv(): void {
  const patched = os as PatchedOs;
  patched[ORIGINAL_TMPDIR] ??= os.tmpdir;
  const root = fs.mkdtempSync(path.join(realTmpdir(), 'ztai-test-'));
  const previousEnv = process.env.TMPDIR;
  patched.tmpdir = () => root;
  process.env.TMPDIR = root;

  const consoleError = console.error;
  console.error = (...args: unknown[]): void => {
    if (isCdkReport(args[0])) {
      reports.push(args[0] as string);
      return;
    }
    consoleError.apply(console, args);
  };

  // aws-cdk-lib announces every local bundling ("Bundling asset <path>...") on stderr directly.
  const stderrWrite = process.stderr.write;
  process.stderr.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'string' && BUNDLING_NOTICE.test(chunk)) return true;
    return (stderrWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stderr.write;

  beforeEach(() => {
    reports = [];
  });
  afterAll(() => {
    console.error = consoleError;
    process.stderr.write = stderrWrite;
    patched.tmpdir = patched[ORIGINAL_TMPDIR]!;
    if (previousEnv === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousEnv;
    fs.rmSync(root, { recursive: true, force: true });
  });
}
