/**
 * The inner loop, against the targets of issue #12:
 * - `npx cdk synth` of the reference app: at most 2× the same CLI's synth of a one-queue app
 *   (bench/one-queue-app.ts), both run by cdk.json's app runner with cdk.json's context (feature
 *   flags, CloudFormation's built-in validator), so the ratio is the cost of our app alone;
 * - `npm test`: at most 60 s on a 2-core machine. Not measured here (that would run the suite a second
 *   time in CI): `npm test` records jest's results (`--json --outputFile`) and this reads them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';

const ROOT = path.resolve(__dirname, '..');
export const SYNTH_RATIO_TARGET = 2;
export const TEST_SECONDS_TARGET = 60;
/** Where `npm test` (package.json) writes jest's JSON results; `npm ci` removes it with node_modules. */
export const JEST_RESULTS_FILE = path.join(ROOT, 'node_modules', '.ztai-jest-results.json');
const REFERENCE_ENTRY = 'bin/zero-trust-ai.ts';
const ONE_QUEUE_ENTRY = 'bench/one-queue-app.ts';

export interface SynthRatio {
  /** Wall seconds per `cdk synth` of the reference app, one per round. */
  readonly reference: number[];
  /** Wall seconds per `cdk synth` of the one-queue app, one per round. */
  readonly oneQueue: number[];
  /** reference / oneQueue of each round (the two run back to back, so they share the machine's load). */
  readonly ratios: number[];
  /**
   * The same in CPU seconds (user + system, of the CLI and the app it runs), which a busy machine
   * disturbs far less than wall time; undefined where /proc is not available.
   */
  readonly cpuRatios?: number[];
  readonly appCommand: string;
}

interface Timing {
  readonly wall: number;
  readonly cpu?: number;
}

/**
 * Time `cdk synth --quiet` of both apps with the project's own CLI, alternating them `rounds` times
 * after `warmup` discarded rounds. Throws when either synth fails.
 */
export function measureSynthRatio(rounds: number, warmup: number): SynthRatio {
  const appCommand = cdkJsonApp();
  if (!appCommand.includes(REFERENCE_ENTRY)) {
    throw new Error(
      `cdk.json's app (${appCommand}) does not run ${REFERENCE_ENTRY}; the bench cannot derive the one-queue app's command`,
    );
  }
  const oneQueueCommand = appCommand.replace(REFERENCE_ENTRY, ONE_QUEUE_ENTRY);
  const reference: Timing[] = [];
  const oneQueue: Timing[] = [];
  for (let i = 0; i < warmup + rounds; i++) {
    const q = timeSynth(['--app', oneQueueCommand], 'bench-one-queue');
    const r = timeSynth([], 'ztai-platform');
    if (i < warmup) continue;
    oneQueue.push(q);
    reference.push(r);
  }
  const hasCpu = [...reference, ...oneQueue].every((t) => t.cpu !== undefined);
  return {
    reference: reference.map((t) => t.wall),
    oneQueue: oneQueue.map((t) => t.wall),
    ratios: reference.map((r, i) => r.wall / oneQueue[i].wall),
    ...(hasCpu ? { cpuRatios: reference.map((r, i) => r.cpu! / oneQueue[i].cpu!) } : {}),
    appCommand,
  };
}

/** The app command of cdk.json: what `npx cdk synth` runs. */
function cdkJsonApp(): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).app as string;
}

/**
 * One `cdk synth --quiet` in the repository, as a fresh machine runs it (as .ci/run does): the project's
 * CLI (`npx cdk` without the npx lookup), no AWS_* or CDK_* variables (no credentials, so no AWS call;
 * validation as cdk.json sets it), an empty HOME, its own output directory (cdk.out is left alone).
 */
function timeSynth(extraArgs: string[], expectedStack: string): Timing {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-bench-synth-'));
  const outdir = path.join(work, 'cdk.out');
  const home = path.join(work, 'home');
  fs.mkdirSync(home);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(AWS_|CDK_)/.test(key)) env[key] = value;
  try {
    const t0 = performance.now();
    const cpu0 = childrenCpuSeconds();
    const result = spawnSync(
      process.execPath,
      [require.resolve('aws-cdk/bin/cdk'), 'synth', '--quiet', '--output', outdir, ...extraArgs],
      {
        cwd: ROOT,
        env: {
          ...env,
          HOME: home,
          npm_config_cache: path.join(os.homedir(), '.npm'),
          npm_config_update_notifier: 'false',
        },
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = childrenCpuSeconds();
    if (result.status !== 0 || !fs.existsSync(path.join(outdir, `${expectedStack}.template.json`))) {
      throw new Error(
        `cdk synth ${extraArgs.join(' ')} failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`,
      );
    }
    return { wall, ...(cpu0 !== undefined && cpu1 !== undefined ? { cpu: cpu1 - cpu0 } : {}) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * CPU seconds (user + system) of this process's finished children and their own waited-for children
 * (Linux: cutime and cstime of /proc/self/stat, in clock ticks of 1/100 s); undefined elsewhere.
 */
function childrenCpuSeconds(): number | undefined {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, cutime 16, cstime 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

export interface TestSuiteTime {
  readonly seconds: number;
  readonly success: boolean;
  readonly suites: number;
  readonly tests: number;
  readonly skipped: number;
  readonly recordedAt: Date;
  /** The slowest suites, slowest first, as [seconds, path from the repository root]. */
  readonly slowest: [number, string][];
}

/** Why there is no full-suite time to show. */
export class NoTestTiming extends Error {}

/**
 * The run time of the last full `npm test`, from the jest results it recorded: from jest's start to the
 * end of its last suite (jest's own start-up, about a second, is not in it).
 */
export function lastTestSuiteTime(): TestSuiteTime {
  if (!fs.existsSync(JEST_RESULTS_FILE)) {
    throw new NoTestTiming(`no recorded run (${path.relative(ROOT, JEST_RESULTS_FILE)}): run \`npm test\` first`);
  }
  const results = JSON.parse(fs.readFileSync(JEST_RESULTS_FILE, 'utf8')) as JestResults;
  const ran = new Set(results.testResults.map((r) => path.resolve(r.name)));
  const missing = testFiles().filter((f) => !ran.has(f));
  if (missing.length > 0) {
    throw new NoTestTiming(
      `the last recorded run was not the full suite (${ran.size} suites ran, ${missing.length} did not, e.g. ` +
        `${path.relative(ROOT, missing[0])}): run \`npm test\` without a path filter`,
    );
  }
  const end = Math.max(...results.testResults.map((r) => r.endTime));
  return {
    seconds: (end - results.startTime) / 1000,
    success: results.success,
    suites: results.numTotalTestSuites,
    tests: results.numTotalTests,
    skipped: results.numPendingTests,
    recordedAt: fs.statSync(JEST_RESULTS_FILE).mtime,
    slowest: results.testResults
      .map((r): [number, string] => [(r.endTime - r.startTime) / 1000, path.relative(ROOT, r.name)])
      .sort((a, b) => b[0] - a[0])
      .slice(0, 5),
  };
}

interface JestResults {
  readonly success: boolean;
  readonly startTime: number;
  readonly numTotalTestSuites: number;
  readonly numTotalTests: number;
  readonly numPendingTests: number;
  readonly testResults: { readonly name: string; readonly startTime: number; readonly endTime: number }[];
}

/** Every test file jest.config.js selects (test/**\/*.test.ts). */
function testFiles(): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(p);
      else if (entry.name.endsWith('.test.ts')) found.push(p);
    }
  };
  visit(path.join(ROOT, 'test'));
  return found;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
