/**
 * The scale benchmark: the reference platform with 1, 10 and 50 generated workloads, each built
 * the way `npx cdk synth` builds it (the config validator, `buildPlatform`, every validation
 * plugin, the feature flags of cdk.json) in a fresh App writing to a temporary directory.
 *
 * Prints, for each size: build and synth time, the stack count, the largest stack's resource count
 * and template size against CloudFormation's limits (500 resources, 1 MB template), and the shared
 * quotas that grow with the number of workloads. Run by bench/bench.ts (`npm run bench`); a stack
 * over a CloudFormation limit makes it fail.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App } from 'aws-cdk-lib';
import { PlatformConfig, WorkloadConfig } from '../lib/config/platform-config';
import { validatePlatformConfig } from '../lib/config/validate-config';
import { buildPlatform } from '../lib/platform-app';
import { registerValidations } from '../lib/validation/register-validations';
import { PLACEHOLDER_IMAGE_DIGEST } from '../lib/workloads/compute';

/** CloudFormation: resources in one stack. */
const MAX_RESOURCES = 500;
/** CloudFormation: template body uploaded through S3 (what `cdk deploy` does for large templates). */
const MAX_TEMPLATE_BYTES = 1024 * 1024;
/** CloudFormation: outputs in one stack (the platform stack's exports live here). */
const MAX_OUTPUTS = 200;
/** EC2 default quota: inbound rules per security group (every workload adds one to the endpoints group). */
const SG_INBOUND_RULES_QUOTA = 60;

const REALTIME_TYPES = ['ml.g5.xlarge', 'ml.g6.2xlarge', 'ml.inf2.xlarge'];
const BATCH_TYPES = ['g5.2xlarge', 'g6e.12xlarge', 'p4d.24xlarge', 'trn1.32xlarge'];

interface StackSize {
  readonly stack: string;
  readonly resources: number;
  readonly bytes: number;
  readonly outputs: number;
}

interface Measurement {
  readonly workloads: number;
  readonly config: PlatformConfig;
  readonly buildSeconds: number;
  readonly synthSeconds: number;
  readonly stacks: StackSize[];
  /** Most inbound rules any one security group receives across all stacks. */
  readonly maxIngressRules: number;
  readonly violations: number;
  /** Validation plugins that wrote a report (a plugin with nothing to say may write none). */
  readonly pluginReports: number;
}

/**
 * `count` workloads, a third of each kind, in the order model, batch job, agent; each agent
 * invokes the most recent model (so the first workload is always a model).
 */
function generateWorkloads(count: number): WorkloadConfig[] {
  const workloads: WorkloadConfig[] = [];
  let lastModel = '';
  for (let i = 0; i < count; i++) {
    const n = String(i + 1).padStart(2, '0');
    if (i % 3 === 0) {
      lastModel = `model-${n}`;
      const instanceType = REALTIME_TYPES[(i / 3) % REALTIME_TYPES.length];
      workloads.push({
        name: lastModel,
        kind: 'realtime-inference',
        instanceType,
        compute: { imageDigest: PLACEHOLDER_IMAGE_DIGEST, model: { name: 'model', version: '1' } },
      });
    } else if (i % 3 === 1) {
      const instanceType = BATCH_TYPES[Math.floor(i / 3) % BATCH_TYPES.length];
      workloads.push({ name: `train-${n}`, kind: 'batch', instanceType });
    } else {
      workloads.push({ name: `agent-${n}`, kind: 'agent', invokes: [lastModel] });
    }
  }
  return workloads;
}

/** The context and version reporting `cdk synth` would give the app, from cdk.json. */
function cdkJson(): { context: Record<string, unknown>; analyticsReporting: boolean } {
  const json = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  return { context: json.context ?? {}, analyticsReporting: json.versionReporting ?? true };
}

function measure(count: number): Measurement {
  // Through the validator, as a config file would go: the generated config must be a valid one.
  const config = validatePlatformConfig({ workloads: generateWorkloads(count) }, `generated (${count} workloads)`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `ztai-bench-${count}-`));
  try {
    const t0 = performance.now();
    const app = new App({ outdir, ...cdkJson() });
    buildPlatform(app, config);
    registerValidations(app);
    const t1 = performance.now();
    const assembly = app.synth();
    const t2 = performance.now();

    const stacks: StackSize[] = [];
    const ingressRules = new Map<string, number>();
    for (const stack of assembly.stacks) {
      const template = stack.template as {
        Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
        Outputs?: Record<string, unknown>;
      };
      const resources = Object.values(template.Resources ?? {});
      stacks.push({
        stack: stack.stackName,
        resources: resources.length,
        bytes: fs.statSync(path.join(outdir, stack.templateFile)).size,
        outputs: Object.keys(template.Outputs ?? {}).length,
      });
      for (const r of resources) {
        if (r.Type !== 'AWS::EC2::SecurityGroupIngress') continue;
        const group = JSON.stringify(r.Properties?.GroupId);
        ingressRules.set(group, (ingressRules.get(group) ?? 0) + 1);
      }
    }
    const reportFile = path.join(outdir, 'validation-report.json');
    const report = fs.existsSync(reportFile)
      ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as { pluginReports: { violations: unknown[] }[] })
      : { pluginReports: [] };
    return {
      workloads: count,
      config,
      buildSeconds: (t1 - t0) / 1000,
      synthSeconds: (t2 - t1) / 1000,
      stacks,
      maxIngressRules: Math.max(0, ...ingressRules.values()),
      violations: report.pluginReports.reduce((sum, p) => sum + p.violations.length, 0),
      pluginReports: report.pluginReports.length,
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The stack with more resources, or with the larger template when they have as many. */
const larger = (a: StackSize, b: StackSize): StackSize =>
  b.resources > a.resources || (b.resources === a.resources && b.bytes > a.bytes) ? b : a;
const kb = (bytes: number): string => (bytes / 1024).toFixed(1);
const pct = (used: number, limit: number): string => `${(100 - (100 * used) / limit).toFixed(1)}%`;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]): string =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** How the GPU tier's addresses spread over the GPU workloads (the VPC does not grow with workloads). */
function addressSpace(m: Measurement): string {
  const { network, workloads } = m.config;
  const usable = network.maxAzs * (2 ** (32 - network.gpuTierCidrMask) - 5);
  const gpuWorkloads = workloads.filter((w) => w.kind !== 'agent').length;
  return (
    `${m.workloads} workloads: VPC ${network.cidr}, ${network.maxAzs} zones; the tiers fit (validated); ` +
    `GPU tier ${network.maxAzs} × /${network.gpuTierCidrMask} = ${usable} usable addresses for ${gpuWorkloads} GPU workloads ` +
    `(~${Math.floor(usable / Math.max(1, gpuWorkloads))} each)`
  );
}

/**
 * Synthesize the reference platform with each number of generated workloads and print the table; with
 * `cold`, first one untimed synth that loads and compiles the rule packs (what one `cdk synth` pays).
 * Returns false when a stack exceeds a CloudFormation limit; throws when a synth fails.
 */
export function scaleBench(sizes: number[], cold: boolean): boolean {
  console.log(`Synthesizing the reference platform with ${sizes.join(', ')} generated workloads (validators on)...\n`);
  if (cold) {
    const first = measure(1);
    console.log(
      `  cold start (first synth in the process, 1 workload, not in the table): ${(first.buildSeconds + first.synthSeconds).toFixed(1)} s`,
    );
  } else {
    console.log('  (no cold-start synth first: the first row includes loading and compiling the rule packs)');
  }
  const results = sizes.map((count) => {
    const m = measure(count);
    console.log(`  ${count} workloads: ${(m.buildSeconds + m.synthSeconds).toFixed(1)} s`);
    return m;
  });

  const header = [
    'workloads',
    'build s',
    'synth+validate s',
    'total s',
    'stacks',
    'violations (reports)',
    'max resources (stack)',
    `headroom of ${MAX_RESOURCES}`,
    'max template KB (stack)',
    `headroom of ${kb(MAX_TEMPLATE_BYTES)} KB`,
  ];
  const rows = results.map((m) => {
    const byResources = m.stacks.reduce(larger);
    const bySize = m.stacks.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    return [
      String(m.workloads),
      m.buildSeconds.toFixed(1),
      m.synthSeconds.toFixed(1),
      (m.buildSeconds + m.synthSeconds).toFixed(1),
      String(m.stacks.length),
      `${m.violations} (${m.pluginReports})`,
      `${byResources.resources} (${byResources.stack})`,
      `${MAX_RESOURCES - byResources.resources} (${pct(byResources.resources, MAX_RESOURCES)})`,
      `${kb(bySize.bytes)} (${bySize.stack})`,
      `${kb(MAX_TEMPLATE_BYTES - bySize.bytes)} (${pct(bySize.bytes, MAX_TEMPLATE_BYTES)})`,
    ];
  });
  console.log(`\n${table([header, ...rows])}\n`);

  console.log('Platform stack and largest workload stack:');
  for (const m of results) {
    const platformStack = `${m.config.platformName}-platform`;
    const platform = m.stacks.find((s) => s.stack === platformStack)!;
    const largest = m.stacks.filter((s) => s.stack !== platformStack).reduce(larger);
    console.log(
      `  ${m.workloads} workloads: ${platform.stack} ${platform.resources} resources, ${kb(platform.bytes)} KB; ` +
        `${largest.stack} ${largest.resources} resources, ${kb(largest.bytes)} KB`,
    );
  }
  console.log('\nShared quotas that grow with the number of workloads:');
  for (const m of results) {
    const outputs = Math.max(...m.stacks.map((s) => s.outputs));
    console.log(
      `  ${m.workloads} workloads: most stack outputs ${outputs} of ${MAX_OUTPUTS}; ` +
        `most inbound rules on one security group ${m.maxIngressRules} of ${SG_INBOUND_RULES_QUOTA} (EC2 default quota, adjustable)`,
    );
  }
  console.log('\nAddress space (default network):');
  for (const m of results) console.log(`  ${addressSpace(m)}`);

  const over = results.flatMap((m) =>
    m.stacks
      .filter((s) => s.resources > MAX_RESOURCES || s.bytes > MAX_TEMPLATE_BYTES || s.outputs > MAX_OUTPUTS)
      .map(
        (s) =>
          `${m.workloads} workloads: ${s.stack} has ${s.resources} resources, ${kb(s.bytes)} KB, ${s.outputs} outputs`,
      ),
  );
  if (over.length > 0) {
    console.error(`\nOver a CloudFormation limit (${MAX_RESOURCES} resources, 1 MB, ${MAX_OUTPUTS} outputs):`);
    for (const o of over) console.error(`  ${o}`);
    return false;
  }
  console.log(`\nEvery stack is within CloudFormation's limits (${MAX_RESOURCES} resources, 1 MB template).`);
  return true;
}
