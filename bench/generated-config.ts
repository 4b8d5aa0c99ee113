/**
 * A generated platform configuration of N workloads, a third of each kind, for the scale benchmark
 * (bench/synth-bench.ts) and the scale tests (test/lib/scale*.test.ts). As a script it writes the
 * config to a file that `npx cdk synth -c config=<file>` reads:
 *
 * ```sh
 * npx ts-node --transpile-only bench/generated-config.ts 300 /tmp/ztai-300.json
 * npx cdk synth -c config=/tmp/ztai-300.json --quiet
 * ```
 */
import * as fs from 'fs';
import * as path from 'path';
import type { WorkloadConfig } from '../lib/config/platform-config';
import { PLACEHOLDER_IMAGE_DIGEST } from '../lib/config/reference-workloads';

const REALTIME_TYPES = ['ml.g5.xlarge', 'ml.g6.2xlarge', 'ml.inf2.xlarge'];
const BATCH_TYPES = ['g5.2xlarge', 'g6e.12xlarge', 'p4d.24xlarge', 'trn1.32xlarge'];

/**
 * `count` workloads, a third of each kind, in the order model, batch job, agent: `model-001`,
 * `train-002`, `agent-003`, … Each agent invokes the model just before it (so the first workload is
 * always a model, and every model has one declared caller).
 */
export function generateWorkloads(count: number): WorkloadConfig[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`count must be a whole number of workloads, at least 1, got ${count}`);
  }
  const workloads: WorkloadConfig[] = [];
  let lastModel = '';
  for (let i = 0; i < count; i++) {
    const n = String(i + 1).padStart(3, '0');
    if (i % 3 === 0) {
      lastModel = `model-${n}`;
      workloads.push({
        name: lastModel,
        kind: 'realtime-inference',
        instanceType: REALTIME_TYPES[(i / 3) % REALTIME_TYPES.length],
        compute: { imageDigest: PLACEHOLDER_IMAGE_DIGEST, model: { name: 'model', version: '1' } },
      });
    } else if (i % 3 === 1) {
      workloads.push({
        name: `train-${n}`,
        kind: 'batch',
        instanceType: BATCH_TYPES[Math.floor(i / 3) % BATCH_TYPES.length],
      });
    } else {
      workloads.push({ name: `agent-${n}`, kind: 'agent', invokes: [lastModel] });
    }
  }
  return workloads;
}

/**
 * The raw configuration (as a config file would hold it, before validation) of `count` generated
 * workloads; `extra` adds or replaces top-level fields (`platformName`, `api`, `profile`…).
 */
export function generatedConfig(count: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { workloads: generateWorkloads(count), ...extra };
}

if (require.main === module) {
  const [countArg, file] = process.argv.slice(2);
  if (!countArg || !file || !/^\d+$/.test(countArg) || !/\.(json|ya?ml)$/.test(file)) {
    console.error('usage: ts-node bench/generated-config.ts <count> <file.json>');
    process.exit(2);
  }
  fs.writeFileSync(path.resolve(file), `${JSON.stringify(generatedConfig(Number(countArg)), null, 2)}\n`);
  console.log(`${file}: ${countArg} generated workloads`);
}
