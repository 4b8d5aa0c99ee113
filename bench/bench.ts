/**
 * `npm run bench [-- --quick] [-- --run-tests]`: the inner loop against its targets, then the scale benchmark.
 *
 * 1. Synth ratio: `cdk synth` of the reference app against the same CLI's synth of a one-queue app
 *    (bench/one-queue-app.ts), same runner, same cdk.json; target at most 2×. Full mode: one warm-up round,
 *    then 3 rounds, each one-queue then reference back to back; quick mode: 1 round, no warm-up.
 * 2. Test-suite time: the last full `npm test` run's time, which `npm test` records (jest --json
 *    --outputFile, see bench/inner-loop.ts); target at most 60 s on a 2-core machine. Without a recording
 *    it says so; `--run-tests` runs `npm test` first.
 * 3. Scale: 1, 10, 100 and 300 generated workloads (quick mode: 1 and 100) against the platform's stack budget,
 *    CloudFormation's limits and the service quotas a synth does not show.
 *
 * A benchmark, not a test: timings go next to their targets, and a missed target is printed, not failed
 * (timings on a shared machine are noise; the ratio, taken in one run, is the steadier number). It exits
 * non-zero when a synth fails, when `--run-tests` fails, or when a stack exceeds the budget, a limit or a quota.
 */
import { spawnSync } from 'child_process';
import * as os from 'os';
import { ConfigValidationError } from '../lib/config/validate-config';
import {
  lastTestSuiteTime,
  measureSynthRatio,
  median,
  NoTestTiming,
  SYNTH_RATIO_TARGET,
  TEST_SECONDS_TARGET,
} from './inner-loop';
import { scaleBench } from './synth-bench';

const USAGE = 'usage: npm run bench [-- --quick] [-- --run-tests]';

function main(argv: string[]): number {
  const unknown = argv.filter((a) => !['--quick', '--run-tests'].includes(a));
  if (unknown.length > 0) {
    console.error(`unknown argument '${unknown[0]}'\n${USAGE}`);
    return 2;
  }
  const quick = argv.includes('--quick');
  if (argv.includes('--run-tests')) {
    const tests = spawnSync('npm', ['test'], { stdio: 'inherit' });
    if (tests.status !== 0) {
      console.error(`npm test failed (exit ${tests.status ?? tests.signal})`);
      return 1;
    }
  }

  const load = (): string => os.loadavg()[0].toFixed(1);
  console.log(
    `Inner loop (issue #12 targets), ${quick ? 'quick mode' : 'full mode'}, on ${os.cpus().length} cores, ` +
      `load average ${load()} at start. Timings on a busy machine are noisy: the ratio, taken back to back, is steadier.\n`,
  );
  const rounds = quick ? 1 : 3;
  const synth = measureSynthRatio(rounds, quick ? 0 : 1);
  const ratio = median(synth.ratios);
  console.log(`  cdk synth, app: ${synth.appCommand}`);
  console.log(`    reference app (bin/zero-trust-ai.ts):  ${seconds(synth.reference)}`);
  console.log(`    one-queue app (bench/one-queue-app.ts): ${seconds(synth.oneQueue)}`);
  console.log(
    `    ratio ${ratio.toFixed(2)}× (${rounds > 1 ? `median of ${synth.ratios.map((r) => r.toFixed(2)).join(', ')}` : 'one round'})` +
      `   target ≤ ${SYNTH_RATIO_TARGET}×   ${ratio <= SYNTH_RATIO_TARGET ? 'met' : 'NOT MET'}`,
  );
  if (synth.cpuRatios) {
    console.log(
      `    in CPU seconds (steadier on a busy machine): ratio ${median(synth.cpuRatios).toFixed(2)}×` +
        (rounds > 1 ? ` (median of ${synth.cpuRatios.map((r) => r.toFixed(2)).join(', ')})` : ''),
    );
  }

  try {
    const t = lastTestSuiteTime();
    const ago = Math.round((Date.now() - t.recordedAt.getTime()) / 60000);
    console.log(
      `  npm test: ${t.seconds.toFixed(1)} s   target ≤ ${TEST_SECONDS_TARGET} s on 2 cores   ` +
        `${t.seconds <= TEST_SECONDS_TARGET ? 'met' : 'NOT MET'}`,
    );
    console.log(
      `    last full run, ${ago} min ago: ${t.suites} suites, ${t.tests} tests (${t.skipped} skipped), ` +
        `${t.success ? 'passed' : 'FAILED'}; slowest suites: ${t.slowest.map(([s, f]) => `${f} ${s.toFixed(1)} s`).join(', ')}`,
    );
  } catch (e) {
    if (!(e instanceof NoTestTiming)) throw e;
    console.log(`  npm test: no timing, ${e.message}   target ≤ ${TEST_SECONDS_TARGET} s on 2 cores`);
  }
  console.log(`  load average ${load()} at the end of the inner-loop measurements\n`);

  // Quick mode keeps 100 workloads: past the first shard of every sharded part (API, monitoring, images).
  return scaleBench(quick ? [1, 100] : [1, 10, 100, 300], !quick) ? 0 : 1;
}

function seconds(values: number[]): string {
  const m = median(values).toFixed(1);
  return values.length > 1 ? `${m} s (median of ${values.map((v) => v.toFixed(1)).join(', ')})` : `${m} s`;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  // A benchmark that cannot synthesize has nothing to measure: say why in one message, without a stack trace.
  console.error(e instanceof ConfigValidationError ? e.message : `Synth failed: ${(e as Error).message}`);
  process.exitCode = 1;
}
