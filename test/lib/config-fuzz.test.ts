import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import * as YAML from 'yaml';
import { loadPlatformConfig } from '../../lib/config/load-config';
import {
  LONGEST_REGION,
  maxWorkloadNameLength,
  namingProblems,
  platformGeneratedNames,
  workloadGeneratedNames,
} from '../../lib/config/naming-rules';
import { ConfigValidationError } from '../../lib/config/validate-config';
import { buildPlatform } from '../../lib/platform-app';
import { CDK_CONTEXT } from '../helpers/stacks';

/*
 * A fuzz of malformed config files, as a user writes them (YAML or JSON on disk, through
 * loadPlatformConfig): wrong types, names at and past every limit the platform's generated names
 * impose, S3's and KMS's reserved forms, bad references, numbers JSON cannot hold, YAML's edge cases.
 * Each must fail with a ConfigValidationError whose problems name the user's field (a field path,
 * first thing on the line), never with a stack trace and never quoting a name the platform builds.
 */

type Raw = Record<string, unknown>;

const DIGEST = `sha256:${'0'.repeat(64)}`;
const realtime = (name: string, extra: Raw = {}): Raw => ({
  name,
  kind: 'realtime-inference',
  instanceType: 'ml.g5.xlarge',
  compute: { imageDigest: DIGEST, model: { name: 'fraud-model', version: '1' } },
  ...extra,
});
const batch = (name: string, extra: Raw = {}): Raw => ({ name, kind: 'batch', instanceType: 'g5.2xlarge', ...extra });
const agent = (name: string, invokes: string[] = []): Raw => ({ name, kind: 'agent', invokes });

/** A valid file: one workload of each kind. */
const valid = (): Raw => ({
  platformName: 'acme',
  workloads: [realtime('scorer'), batch('tuner'), agent('helper', ['scorer'])],
});
const withTop = (fields: Raw): Raw => ({ ...valid(), ...fields });
const withWorkload = (i: number, fields: Raw): Raw => {
  const c = valid();
  const ws = c.workloads as Raw[];
  ws[i] = { ...ws[i], ...fields };
  return c;
};
const withWorkloads = (...workloads: Raw[]): Raw => ({ ...valid(), workloads });

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-config-fuzz-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function write(text: string, ext: '.yaml' | '.json'): string {
  const file = path.join(tmp, `case-${n++}${ext}`);
  fs.writeFileSync(file, text);
  return file;
}

/** The problems of loading a file (the test fails when it loads, or fails with anything but a ConfigValidationError). */
function problemsOf(file: string): string[] {
  try {
    loadPlatformConfig(file);
  } catch (e) {
    if (e instanceof ConfigValidationError) return e.problems;
    throw new Error(`not a ConfigValidationError: ${(e as Error).stack}`);
  }
  throw new Error(`${file} was accepted:\n${fs.readFileSync(file, 'utf8')}`);
}

/** A name the platform builds (stack, role, bucket, repository, endpoint, monitoring entry), quoted. */
const GENERATED = /'[a-z0-9-]+(-workload-|-platform|-endpoint|-people|-model-|-audit|-data-|-models-)[^']*'/;

function expectRefused(problems: string[], field: string, matching?: RegExp): void {
  const named = problems.filter((p) => p.startsWith(`${field}: `) || p === field);
  expect({ problems, named: named.length > 0 }).toEqual({ problems, named: true });
  for (const p of problems) {
    expect(p).not.toMatch(/\n|\s+at .+\(.+:\d+:\d+\)|Error:/);
    expect(p).not.toMatch(GENERATED);
    // Every problem starts with a field path (or is about the whole file).
    expect(p).toMatch(/^([A-Za-z][\w]*(\[\d+\]|\.[^\s:]+)*: |the configuration |cannot parse )/);
  }
  if (matching) expect(named.join('\n')).toMatch(matching);
}

interface Case {
  readonly title: string;
  readonly field: string;
  /** The config, written as YAML and as JSON. */
  readonly config?: Raw;
  /** The YAML text as written (YAML-only cases). */
  readonly yaml?: string;
  readonly matching?: RegExp;
}

const P20 = 'p'.repeat(20);
const CASES: Case[] = [
  // Types
  { title: 'platformName a number', field: 'platformName', config: withTop({ platformName: 42 }) },
  { title: 'platformName a list', field: 'platformName', config: withTop({ platformName: ['a'] }) },
  { title: 'profile unknown', field: 'profile', config: withTop({ profile: 'prod' }) },
  { title: 'workloads an object', field: 'workloads', config: withTop({ workloads: { name: 'a' } }) },
  { title: 'workloads empty', field: 'workloads', config: withTop({ workloads: [] }) },
  { title: 'workload a string', field: 'workloads[0]', config: withTop({ workloads: ['scorer'] }) },
  { title: 'kind unknown', field: 'workloads[1].kind', config: withWorkload(1, { kind: 'training' }) },
  { title: 'invokes a string', field: 'workloads[2].invokes', config: withWorkload(2, { invokes: 'scorer' }) },
  { title: 'invokes item a number', field: 'workloads[2].invokes[0]', config: withWorkload(2, { invokes: [1] }) },
  { title: 'network a list', field: 'network', config: withTop({ network: [] }) },
  { title: 'maxAzs a string', field: 'network.maxAzs', config: withTop({ network: { maxAzs: '3' } }) },
  { title: 'maxAzs a fraction', field: 'network.maxAzs', config: withTop({ network: { maxAzs: 2.5 } }) },
  {
    title: 'openInternetEgress a string',
    field: 'network.openInternetEgress',
    config: withTop({ network: { openInternetEgress: 'true' } }),
  },
  { title: 'unknown top-level field', field: 'platfromName', config: withTop({ platfromName: 'x' }) },
  {
    title: 'allowCpuInstanceType in a workload',
    field: 'workloads[1].allowCpuInstanceType',
    config: withWorkload(1, { allowCpuInstanceType: true }),
  },
  {
    title: 'CPU instance type',
    field: 'workloads[1].instanceType',
    config: withWorkload(1, { instanceType: 'm5.large' }),
    matching: /not a GPU instance type/,
  },
  {
    title: 'logRetentionDays not a CloudWatch value',
    field: 'logRetentionDays',
    config: withTop({ logRetentionDays: 10 }),
  },
  { title: 'env.account a number', field: 'env.account', config: withTop({ env: { account: 123456789012 } }) },
  { title: 'env.region malformed', field: 'env.region', config: withTop({ env: { region: 'Europe' } }) },
  {
    title: 'model version a number',
    field: 'workloads[0].compute.model.version',
    config: withWorkload(0, { compute: { imageDigest: DIGEST, model: { name: 'm', version: 1 } } }),
  },
  {
    title: 'imageDigest a tag',
    field: 'workloads[0].compute.imageDigest',
    config: withWorkload(0, { compute: { imageDigest: 'latest', model: { name: 'm', version: '1' } } }),
  },
  {
    title: 'no workloads in a file',
    field: 'workloads',
    config: { platformName: 'acme' },
    matching: /must list its workloads/,
  },
  {
    title: 'no workloads, api naming a demo workload',
    field: 'workloads',
    config: { api: { expose: ['fraud-scoring'] } },
  },

  // platformName: pattern, length, reserved forms
  { title: 'platformName too long (21)', field: 'platformName', config: withTop({ platformName: 'p'.repeat(21) }) },
  { title: 'platformName one character', field: 'platformName', config: withTop({ platformName: 'p' }) },
  { title: 'platformName upper case', field: 'platformName', config: withTop({ platformName: 'Acme' }) },
  { title: 'platformName starts with a digit', field: 'platformName', config: withTop({ platformName: '1acme' }) },
  {
    title: 'platformName xn-- (S3)',
    field: 'platformName',
    config: withTop({ platformName: 'xn--acme' }),
    matching: /xn--/,
  },
  {
    title: 'platformName sthree- (S3)',
    field: 'platformName',
    config: withTop({ platformName: 'sthree-acme' }),
    matching: /sthree-/,
  },
  {
    title: 'platformName sthree-configurator (S3)',
    field: 'platformName',
    config: withTop({ platformName: 'sthree-configurator' }),
    matching: /sthree-/,
  },
  {
    title: 'platformName amzn-s3-demo- (S3)',
    field: 'platformName',
    config: withTop({ platformName: 'amzn-s3-demo-acme' }),
    matching: /amzn-s3-demo-/,
  },
  {
    title: "platformName 'aws' (KMS alias/aws/)",
    field: 'platformName',
    config: withTop({ platformName: 'aws' }),
    matching: /alias\/aws\//,
  },
  {
    title: "platformName with '--' (ECR, CloudTrail)",
    field: 'platformName',
    config: withTop({ platformName: 'ac--me' }),
    matching: /'--'/,
  },
  { title: "platformName ending in '-'", field: 'platformName', config: withTop({ platformName: 'acme-' }) },
  {
    title: "platformName with '--', agents only (CloudTrail)",
    field: 'platformName',
    config: { platformName: 'ac--me', workloads: [agent('helper')] },
    matching: /CloudTrail/,
  },

  // Workload names at and past every limit
  {
    title: 'workload name 33 characters (pattern)',
    field: 'workloads[1].name',
    config: withWorkload(1, { name: 'b'.repeat(33) }),
  },
  { title: 'workload name one character', field: 'workloads[1].name', config: withWorkload(1, { name: 'b' }) },
  { title: 'workload name upper case', field: 'workloads[1].name', config: withWorkload(1, { name: 'Tuner' }) },
  {
    title: 'workload name with an underscore',
    field: 'workloads[1].name',
    config: withWorkload(1, { name: 'tu_ner' }),
  },
  ...[26, 27, 29, 32].map((len) => ({
    title: `realtime workload name ${len} characters (people monitoring)`,
    field: 'workloads[0].name',
    config: { platformName: 'acme', workloads: [realtime('r'.repeat(len))] },
    matching: /at most 25 characters/,
  })),
  {
    title: 'realtime workload name 25 characters with a 20-character platformName (endpoint)',
    field: 'workloads[0].name',
    config: { platformName: P20, workloads: [realtime('r'.repeat(25))] },
    matching: /at most 24 characters.*SageMaker/,
  },
  {
    title: 'realtime workload name 32 characters, people off, 20-character platformName (endpoint)',
    field: 'workloads[0].name',
    config: { platformName: P20, api: { people: false }, workloads: [realtime('r'.repeat(32))] },
    matching: /at most 24 characters/,
  },
  {
    title: 'realtime workload name 26 characters, not exposed, 19-character platformName (endpoint)',
    field: 'workloads[0].name',
    config: { platformName: 'p'.repeat(19), api: { people: false }, workloads: [realtime('r'.repeat(26))] },
    matching: /at most 25 characters/,
  },
  {
    title: "batch workload name with '--' (ECR)",
    field: 'workloads[1].name',
    config: withWorkload(1, { name: 'tu--ner' }),
    matching: /ECR/,
  },
  {
    title: "batch workload name ending in '-' (ECR)",
    field: 'workloads[1].name',
    config: withWorkload(1, { name: 'tuner-' }),
    matching: /ECR/,
  },
  {
    title: "realtime workload name with '--' (ECR)",
    field: 'workloads[0].name',
    config: { platformName: 'acme', workloads: [realtime('sc--orer')] },
    matching: /ECR/,
  },
  {
    title: 'duplicate workload names',
    field: 'workloads[1].name',
    config: withWorkloads(batch('tuner'), batch('tuner')),
  },

  // References
  {
    title: 'invokes an unknown workload',
    field: 'workloads[2].invokes[0]',
    config: withWorkload(2, { invokes: ['nobody'] }),
  },
  {
    title: 'invokes a batch workload',
    field: 'workloads[2].invokes[0]',
    config: withWorkload(2, { invokes: ['tuner'] }),
  },
  { title: 'invokes itself', field: 'workloads[0].invokes[0]', config: withWorkload(0, { invokes: ['scorer'] }) },
  {
    title: 'invokes twice',
    field: 'workloads[2].invokes[1]',
    config: withWorkload(2, { invokes: ['scorer', 'scorer'] }),
  },
  {
    title: 'an invoke cycle of two',
    field: 'workloads[1].invokes[0]',
    config: withWorkloads(realtime('aa', { invokes: ['bb'] }), realtime('bb', { invokes: ['aa'] })),
    matching: /aa → bb → aa/,
  },
  {
    title: 'an invoke cycle of three',
    field: 'workloads[2].invokes[0]',
    config: withWorkloads(
      realtime('aa', { invokes: ['bb'] }),
      realtime('bb', { invokes: ['cc'] }),
      realtime('cc', { invokes: ['aa'] }),
    ),
    matching: /aa → bb → cc → aa/,
  },
  {
    title: 'api.expose names a batch workload',
    field: 'api.expose[0]',
    config: withTop({ api: { expose: ['tuner'] } }),
  },
  {
    title: 'api.clients caller that invokes nothing',
    field: 'api.clients[0].caller',
    config: withTop({
      api: { clients: [{ caller: 'tuner', rateLimit: 1, burstLimit: 1, quotaLimit: 1, quotaPeriod: 'DAY' }] },
    }),
  },

  // Numbers
  {
    title: 'maxAzs 1e309',
    field: 'network.maxAzs',
    yaml: 'platformName: acme\nnetwork:\n  maxAzs: 1e309\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
    matching: /too large/,
  },
  {
    title: 'rateLimit .inf',
    field: 'api.throttle.rateLimit',
    yaml: 'workloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\napi:\n  throttle: { rateLimit: .inf, burstLimit: 10 }\n',
    matching: /too large/,
  },
  {
    title: 'maxAzs -.inf',
    field: 'network.maxAzs',
    yaml: 'network: { maxAzs: -.inf }\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
  },
  {
    title: 'maxAzs .nan',
    field: 'network.maxAzs',
    yaml: 'network: { maxAzs: .nan }\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
    matching: /NaN/,
  },
  {
    title: 'maxInstances negative',
    field: 'workloads[1].compute.maxInstances',
    config: withWorkload(1, { compute: { maxInstances: -1 } }),
  },
  {
    title: 'maxInstances 101',
    field: 'workloads[1].compute.maxInstances',
    config: withWorkload(1, { compute: { maxInstances: 101 } }),
  },
  {
    title: 'maxInstances below minInstances',
    field: 'workloads[1].compute.maxInstances',
    config: withWorkload(1, { compute: { minInstances: 5, maxInstances: 2 } }),
  },
  {
    title: 'maxPromptChars past the WAF limit',
    field: 'api.maxPromptChars',
    config: withTop({ api: { maxPromptChars: 16129 } }),
  },
  {
    title: 'rateLimit 0',
    field: 'api.throttle.rateLimit',
    config: withTop({ api: { throttle: { rateLimit: 0, burstLimit: 1 } } }),
  },
  {
    title: 'gpuTierCidrMask 29',
    field: 'network.gpuTierCidrMask',
    config: withTop({ network: { gpuTierCidrMask: 29 } }),
  },
  { title: 'cidr with host bits', field: 'network.cidr', config: withTop({ network: { cidr: '10.40.0.1/16' } }) },

  // YAML edge cases
  {
    title: 'yes for a boolean (YAML 1.1)',
    field: 'network.openInternetEgress',
    yaml: 'network: { openInternetEgress: yes }\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
  },
  {
    title: 'on for a boolean',
    field: 'api.people',
    yaml: 'api: { people: on }\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
  },
  {
    title: 'no for an enum (YAML 1.1 false)',
    field: 'profile',
    yaml: 'profile: no\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
  },
  {
    title: 'an unquoted account id with a leading zero (octal-like)',
    field: 'env.account',
    yaml: 'env: { account: 012345678901 }\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
  },
  {
    title: 'octal-like 010 for logRetentionDays',
    field: 'logRetentionDays',
    yaml: 'logRetentionDays: 010\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
  },
  {
    title: '0o7 for maxAzs',
    field: 'network.maxAzs',
    yaml: 'network: { maxAzs: 0o7 }\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
  },
  {
    title: 'an unquoted model version 1.0 (a number)',
    field: 'workloads[0].compute.model.version',
    yaml: `workloads:\n  - name: scorer\n    kind: realtime-inference\n    instanceType: ml.g5.xlarge\n    compute: { imageDigest: '${DIGEST}', model: { name: m, version: 1.0 } }\n`,
  },
  {
    title: 'a duplicate top-level key',
    field: 'platformName',
    yaml: 'platformName: acme\nplatformName: other\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
    matching: /twice/,
  },
  {
    title: 'a duplicate nested key',
    field: 'workloads[0].kind',
    yaml: 'workloads:\n  - name: tuner\n    kind: batch\n    kind: agent\n    instanceType: g5.2xlarge\n',
    matching: /twice/,
  },
  {
    title: 'an anchor reused as a duplicate workload',
    field: 'workloads[1].name',
    yaml: 'workloads:\n  - &w { name: tuner, kind: batch, instanceType: g5.2xlarge }\n  - *w\n',
  },
  {
    title: 'a merge key (<<) is not a field',
    field: 'workloads[1].<<',
    yaml: 'workloads:\n  - &w { name: tuner, kind: batch, instanceType: g5.2xlarge }\n  - { <<: *w, name: tuner2 }\n',
  },
  { title: 'null for workloads', field: 'workloads', yaml: 'workloads:\n' },
  {
    title: 'a multi-line name',
    field: 'workloads[0].name',
    yaml: 'workloads:\n  - name: |\n      tuner\n    kind: batch\n    instanceType: g5.2xlarge\n',
  },
  {
    title: 'a date for a model version',
    field: 'workloads[0].compute.model.version',
    yaml: `workloads:\n  - name: scorer\n    kind: realtime-inference\n    instanceType: ml.g5.xlarge\n    compute: { imageDigest: '${DIGEST}', model: { name: m, version: [2024, 1] } }\n`,
  },
  {
    title: 'a tilde (null) for platformName',
    field: 'platformName',
    yaml: 'platformName: ~\nworkloads: [{ name: tuner, kind: batch, instanceType: g5.2xlarge }]\n',
  },
];

describe('config fuzz: every malformed file is refused naming the field', () => {
  it('has at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES.map((c) => [c.title, c] as const))('%s', (_title, c) => {
    if (c.yaml !== undefined) {
      expectRefused(problemsOf(write(c.yaml, '.yaml')), c.field, c.matching);
    } else {
      expectRefused(problemsOf(write(YAML.stringify(c.config), '.yaml')), c.field, c.matching);
      expectRefused(problemsOf(write(JSON.stringify(c.config, null, 2), '.json')), c.field, c.matching);
    }
  });

  it('a JSON file with a duplicate key names it', () => {
    const text =
      '{ "platformName": "acme", "platformName": "other", "workloads": [{ "name": "tuner", "kind": "batch", "instanceType": "g5.2xlarge" }] }';
    expectRefused(problemsOf(write(text, '.json')), 'platformName', /twice/);
  });

  it('reports 1e309 in JSON as a number too large, not null', () => {
    const text =
      '{ "network": { "maxAzs": 1e309 }, "workloads": [{ "name": "tuner", "kind": "batch", "instanceType": "g5.2xlarge" }] }';
    const problems = problemsOf(write(text, '.json'));
    expectRefused(problems, 'network.maxAzs', /a number too large/);
    expect(problems.join('\n')).not.toMatch(/got null/);
  });
});

describe('workloads: a file gets exactly the workloads it names', () => {
  it('the embedded default (no config file) keeps the reference workloads', () => {
    expect(loadPlatformConfig(undefined).workloads.map((w) => w.name)).toEqual([
      'fraud-scoring',
      'doc-finetune',
      'support-agent',
      'support-assistant',
    ]);
  });

  it('a file with workloads gets those only', () => {
    const file = write(YAML.stringify({ workloads: [batch('tuner')] }), '.yaml');
    const config = loadPlatformConfig(file);
    expect(config.workloads.map((w) => w.name)).toEqual(['tuner']);
    expect(config.api).toBeUndefined();
  });
});

describe('name limits are derived from the names the platform builds', () => {
  const rt = { kind: 'realtime-inference' as const, repository: true, people: true };

  it('a realtime workload exposed to people: 25 characters (its people monitoring entry), fewer with a long platformName (its endpoint)', () => {
    expect(maxWorkloadNameLength('acme', rt)).toBe(25);
    expect(maxWorkloadNameLength('p'.repeat(19), rt)).toBe(25);
    expect(maxWorkloadNameLength(P20, rt)).toBe(24);
    expect(maxWorkloadNameLength(P20, { ...rt, people: false })).toBe(24);
    expect(maxWorkloadNameLength('acme', { ...rt, people: false })).toBe(32);
  });

  it('batch and agent workloads: the pattern limit (32) with any platformName', () => {
    expect(maxWorkloadNameLength(P20, { kind: 'batch', repository: true, people: false })).toBe(32);
    expect(maxWorkloadNameLength(P20, { kind: 'agent', repository: false, people: false, apiClient: true })).toBe(32);
  });

  it('the longest platformName fits every platform name in the longest region', () => {
    expect(namingProblems(platformGeneratedNames(P20, { repositories: true }))).toEqual([]);
    expect(LONGEST_REGION.length).toBeGreaterThanOrEqual('ap-southeast-5'.length);
  });

  it('a name one past the limit fails on the service the message names', () => {
    const found = namingProblems(workloadGeneratedNames(P20, { ...rt, name: 'r'.repeat(25) }));
    expect(found.map((f) => f.rule.names)).toEqual(['the SageMaker endpoint names']);
  });
});

describe('names at exactly the limit synthesize', () => {
  it('a 19-character platformName with a 25-character realtime workload, 32-character batch and agent workloads', () => {
    const platformName = 'p'.repeat(19);
    const [rtName, batchName, agentName] = ['r'.repeat(25), 'b'.repeat(32), 'a'.repeat(32)];
    const file = write(
      YAML.stringify({
        platformName,
        profile: 'production',
        workloads: [realtime(rtName), batch(batchName), agent(agentName, [rtName])],
        api: {
          clients: [{ caller: agentName, rateLimit: 5, burstLimit: 10, quotaLimit: 1000, quotaPeriod: 'DAY' }],
        },
      }),
      '.yaml',
    );
    const config = loadPlatformConfig(file);
    const outdir = fs.mkdtempSync(path.join(tmp, 'cdk.out-'));
    const app = new App({ outdir, context: CDK_CONTEXT });
    const platform = buildPlatform(app, config);
    const assembly = app.synth();
    expect(platform.computes.get(rtName)?.endpoint?.endpointName).toHaveLength(63);
    expect(assembly.stacks.map((s) => s.stackName)).toEqual(
      expect.arrayContaining([`${platformName}-workload-${batchName}`, `${platformName}-api`]),
    );
  });

  it('a 20-character platformName with a 24-character realtime workload', () => {
    const file = write(YAML.stringify({ platformName: P20, workloads: [realtime('r'.repeat(24))] }), '.yaml');
    const config = loadPlatformConfig(file);
    const app = new App({ outdir: fs.mkdtempSync(path.join(tmp, 'cdk.out-')), context: CDK_CONTEXT });
    const platform = buildPlatform(app, config);
    expect(() => app.synth()).not.toThrow();
    expect(platform.computes.get('r'.repeat(24))?.endpoint?.endpointName).toHaveLength(63);
  });
});
