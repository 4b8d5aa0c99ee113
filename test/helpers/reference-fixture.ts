/**
 * The reference platform synthesized as `npx cdk synth` does (every cdk-nag pack and the built-in
 * CloudFormation validator with our Guard rules, findings as errors), once for all suites.
 *
 * A full synth with every validator costs several seconds, and several suites need the same one
 * (test/lib/platform-stack.test.ts, the journeys). Jest gives every suite a fresh module registry and
 * may run suites in parallel workers, so the cache lives on disk: a cloud assembly in the OS temp
 * directory, keyed by a hash of everything the synth reads (sources, policy, cdk.json, the lock file,
 * this file) and of the configuration. Nothing goes stale: change an input and the key changes.
 *
 * It is built on first use rather than in a jest globalSetup, so a targeted run (`npx jest
 * test/constructs/keys`) that needs no reference platform does not pay for one. Concurrent workers
 * that need the same assembly wait on a lock instead of synthesizing it twice, and an assembly is
 * renamed into place only when complete.
 */
import { App } from 'aws-cdk-lib';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PlatformConfig } from '../../lib/config/platform-config';
import { buildPlatform } from '../../lib/platform-app';
import { registerValidations } from '../../lib/validation/register-validations';
import { CDK_CONTEXT } from './stacks';
import { realTmpdir } from './test-env';

export interface SynthesizedReference {
  /** The configuration it was synthesized from. */
  readonly config: PlatformConfig;
  /** The cloud assembly directory (templates, manifest.json, validation-report.json). Read it, never write to it. */
  readonly directory: string;
  /** Set when synth with every validator failed (the templates and the report are still written). */
  readonly validationError?: string;
}

const ROOT = path.resolve(__dirname, '..', '..');
/** What the synthesized reference platform depends on: a change to any of these synthesizes it again. */
const INPUTS = [
  'lib',
  'constructs',
  'policy',
  'bin',
  'tools/ztai-model',
  'cdk.json',
  'package-lock.json',
  'test/helpers/reference-fixture.ts',
  'test/helpers/stacks.ts',
];
// The real OS temporary directory: each test file's own (test/helpers/test-env.ts) is removed after it.
const CACHE_DIR = path.join(realTmpdir(), 'ztai-reference-fixtures');
const RESULT_FILE = 'fixture.json';
/** A lock older than this is left over from a killed run. */
const STALE_LOCK_MS = 10 * 60 * 1000;
/** Cached assemblies unused for this long are removed when a new one is written. */
const PRUNE_AFTER_MS = 24 * 60 * 60 * 1000;

const memo = new Map<string, SynthesizedReference>();

/**
 * The reference platform synthesized from `config` with every validator on, shared through the
 * on-disk cache. A validation failure does not throw: it is returned in `validationError` (the
 * templates are written before it), so each caller decides what a failure means.
 */
export function synthesizedReference(config: PlatformConfig): SynthesizedReference {
  const key = `${inputsHash()}-${createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 12)}`;
  const cached = memo.get(key);
  if (cached) return cached;
  const directory = path.join(CACHE_DIR, key);
  const resultFile = path.join(directory, RESULT_FILE);
  while (!fs.existsSync(resultFile)) {
    if (!tryLock(`${directory}.lock`)) {
      sleep(250);
      continue;
    }
    try {
      if (!fs.existsSync(resultFile)) build(config, directory);
    } finally {
      fs.rmSync(`${directory}.lock`, { recursive: true, force: true });
    }
  }
  const { validationError } = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as { validationError?: string };
  // Mark it used, so prune() keeps it.
  const now = new Date();
  fs.utimesSync(directory, now, now);
  const result: SynthesizedReference = { config, directory, ...(validationError ? { validationError } : {}) };
  memo.set(key, result);
  return result;
}

function build(config: PlatformConfig, directory: string): void {
  fs.mkdirSync(CACHE_DIR, { recursive: true });
  prune();
  const tmp = `${directory}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const validationError = synth(config, tmp);
  fs.writeFileSync(path.join(tmp, RESULT_FILE), JSON.stringify({ validationError }));
  try {
    fs.renameSync(tmp, directory);
  } catch {
    // Another process finished first (after taking over a stale lock): use its assembly.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Synthesize with every validator on; returns the validation failure, if any (the templates are written before it). */
function synth(config: PlatformConfig, outdir: string): string | undefined {
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'true';
  try {
    const app = new App({ outdir, context: CDK_CONTEXT });
    buildPlatform(app, config);
    registerValidations(app);
    app.synth();
    return undefined;
  } catch (e) {
    if (!fs.existsSync(path.join(outdir, 'manifest.json'))) throw e;
    return (e as Error).message;
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}

/** Take the lock (an atomic mkdir holding our pid); false when another live process holds it. */
function tryLock(lock: string): boolean {
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  try {
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  if (lockIsStale(lock)) fs.rmSync(lock, { recursive: true, force: true });
  return false;
}

function lockIsStale(lock: string): boolean {
  try {
    if (Date.now() - fs.statSync(lock).mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
    if (!pid) return false; // being written
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // ESRCH: the holder is gone. ENOENT: the lock was just released or is being written.
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Remove assemblies (and leftovers of killed runs) nobody has used for a day. */
function prune(): void {
  for (const name of fs.readdirSync(CACHE_DIR)) {
    const entry = path.join(CACHE_DIR, name);
    try {
      if (Date.now() - fs.statSync(entry).mtimeMs > PRUNE_AFTER_MS) fs.rmSync(entry, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let hash: string | undefined;

/** A hash of every input file's path and content (computed once per suite). */
function inputsHash(): string {
  if (hash) return hash;
  const h = createHash('sha256');
  const visit = (p: string): void => {
    const abs = path.join(ROOT, p);
    if (!fs.existsSync(abs)) return;
    if (fs.statSync(abs).isDirectory()) {
      for (const name of fs.readdirSync(abs).sort()) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        visit(path.join(p, name));
      }
    } else {
      h.update(`${p}\0`).update(fs.readFileSync(abs)).update('\0');
    }
  };
  INPUTS.forEach(visit);
  hash = h.digest('hex').slice(0, 16);
  return hash;
}

/** JSON with object keys sorted, so equal configurations built in a different key order share an assembly. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
