/**
 * The scale benchmark: the reference platform with 1, 10, 100 and 300 generated workloads
 * (bench/generated-config.ts), each built
 * the way `npx cdk synth` builds it (the config validator, `buildPlatform`, every validation
 * plugin, the feature flags of cdk.json) in a fresh App writing to a temporary directory.
 *
 * Prints, for each size: build and synth time, the marginal time per workload (target at most 50 ms),
 * the stack count, the largest stack's resource count and template size against the platform's budget
 * (400 resources, 800 KB) and CloudFormation's limits (500 resources, 1 MB template), and the headroom
 * of the quotas a synth does not show (security-group rules, bucket-policy size, stack outputs, API
 * resources, dashboard widgets; SageMaker's, which vary by account, as what the platform needs). Run by
 * bench/bench.ts (`npm run bench`); a stack over a limit or the budget, or a quota exceeded, makes it fail.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { App } from 'aws-cdk-lib';
import { PlatformConfig } from '../lib/config/platform-config';
import { QUOTAS, quotaNotes } from '../lib/config/quotas';
import { validatePlatformConfig } from '../lib/config/validate-config';
import { buildPlatform } from '../lib/platform-app';
import { registerValidations } from '../lib/validation/register-validations';
import { generatedConfig } from './generated-config';

/** CloudFormation: resources in one stack. */
const MAX_RESOURCES = QUOTAS.stackResources.value;
/** CloudFormation: template body uploaded through S3 (what `cdk deploy` does for large templates). */
const MAX_TEMPLATE_BYTES = 1024 * 1024;
/** CloudFormation: outputs in one stack (the platform stack's exports live here). */
const MAX_OUTPUTS = QUOTAS.stackOutputs.value;
/** The platform's own budget for every stack (issue #13): headroom under CloudFormation's limits. */
const BUDGET_RESOURCES = 400;
const BUDGET_TEMPLATE_BYTES = 800 * 1024;
/** EC2 default quota: inbound rules per security group. */
const SG_INBOUND_RULES_QUOTA = QUOTAS.securityGroupInboundRules.value;
/** S3: a bucket policy holds at most 20 KB (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html). */
const BUCKET_POLICY_BYTES = 20 * 1024;
/** CloudWatch: widgets a dashboard (constructs/audit/operational-monitoring.ts MAX_DASHBOARD_WIDGETS). */
const DASHBOARD_WIDGETS = 500;
/** The marginal synth time a workload adds (issue #13). */
const MARGINAL_MS_TARGET = 50;

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
  /** The largest bucket policy, bytes of JSON. */
  readonly maxBucketPolicyBytes: number;
  /** Most resources (API Gateway resources, the root included) of one REST API. */
  readonly maxApiResources: number;
  /** Most widgets on one dashboard. */
  readonly maxDashboardWidgets: number;
  readonly violations: number;
  /** Validation plugins that wrote a report (a plugin with nothing to say may write none). */
  readonly pluginReports: number;
}

/** The context and version reporting `cdk synth` would give the app, from cdk.json. */
function cdkJson(): { context: Record<string, unknown>; analyticsReporting: boolean } {
  const json = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));
  return { context: json.context ?? {}, analyticsReporting: json.versionReporting ?? true };
}

function measure(count: number): Measurement {
  // Through the validator, as a config file would go: the generated config must be a valid one.
  const config = validatePlatformConfig(generatedConfig(count), `generated (${count} workloads)`, {
    referenceWorkloads: false,
  });
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
    const apiResources = new Map<string, number>();
    let maxBucketPolicyBytes = 0;
    let maxDashboardWidgets = 0;
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
        if (r.Type === 'AWS::EC2::SecurityGroupIngress') {
          const group = JSON.stringify(r.Properties?.GroupId);
          ingressRules.set(group, (ingressRules.get(group) ?? 0) + 1);
        } else if (r.Type === 'AWS::EC2::SecurityGroup') {
          const inline = (r.Properties?.SecurityGroupIngress as unknown[] | undefined)?.length ?? 0;
          if (inline > 0) ingressRules.set(`${stack.stackName}/${JSON.stringify(r.Properties)}`, inline);
        } else if (r.Type === 'AWS::S3::BucketPolicy') {
          maxBucketPolicyBytes = Math.max(maxBucketPolicyBytes, JSON.stringify(r.Properties?.PolicyDocument).length);
        } else if (r.Type === 'AWS::ApiGateway::Resource') {
          const api = `${stack.stackName}/${JSON.stringify(r.Properties?.RestApiId)}`;
          apiResources.set(api, (apiResources.get(api) ?? 0) + 1);
        } else if (r.Type === 'AWS::CloudWatch::Dashboard') {
          maxDashboardWidgets = Math.max(maxDashboardWidgets, dashboardWidgets(r.Properties?.DashboardBody));
        }
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
      maxBucketPolicyBytes,
      // The root resource is not in the template: one more.
      maxApiResources: apiResources.size > 0 ? 1 + Math.max(...apiResources.values()) : 0,
      maxDashboardWidgets,
      violations: report.pluginReports.reduce((sum, p) => sum + p.violations.length, 0),
      pluginReports: report.pluginReports.length,
    };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** The widgets of a rendered dashboard body (a string, or an `Fn::Join` whose tokens sit inside JSON strings). */
function dashboardWidgets(body: unknown): number {
  const text =
    typeof body === 'string'
      ? body
      : ((body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] ?? [])
          .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
          .join('');
  return (JSON.parse(text) as { widgets?: unknown[] }).widgets?.length ?? 0;
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

  const total = (m: Measurement): number => m.buildSeconds + m.synthSeconds;
  if (results.length > 1) {
    console.log(`Marginal time per workload (build + synth + validate), target ≤ ${MARGINAL_MS_TARGET} ms:`);
    for (let i = 1; i < results.length; i++) {
      const [a, b] = [results[i - 1], results[i]];
      const ms = ((total(b) - total(a)) * 1000) / (b.workloads - a.workloads);
      console.log(
        `  ${a.workloads} → ${b.workloads} workloads: ${ms.toFixed(0)} ms   ${ms <= MARGINAL_MS_TARGET ? 'met' : 'NOT MET'}`,
      );
    }
    console.log('');
  }

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
  console.log('\nQuota headroom (used of the quota; lib/config/quotas.ts):');
  const quotaRows = results.map((m) => {
    const outputs = Math.max(...m.stacks.map((s) => s.outputs));
    return [
      String(m.workloads),
      `${m.maxIngressRules} of ${SG_INBOUND_RULES_QUOTA}`,
      `${kb(m.maxBucketPolicyBytes)} of ${kb(BUCKET_POLICY_BYTES)} KB`,
      `${outputs} of ${MAX_OUTPUTS}`,
      `${m.maxApiResources} of ${QUOTAS.apiGatewayResourcesPerApi.value}`,
      `${m.maxDashboardWidgets} of ${DASHBOARD_WIDGETS}`,
      String(m.config.workloads.filter((w) => w.kind === 'realtime-inference').length),
    ];
  });
  console.log(
    table([
      [
        'workloads',
        'SG inbound rules (one group)',
        'bucket policy',
        'stack outputs',
        'API resources (one API)',
        'dashboard widgets',
        'SageMaker endpoints needed',
      ],
      ...quotaRows,
    ]),
  );
  const last = results[results.length - 1];
  for (const note of quotaNotes(last.config)) console.log(`  ${last.workloads} workloads: ${note}`);
  console.log('\nAddress space (default network):');
  for (const m of results) console.log(`  ${addressSpace(m)}`);

  const over = results.flatMap((m) => [
    ...m.stacks
      .filter((s) => s.resources > BUDGET_RESOURCES || s.bytes > BUDGET_TEMPLATE_BYTES || s.outputs > MAX_OUTPUTS)
      .map(
        (s) =>
          `${m.workloads} workloads: ${s.stack} has ${s.resources} resources, ${kb(s.bytes)} KB, ${s.outputs} outputs`,
      ),
    ...(m.maxIngressRules > SG_INBOUND_RULES_QUOTA
      ? [`${m.workloads} workloads: ${m.maxIngressRules} inbound rules on one security group`]
      : []),
    ...(m.maxBucketPolicyBytes > BUCKET_POLICY_BYTES
      ? [`${m.workloads} workloads: a bucket policy of ${kb(m.maxBucketPolicyBytes)} KB`]
      : []),
    ...(m.maxApiResources > QUOTAS.apiGatewayResourcesPerApi.value
      ? [`${m.workloads} workloads: an API of ${m.maxApiResources} resources`]
      : []),
    ...(m.maxDashboardWidgets > DASHBOARD_WIDGETS
      ? [`${m.workloads} workloads: a dashboard of ${m.maxDashboardWidgets} widgets`]
      : []),
    ...(m.violations > 0 ? [`${m.workloads} workloads: ${m.violations} open findings`] : []),
  ]);
  if (over.length > 0) {
    console.error(
      `\nOver the budget (${BUDGET_RESOURCES} resources, ${kb(BUDGET_TEMPLATE_BYTES)} KB, ${MAX_OUTPUTS} outputs a stack), a quota, or with findings:`,
    );
    for (const o of over) console.error(`  ${o}`);
    return false;
  }
  console.log(
    `\nEvery stack is within the budget (${BUDGET_RESOURCES} resources, ${kb(BUDGET_TEMPLATE_BYTES)} KB) and every quota above, with no open finding.`,
  );
  return true;
}
