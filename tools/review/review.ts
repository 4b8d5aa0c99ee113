/**
 * `npm run review [-- --baseline <dir>] [--out <dir>] [--assembly <dir> | -c config=<file>]`
 *
 * Synthesizes the app with every validator on (`cdk synth --quiet`, the project CLI), then writes to `--out`
 * (default `review/`): findings.sarif, access-matrix.json, journeys.json, cost.json, report.md, report.html, plus
 * posture.json (what a later run compares against) and network.svg. With `--baseline <dir>` (a previous
 * review output) it also writes diff.json and a "What changed" section.
 *
 * Exit codes: 0 done; 1 synth or review failed; 2 bad arguments; 3 the change widens access or removes a
 * control compared with the baseline (a security reviewer must approve it).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { buildAccessMatrix } from './access-matrix';
import { loadAssembly } from './assembly';
import { estimateCost, loadPriceTable } from './cost';
import { diffReviews, readReviewOutputs, ReviewDiff, ReviewOutputs } from './diff';
import { stableJson } from './json';
import { evaluateJourneys } from './journeys';
import { renderNetworkSvg } from './network-diagram';
import { buildPosture } from './posture';
import { renderHtml, renderMarkdown } from './report';
import { toSarif } from './sarif';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_NEEDS_REVIEW = 3;

export interface ReviewOptions {
  /** The cloud assembly to review. */
  readonly assemblyDir: string;
  /** Where to write the review. */
  readonly outDir: string;
  /** A previous review output to compare with. @default - no comparison */
  readonly baselineDir?: string;
  /** Source root for SARIF locations. @default process.cwd() */
  readonly sourceRoot?: string;
  /** Price table file. @default tools/review/prices/us-east-1.json */
  readonly priceTable?: string;
  /** Report title. @default 'Policy review' */
  readonly title?: string;
}

export interface ReviewResult {
  readonly exitCode: number;
  readonly files: string[];
  readonly diff?: ReviewDiff;
}

/** Review an assembly and write the outputs. */
export async function writeReview(options: ReviewOptions): Promise<ReviewResult> {
  // Read the baseline first: it may be the output directory itself.
  const baseline: ReviewOutputs | undefined = options.baselineDir ? readReviewOutputs(options.baselineDir) : undefined;
  const assembly = loadAssembly(options.assemblyDir);
  const sarif = toSarif(assembly, { sourceRoot: options.sourceRoot });
  const matrix = await buildAccessMatrix(assembly);
  const posture = buildPosture(assembly);
  const cost = estimateCost(assembly, loadPriceTable(options.priceTable));
  const journeys = await evaluateJourneys(assembly);
  const diff = baseline ? diffReviews(baseline, { matrix, posture, cost }) : undefined;
  const data = { title: options.title, sarif, matrix, posture, cost, diff, journeys };

  fs.mkdirSync(options.outDir, { recursive: true });
  const files: Array<[string, string]> = [
    ['findings.sarif', stableJson(sarif)],
    ['access-matrix.json', stableJson(matrix)],
    ['cost.json', stableJson(cost)],
    ['posture.json', stableJson(posture)],
    ['journeys.json', stableJson(journeys)],
    ['network.svg', `${renderNetworkSvg(posture.network)}\n`],
    ['report.md', renderMarkdown(data)],
    ['report.html', renderHtml(data)],
  ];
  if (diff) files.push(['diff.json', stableJson(diff)]);
  else if (fs.existsSync(path.join(options.outDir, 'diff.json'))) fs.rmSync(path.join(options.outDir, 'diff.json'));
  for (const [name, content] of files) fs.writeFileSync(path.join(options.outDir, name), content);
  return {
    exitCode: diff && (diff.widensAccess || diff.removesControl) ? EXIT_NEEDS_REVIEW : EXIT_OK,
    files: files.map(([name]) => path.join(options.outDir, name)),
    diff,
  };
}

export interface CliArgs {
  readonly out: string;
  readonly baseline?: string;
  readonly assembly?: string;
  /** CDK context passed on to `cdk synth` (`-c config=examples/platform.yaml`), as `key=value`. */
  readonly context: string[];
}

/** Parse the command line; throws a usage error. */
export function parseArgs(argv: string[]): CliArgs {
  let out = 'review';
  let baseline: string | undefined;
  let assembly: string | undefined;
  const context: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let inline: string | undefined;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) [flag, inline] = [flag.slice(0, eq), flag.slice(eq + 1)];
    const value = (what = 'a directory'): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '' || v.startsWith('-')) throw new UsageError(`${flag} needs ${what}`);
      return v;
    };
    if (flag === '--out') out = value();
    else if (flag === '--baseline') baseline = value();
    else if (flag === '--assembly') assembly = value();
    else if (flag === '-c' || flag === '--context') {
      const kv = value('key=value (e.g. -c config=examples/platform.yaml)');
      if (!/^[^=]+=/.test(kv)) throw new UsageError(`${flag} needs key=value, got '${kv}'`);
      context.push(kv);
    } else
      throw new UsageError(
        `unknown argument '${flag}' (allowed: --out <dir>, --baseline <dir>, --assembly <dir>, -c <key>=<value>)`,
      );
  }
  if (assembly !== undefined && context.length > 0)
    throw new UsageError('-c applies to the synth; with --assembly nothing is synthesized (give one or the other)');
  return { out, baseline, assembly, context };
}

/**
 * Check before the synth what can be checked without it: a baseline that is not a review output, an assembly
 * directory that does not exist, a config file that does not exist. Throws with the message to print.
 */
export function preflight(args: CliArgs): void {
  if (args.baseline !== undefined) {
    if (!fs.existsSync(args.baseline) || !fs.statSync(args.baseline).isDirectory())
      throw new Error(
        `--baseline ${args.baseline}: no such directory (give the output directory of an earlier review, e.g. a copy of review/)`,
      );
    readReviewOutputs(args.baseline);
  }
  if (args.assembly !== undefined && !fs.existsSync(path.join(args.assembly, 'manifest.json')))
    throw new Error(`--assembly ${args.assembly}: not a cloud assembly (no manifest.json)`);
  for (const kv of args.context) {
    const [k, ...rest] = kv.split('=');
    const v = rest.join('=');
    if (k === 'config' && !fs.existsSync(v)) throw new Error(`-c config=${v}: no such file`);
  }
}

/** The line the CLI prints when the review needs a reviewer: what widened and what was removed, by name. */
export function needsReviewMessage(diff: ReviewDiff, baseline: string): string {
  const parts = [diff.widensAccess ? 'widens access' : '', diff.removesControl ? 'removes a control' : ''].filter(
    (s) => s,
  );
  const shown = diff.reasons.slice(0, 5);
  const more = diff.reasons.length - shown.length;
  return `review: compared with ${baseline}, this change ${parts.join(' and ')}: ${shown.join('; ')}${more > 0 ? `; and ${more} more (diff.json)` : ''}. A security reviewer must approve it (exit ${EXIT_NEEDS_REVIEW})`;
}

export class UsageError extends Error {}

/** Run `cdk synth --quiet` (the project's CLI) with every validator on; returns the assembly directory or throws with its output. */
export function synth(outputDir = 'cdk.out', context: string[] = []): string {
  const env = { ...process.env };
  delete env.CDK_VALIDATION;
  // The project's own CDK CLI (what `npx cdk` runs in the repo), so npx never offers to download one.
  let cli: string[];
  try {
    cli = [process.execPath, require.resolve('aws-cdk/bin/cdk')];
  } catch {
    cli = ['npx', 'cdk'];
  }
  const result = spawnSync(
    cli[0],
    [...cli.slice(1), 'synth', '--quiet', '--output', outputDir, ...context.flatMap((kv) => ['-c', kv])],
    {
      env,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  if (result.status !== 0) {
    throw new Error(
      `cdk synth failed (exit ${result.status ?? result.signal}):\n${result.stdout ?? ''}${result.stderr ?? ''}`,
    );
  }
  return outputDir;
}

async function main(): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(
      `review: ${(e as Error).message}\nusage: npm run review -- [--out <dir>] [--baseline <dir>] [--assembly <dir> | -c config=<file>]\n`,
    );
    return EXIT_USAGE;
  }
  try {
    preflight(args);
  } catch (e) {
    process.stderr.write(`review: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
  try {
    const assemblyDir = args.assembly ?? synth('cdk.out', args.context);
    const result = await writeReview({ assemblyDir, outDir: args.out, baselineDir: args.baseline });
    process.stdout.write(`review: wrote ${result.files.join(', ')}\n`);
    if (result.diff) {
      for (const reason of result.diff.reasons) process.stdout.write(`  ${reason}\n`);
      for (const note of result.diff.notes) process.stdout.write(`  (no review needed) ${note}\n`);
      if (result.exitCode === EXIT_NEEDS_REVIEW)
        process.stdout.write(`${needsReviewMessage(result.diff, args.baseline!)}\n`);
      else
        process.stdout.write(
          `review: compared with ${args.baseline}: no access widened, no control removed${result.diff.notes.length ? ` (${result.diff.notes.length} changes follow the baseline's patterns, listed above)` : ''}\n`,
        );
    }
    return result.exitCode;
  } catch (e) {
    process.stderr.write(`review: ${(e as Error).message}\n`);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
