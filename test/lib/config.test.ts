import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GPU_INSTANCE_FAMILIES } from '../../constructs/inference/gpu-instance-types';
import { DEFAULT_PLATFORM_CONFIG } from '../../lib/config/default-config';
import { loadPlatformConfig } from '../../lib/config/load-config';
import { PlatformConfig } from '../../lib/config/platform-config';
import { ConfigValidationError, LOG_RETENTION_DAYS, validatePlatformConfig } from '../../lib/config/validate-config';
import { problemsOf } from '../helpers/config-problems';

/*
 * The platform configuration is what a platform team edits by hand, so every kind of bad input must
 * be rejected before any construct is built, with a message that names the field path, the value
 * received and what is allowed. Each negative case below breaks ONE field of the (valid) embedded
 * default and expects exactly one problem, so a case cannot pass on some other field's error.
 */

type Raw = Record<string, unknown>;

const FIXTURES = path.join(__dirname, 'fixtures');

// The embedded default (workloads[0] fraud-scoring realtime, [1] doc-finetune batch, [2] support-agent agent,
// [3] support-assistant genai).
// Without its `api` section: the default's API client names the demo agent, which many cases below edit.
const plain = (): Raw => {
  const { api: _api, ...rest } = JSON.parse(JSON.stringify(DEFAULT_PLATFORM_CONFIG));
  return rest;
};
/** Drops keys set to undefined, as a JSON or YAML file would not have them. */
const asFile = (raw: Raw): Raw => JSON.parse(JSON.stringify(raw));

/** The default with top-level fields replaced. */
function top(fields: Raw): Raw {
  return asFile({ ...plain(), ...fields });
}

/** The default with network fields replaced. */
function net(fields: Raw): Raw {
  const c = plain();
  return asFile({ ...c, network: { ...(c.network as Raw), ...fields } });
}

/** The default with fields of workload `i` replaced (`undefined` removes a field). */
function workload(i: number, fields: Raw): Raw {
  const c = plain();
  const workloads = c.workloads as Raw[];
  workloads[i] = { ...workloads[i], ...fields };
  return asFile(c);
}

/** The default with more workloads appended. */
function plus(...extra: Raw[]): Raw {
  const c = plain();
  return asFile({ ...c, workloads: [...(c.workloads as Raw[]), ...extra] });
}

interface BadInput {
  /** What is wrong. */
  readonly title: string;
  readonly raw: unknown;
  /** The field path the one problem must start with. */
  readonly field: string;
  /** The value received, as the message shows it. */
  readonly value: string;
  /** What the message must say is allowed. */
  readonly allowed: string | RegExp;
}

/** Exactly one problem, naming the field path first, then the value received and what is allowed. */
function expectOnlyProblem({ raw, field, value, allowed }: BadInput): void {
  const problems = problemsOf(raw);
  expect(problems).toHaveLength(1);
  const [problem] = problems;
  expect(problem.slice(0, field.length + 2)).toBe(`${field}: `);
  expect(problem).toContain(value);
  if (typeof allowed === 'string') expect(problem).toContain(allowed);
  else expect(problem).toMatch(allowed);
  expect(problem).not.toContain('\n');
}

/** What validation returns for the default: the same values, with omitted lists filled in. */
function normalisedDefault(): PlatformConfig {
  return {
    ...DEFAULT_PLATFORM_CONFIG,
    workloads: DEFAULT_PLATFORM_CONFIG.workloads.map((w) => ({ ...w, invokes: [...(w.invokes ?? [])] })),
  };
}

const ACCEPTED_RETENTION = `must be one of ${LOG_RETENTION_DAYS.join(', ')}`;
const IPV4_CIDR = "must be an IPv4 CIDR such as '10.40.0.0/16'";
const WORKLOAD_NAME = "must be 2-32 lower-case letters, digits and '-', starting with a letter";
/** The compute every realtime workload of a test config names: its image and the approved model it serves. */
const IMAGE = { imageDigest: `sha256:${'1'.repeat(64)}`, model: { name: 'ranker-model', version: '1' } };
const SAGEMAKER_GPU = "a 'realtime-inference' workload needs a SageMaker GPU instance type such as 'ml.g5.xlarge'";
const EC2_GPU = "a 'batch' workload needs an EC2 GPU instance type such as 'g5.2xlarge'";
const GPU_FAMILIES = `allowed families: ${GPU_INSTANCE_FAMILIES.join(', ')}`;
const OVERFLOW =
  /^network: the tiers overlap or overflow the VPC: .* widen the cidr, use fewer zones or longer tier masks$/;

describe('validatePlatformConfig', () => {
  describe('accepts', () => {
    test('the embedded default, unchanged apart from filled-in lists', () => {
      expect(validatePlatformConfig(DEFAULT_PLATFORM_CONFIG)).toEqual(normalisedDefault());
    });

    test('an empty object, taking every default', () => {
      expect(validatePlatformConfig({})).toEqual(normalisedDefault());
    });

    test('a file that sets only its workloads, taking the default network, name and retention', () => {
      const config = validatePlatformConfig({
        workloads: [{ name: 'ranker', kind: 'realtime-inference', instanceType: 'ml.inf2.xlarge', compute: IMAGE }],
      });
      expect(config.platformName).toBe('ztai');
      expect(config.network).toEqual(DEFAULT_PLATFORM_CONFIG.network);
      expect(config.logRetentionDays).toBe(365);
      expect(config.workloads).toEqual([
        { name: 'ranker', kind: 'realtime-inference', instanceType: 'ml.inf2.xlarge', compute: IMAGE, invokes: [] },
      ]);
    });

    // Controls: values next to the rejected ones below, so the negative tests cannot pass on a validator that rejects everything.
    test.each<[string, Raw]>([
      [
        'a /22 VPC with tiers that fit',
        net({ cidr: '10.1.4.0/22', gpuTierCidrMask: 24, endpointsTierCidrMask: 27, dataTierCidrMask: 26 }),
      ],
      ['six zones with the default tiers', net({ maxAzs: 6 })],
      ['a /17 that exactly fits six zones of the default tiers', net({ cidr: '10.40.0.0/17', maxAzs: 6 })],
      ['two zones in a /18', net({ cidr: '10.40.0.0/18' })],
      [
        'an egress tier when it fits',
        net({ cidr: '10.40.0.0/20', gpuTierCidrMask: 22, dataTierCidrMask: 24, openInternetEgress: true }),
      ],
      ['an S3 prefix list id', net({ s3PrefixListId: 'pl-63a5400a' })],
      ['a Trainium batch job', workload(1, { instanceType: 'trn1.32xlarge' })],
      ['a bare-metal GPU batch job', workload(1, { instanceType: 'g4dn.metal' })],
      ['a hyphenated GPU family', workload(1, { instanceType: 'p6-b200.48xlarge' })],
      ['an Inferentia endpoint', workload(0, { instanceType: 'ml.inf2.48xlarge' })],
      [
        'an agent invoking two models',
        plus(
          { name: 'ranker', kind: 'realtime-inference', instanceType: 'ml.g6.xlarge', compute: IMAGE },
          { name: 'shop-agent', kind: 'agent', invokes: ['ranker', 'fraud-scoring'] },
        ),
      ],
      ['a batch job invoking a model', workload(1, { invokes: ['fraud-scoring'] })],
      ['a 32-character workload name', workload(1, { name: `a${'b'.repeat(31)}` })],
      ['a 256-character Latin-1 description', workload(1, { description: `Modèle ${'x'.repeat(249)}` })],
      ['a 20-character platform name', top({ platformName: `z${'1'.repeat(19)}` })],
      ['the production profile', top({ profile: 'production' })],
      ['an account and a GovCloud region', top({ env: { account: '111122223333', region: 'us-gov-west-1' } })],
      ['a region without an account', top({ env: { region: 'ap-southeast-2' } })],
      ['the longest log retention', top({ logRetentionDays: 3653 })],
      [
        'break-glass roles by name, name pattern and path pattern',
        top({
          adminPrincipalArns: [
            'arn:aws:iam::111122223333:role/break-glass',
            'arn:aws:iam::111122223333:role/break-glass-*',
            'arn:aws-us-gov:iam::111122223333:role/admin/*',
          ],
        }),
      ],
    ])('%s', (_title, raw) => {
      expect(() => validatePlatformConfig(raw)).not.toThrow();
    });
  });

  describe('rejects references between workloads', () => {
    test.each<BadInput>([
      {
        title: 'an unknown workload name in invokes',
        raw: workload(2, { invokes: ['fraud-scorer'] }),
        field: 'workloads[2].invokes[0]',
        value: "unknown workload 'fraud-scorer'",
        allowed: 'known workloads: fraud-scoring, doc-finetune, support-agent',
      },
      {
        title: 'invoking a batch workload',
        raw: workload(2, { invokes: ['doc-finetune'] }),
        field: 'workloads[2].invokes[0]',
        value: "'doc-finetune' is a 'batch' workload",
        allowed: "only 'realtime-inference' workloads can be invoked",
      },
      {
        title: 'invoking an agent',
        raw: plus({ name: 'triage-agent', kind: 'agent', invokes: ['support-agent'] }),
        field: 'workloads[4].invokes[0]',
        value: "'support-agent' is a 'agent' workload",
        allowed: "only 'realtime-inference' workloads can be invoked",
      },
      {
        title: 'a model invoking itself',
        raw: workload(0, { invokes: ['fraud-scoring'] }),
        field: 'workloads[0].invokes[0]',
        value: "('fraud-scoring')",
        allowed: 'a workload cannot invoke itself',
      },
      {
        title: 'an agent invoking itself',
        raw: workload(2, { invokes: ['fraud-scoring', 'support-agent'] }),
        field: 'workloads[2].invokes[1]',
        value: "('support-agent')",
        allowed: 'a workload cannot invoke itself',
      },
      {
        title: 'the same workload invoked twice',
        raw: workload(2, { invokes: ['fraud-scoring', 'fraud-scoring'] }),
        field: 'workloads[2].invokes[1]',
        value: "'fraud-scoring' is listed twice",
        allowed: '(also invokes[0])',
      },
      {
        title: 'invokes as a string, not a list',
        raw: workload(2, { invokes: 'fraud-scoring' }),
        field: 'workloads[2].invokes',
        value: "got 'fraud-scoring'",
        allowed: 'must be a list',
      },
      {
        title: 'a non-string in invokes',
        raw: workload(2, { invokes: [{ name: 'fraud-scoring' }] }),
        field: 'workloads[2].invokes[0]',
        value: 'got {"name":"fraud-scoring"}',
        allowed: 'must be a workload name',
      },
      {
        title: 'a duplicate workload name',
        raw: plus({ name: 'fraud-scoring', kind: 'realtime-inference', instanceType: 'ml.g5.2xlarge', compute: IMAGE }),
        field: 'workloads[4].name',
        value: "duplicate workload name 'fraud-scoring'",
        allowed: '(also workloads[0])',
      },
      // The batch job takes the model's name: reported once, and the agent's reference still resolves to the first entry.
      {
        title: 'a duplicate name of a different kind',
        raw: workload(1, { name: 'fraud-scoring' }),
        field: 'workloads[1].name',
        value: "duplicate workload name 'fraud-scoring'",
        allowed: '(also workloads[0])',
      },
    ])('$title', (bad) => expectOnlyProblem(bad));

    test('paths point at the entries in the file, even after an entry that could not be read', () => {
      const problems = problemsOf(
        top({
          workloads: [
            { name: 'Bad Name', kind: 'agent' },
            { name: 'fraud-scoring', kind: 'realtime-inference', instanceType: 'ml.g5.xlarge', compute: IMAGE },
            { name: 'fraud-scoring', kind: 'batch', instanceType: 'g5.2xlarge' },
            { name: 'support-agent', kind: 'agent', invokes: ['nobody'] },
          ],
        }),
      );
      expect(problems).toEqual([
        `workloads[0].name: ${WORKLOAD_NAME}, got 'Bad Name'`,
        "workloads[2].name: duplicate workload name 'fraud-scoring' (also workloads[1])",
        "workloads[3].invokes[0]: unknown workload 'nobody'; known workloads: fraud-scoring, support-agent",
      ]);
    });
  });

  describe('rejects bad workload names and kinds', () => {
    test.each<BadInput>([
      {
        title: 'upper case and underscore',
        raw: workload(1, { name: 'Doc_Finetune' }),
        field: 'workloads[1].name',
        value: "got 'Doc_Finetune'",
        allowed: WORKLOAD_NAME,
      },
      {
        title: 'one character',
        raw: workload(1, { name: 'd' }),
        field: 'workloads[1].name',
        value: "got 'd'",
        allowed: WORKLOAD_NAME,
      },
      {
        title: '33 characters',
        raw: workload(1, { name: `a${'b'.repeat(32)}` }),
        field: 'workloads[1].name',
        value: `got 'a${'b'.repeat(32)}'`,
        allowed: WORKLOAD_NAME,
      },
      {
        title: 'a leading digit',
        raw: workload(1, { name: '9-lives' }),
        field: 'workloads[1].name',
        value: "got '9-lives'",
        allowed: WORKLOAD_NAME,
      },
      {
        title: 'no name',
        raw: workload(1, { name: undefined }),
        field: 'workloads[1].name',
        value: 'got undefined',
        allowed: WORKLOAD_NAME,
      },
      {
        title: 'a number as name',
        raw: workload(1, { name: 42 }),
        field: 'workloads[1].name',
        value: 'got 42',
        allowed: WORKLOAD_NAME,
      },
      {
        title: 'an unknown kind',
        raw: workload(1, { kind: 'streaming' }),
        field: 'workloads[1].kind',
        value: "got 'streaming'",
        allowed: 'must be one of realtime-inference, batch, agent, genai',
      },
      {
        title: 'no kind',
        raw: workload(1, { kind: undefined }),
        field: 'workloads[1].kind',
        value: 'got undefined',
        allowed: 'must be one of realtime-inference, batch, agent, genai',
      },
      {
        title: 'a description over 256 characters',
        raw: workload(1, { description: 'x'.repeat(257) }),
        field: 'workloads[1].description',
        value: `got '${'x'.repeat(257)}'`,
        allowed: '1-256 printable Latin-1 characters on one line',
      },
      {
        title: 'an empty description',
        raw: workload(1, { description: '' }),
        field: 'workloads[1].description',
        value: "got ''",
        allowed: '1-256 printable Latin-1 characters on one line',
      },
      {
        title: 'a multi-line description (a YAML block scalar)',
        raw: workload(1, { description: 'Fine-tunes\nthe document model\n' }),
        field: 'workloads[1].description',
        value: "got 'Fine-tunes",
        allowed: '1-256 printable Latin-1 characters on one line',
      },
      {
        title: 'a description IAM would refuse (not Latin-1)',
        raw: workload(1, { description: 'Tunes → deploys' }),
        field: 'workloads[1].description',
        value: "got 'Tunes → deploys'",
        allowed: 'it becomes the IAM role description',
      },
      {
        title: 'a workload that is a string, not an object',
        raw: top({ workloads: ['fraud-scoring'] }),
        field: 'workloads[0]',
        value: "got 'fraud-scoring'",
        allowed: 'must be an object',
      },
    ])('$title', (bad) => expectOnlyProblem(bad));
  });

  describe('rejects bad CIDRs', () => {
    test.each<BadInput>([
      {
        title: 'no prefix length',
        raw: net({ cidr: '10.40.0.0' }),
        field: 'network.cidr',
        value: "got '10.40.0.0'",
        allowed: IPV4_CIDR,
      },
      {
        title: 'three octets',
        raw: net({ cidr: '10.40.0/16' }),
        field: 'network.cidr',
        value: "got '10.40.0/16'",
        allowed: IPV4_CIDR,
      },
      {
        title: 'words',
        raw: net({ cidr: 'ten.forty.0.0/16' }),
        field: 'network.cidr',
        value: "got 'ten.forty.0.0/16'",
        allowed: IPV4_CIDR,
      },
      {
        title: 'a trailing space',
        raw: net({ cidr: '10.40.0.0/16 ' }),
        field: 'network.cidr',
        value: "got '10.40.0.0/16 '",
        allowed: IPV4_CIDR,
      },
      {
        title: 'an IPv6 range',
        raw: net({ cidr: 'fd00::/56' }),
        field: 'network.cidr',
        value: "got 'fd00::/56'",
        allowed: IPV4_CIDR,
      },
      { title: 'a number', raw: net({ cidr: 10 }), field: 'network.cidr', value: 'got 10', allowed: IPV4_CIDR },
      {
        title: 'an octet over 255',
        raw: net({ cidr: '10.256.0.0/16' }),
        field: 'network.cidr',
        value: "'10.256.0.0/16'",
        allowed: 'octets must be 0-255',
      },
      {
        title: 'a first octet over 255',
        raw: net({ cidr: '300.40.0.0/16' }),
        field: 'network.cidr',
        value: "'300.40.0.0/16'",
        allowed: 'octets must be 0-255',
      },
      {
        title: 'host bits set in a /16',
        raw: net({ cidr: '10.40.1.0/16' }),
        field: 'network.cidr',
        value: "'10.40.1.0/16' has host bits set",
        allowed: 'must be a multiple of 65536 addresses',
      },
      {
        title: 'host bits set in a /20',
        raw: net({ cidr: '10.40.8.0/20', gpuTierCidrMask: 22 }),
        field: 'network.cidr',
        value: "'10.40.8.0/20' has host bits set",
        allowed: 'must be a multiple of 4096 addresses',
      },
      {
        title: 'a /8',
        raw: net({ cidr: '10.0.0.0/8' }),
        field: 'network.cidr',
        value: "got '10.0.0.0/8'",
        allowed: 'prefix length must be from /16 to /22',
      },
      {
        title: 'a /15',
        raw: net({ cidr: '10.40.0.0/15' }),
        field: 'network.cidr',
        value: "got '10.40.0.0/15'",
        allowed: 'prefix length must be from /16 to /22',
      },
      {
        title: 'a /23',
        raw: net({ cidr: '10.40.0.0/23' }),
        field: 'network.cidr',
        value: "got '10.40.0.0/23'",
        allowed: 'prefix length must be from /16 to /22',
      },
      {
        title: 'a /24',
        raw: net({ cidr: '10.40.0.0/24' }),
        field: 'network.cidr',
        value: "got '10.40.0.0/24'",
        allowed: 'prefix length must be from /16 to /22',
      },
      {
        title: 'a /33',
        raw: net({ cidr: '10.40.0.0/33' }),
        field: 'network.cidr',
        value: "got '10.40.0.0/33'",
        allowed: 'prefix length must be from /16 to /22',
      },
    ])('$title', (bad) => expectOnlyProblem(bad));
  });

  describe('rejects tiers that do not fit the VPC', () => {
    test.each<BadInput>([
      {
        title: 'a GPU tier mask longer than /28',
        raw: net({ gpuTierCidrMask: 29 }),
        field: 'network.gpuTierCidrMask',
        value: 'got 29',
        allowed: 'must be an integer from 17 to 28',
      },
      {
        title: 'a GPU tier as large as the VPC',
        raw: net({ gpuTierCidrMask: 16 }),
        field: 'network.gpuTierCidrMask',
        value: 'got 16',
        allowed: 'must be an integer from 17 to 28',
      },
      {
        title: 'a /20 GPU tier in a /22 VPC',
        raw: net({ cidr: '10.40.0.0/22', dataTierCidrMask: 24 }),
        field: 'network.gpuTierCidrMask',
        value: 'got 20',
        allowed: 'must be an integer from 23 to 28',
      },
      {
        title: 'an endpoints tier mask as a string',
        raw: net({ endpointsTierCidrMask: '24' }),
        field: 'network.endpointsTierCidrMask',
        value: "got '24'",
        allowed: 'must be an integer from 17 to 28',
      },
      {
        title: 'a fractional data tier mask',
        raw: net({ dataTierCidrMask: 22.5 }),
        field: 'network.dataTierCidrMask',
        value: 'got 22.5',
        allowed: 'must be an integer from 17 to 28',
      },
      {
        title: 'three zones of tiers in a /20',
        raw: net({
          cidr: '10.40.0.0/20',
          maxAzs: 3,
          gpuTierCidrMask: 22,
          endpointsTierCidrMask: 24,
          dataTierCidrMask: 24,
        }),
        field: 'network',
        value: "need 4608 addresses (each subnet aligned to its size), but network.cidr '10.40.0.0/20' holds 4096",
        allowed: OVERFLOW,
      },
      {
        title: 'four zones of the default tiers in a /18 (two fit)',
        raw: net({ cidr: '10.40.0.0/18', maxAzs: 4 }),
        field: 'network',
        value: '4 zones × (gpu /20 + endpoints /24 + data /22) need 21504 addresses',
        allowed: OVERFLOW,
      },
      // 3 × (4096 + 16384 + 256) = 62208 would fit a /16, but CDK aligns each /18 to a multiple of its size.
      {
        title: 'tiers that fit only if subnets were not aligned',
        raw: net({ maxAzs: 3, gpuTierCidrMask: 20, endpointsTierCidrMask: 18, dataTierCidrMask: 24 }),
        field: 'network',
        value: 'need 66304 addresses',
        allowed: OVERFLOW,
      },
      {
        title: 'tiers that fit until the egress tier is added',
        raw: net({ cidr: '10.40.0.0/20', gpuTierCidrMask: 22, dataTierCidrMask: 23, openInternetEgress: true }),
        field: 'network',
        value: '+ egress /24 + /26) need 4224 addresses',
        allowed: OVERFLOW,
      },
    ])('$title', (bad) => expectOnlyProblem(bad));

    test('the same tiers fit without the egress tier (control for the case above)', () => {
      expect(() =>
        validatePlatformConfig(net({ cidr: '10.40.0.0/20', gpuTierCidrMask: 22, dataTierCidrMask: 23 })),
      ).not.toThrow();
    });
  });

  describe('rejects bad availability zone counts', () => {
    test.each<[string, unknown, string]>([
      ['zero zones', 0, 'got 0'],
      ['one zone', 1, 'got 1'],
      ['seven zones', 7, 'got 7'],
      ['a negative count', -2, 'got -2'],
      ['a fraction', 2.5, 'got 2.5'],
      ['a string', '2', "got '2'"],
      ['null (an empty YAML key)', null, 'got null'],
    ])('%s', (title, maxAzs, value) =>
      expectOnlyProblem({
        title,
        raw: net({ maxAzs }),
        field: 'network.maxAzs',
        value,
        allowed: 'must be an integer from 2 to 6',
      }),
    );
  });

  describe('rejects invalid instance types', () => {
    test.each<BadInput>([
      {
        title: 'an EC2 type for a SageMaker endpoint',
        raw: workload(0, { instanceType: 'g5.xlarge' }),
        field: 'workloads[0].instanceType',
        value: "got 'g5.xlarge'",
        allowed: SAGEMAKER_GPU,
      },
      {
        title: 'a SageMaker type without a size',
        raw: workload(0, { instanceType: 'ml.g5' }),
        field: 'workloads[0].instanceType',
        value: "got 'ml.g5'",
        allowed: SAGEMAKER_GPU,
      },
      {
        title: 'upper case',
        raw: workload(0, { instanceType: 'ML.G5.XLARGE' }),
        field: 'workloads[0].instanceType',
        value: "got 'ML.G5.XLARGE'",
        allowed: SAGEMAKER_GPU,
      },
      {
        title: 'a number',
        raw: workload(0, { instanceType: 5 }),
        field: 'workloads[0].instanceType',
        value: 'got 5',
        allowed: SAGEMAKER_GPU,
      },
      {
        title: 'no instance type on a real-time model',
        raw: workload(0, { instanceType: undefined }),
        field: 'workloads[0].instanceType',
        value: 'got undefined',
        allowed: SAGEMAKER_GPU,
      },
      {
        title: 'a CPU SageMaker type (ml.m5.xlarge)',
        raw: workload(0, { instanceType: 'ml.m5.xlarge' }),
        field: 'workloads[0].instanceType',
        value: "'ml.m5.xlarge' is not a GPU instance type",
        allowed: GPU_FAMILIES,
      },
      {
        title: 'a CPU SageMaker type (ml.c7i.48xlarge)',
        raw: workload(0, { instanceType: 'ml.c7i.48xlarge' }),
        field: 'workloads[0].instanceType',
        value: "'ml.c7i.48xlarge' is not a GPU instance type",
        allowed: GPU_FAMILIES,
      },
      {
        title: 'a size that does not exist (ml.g5.huge)',
        raw: workload(0, { instanceType: 'ml.g5.huge' }),
        field: 'workloads[0].instanceType',
        value: "'ml.g5.huge' has no valid instance size 'huge'",
        allowed: 'allowed sizes: nano, micro, small, medium, large, xlarge, <n>xlarge, metal, metal-<n>xl',
      },
      {
        title: 'a GPU family SageMaker endpoints do not offer (ml.g5g.xlarge)',
        raw: workload(0, { instanceType: 'ml.g5g.xlarge' }),
        field: 'workloads[0].instanceType',
        value: "'ml.g5g.xlarge' cannot be built: SageMaker real-time endpoints do not offer the g5g family",
        allowed:
          'of these families they offer g4dn, g5, g6, g6e, p3, p4d, p4de, p5, p5e, p5en, p6-b200, inf1, inf2, trn1, trn1n, trn2',
      },
      {
        title: 'a size SageMaker endpoints do not offer (ml.inf2.2xlarge)',
        raw: workload(0, { instanceType: 'ml.inf2.2xlarge' }),
        field: 'workloads[0].instanceType',
        value: "'ml.inf2.2xlarge' cannot be built",
        allowed: 'SageMaker real-time endpoints offer ml.inf2 in sizes xlarge, 8xlarge, 24xlarge, 48xlarge only',
      },
      {
        title: 'a CPU EC2 type (m5.large) for batch',
        raw: workload(1, { instanceType: 'm5.large' }),
        field: 'workloads[1].instanceType',
        value: "'m5.large' is not a GPU instance type",
        allowed: GPU_FAMILIES,
      },
      {
        title: 'a SageMaker type (ml.*) for batch',
        raw: workload(1, { instanceType: 'ml.g5.2xlarge' }),
        field: 'workloads[1].instanceType',
        value: "got 'ml.g5.2xlarge'",
        allowed: EC2_GPU,
      },
      {
        title: 'an EC2 type without a size',
        raw: workload(1, { instanceType: 'g5' }),
        field: 'workloads[1].instanceType',
        value: "got 'g5'",
        allowed: EC2_GPU,
      },
      {
        title: 'an extra segment',
        raw: workload(1, { instanceType: 'g5.2xlarge.spot' }),
        field: 'workloads[1].instanceType',
        value: "got 'g5.2xlarge.spot'",
        allowed: EC2_GPU,
      },
      {
        title: 'a size that does not exist (g5.0xlarge)',
        raw: workload(1, { instanceType: 'g5.0xlarge' }),
        field: 'workloads[1].instanceType',
        value: "'g5.0xlarge' has no valid instance size '0xlarge'",
        allowed: 'allowed sizes:',
      },
      {
        title: 'no instance type on a batch job',
        raw: workload(1, { instanceType: undefined }),
        field: 'workloads[1].instanceType',
        value: 'got undefined',
        allowed: EC2_GPU,
      },
      {
        title: 'an instance type on an agent',
        raw: workload(2, { instanceType: 'ml.g5.xlarge' }),
        field: 'workloads[2].instanceType',
        value: ", got 'ml.g5.xlarge'",
        allowed: "an 'agent' workload runs without an instance type; remove it",
      },
    ])('$title', (bad) => expectOnlyProblem(bad));
  });

  describe('rejects bad compute of a real-time workload', () => {
    const DEFAULT_IMAGE = { imageDigest: `sha256:${'0'.repeat(64)}` };
    test.each<BadInput>([
      {
        title: 'no model: the endpoint would load nothing the gate ever writes',
        raw: workload(0, { compute: DEFAULT_IMAGE }),
        field: 'workloads[0].compute.model',
        value: 'got none',
        allowed: "needs the approved model it serves, { name: 'fraud-model', version: '1' }",
      },
      {
        title: "a model version that is not one key segment ('..')",
        raw: workload(0, { compute: { ...DEFAULT_IMAGE, model: { name: 'fraud-model', version: '..' } } }),
        field: 'workloads[0].compute.model.version',
        value: "got '..'",
        allowed: "the admission gate's rule",
      },
      {
        title: 'a model name with a path separator',
        raw: workload(0, { compute: { ...DEFAULT_IMAGE, model: { name: 'fraud/model', version: '1' } } }),
        field: 'workloads[0].compute.model.name',
        value: "got 'fraud/model'",
        allowed: 'must be 1-128 characters of letters, digits',
      },
      {
        title: 'the retired modelDataKey (a model.tar.gz key the gate never writes)',
        raw: workload(0, {
          compute: {
            ...DEFAULT_IMAGE,
            model: { name: 'fraud-model', version: '1' },
            modelDataKey: 'approved/fraud-scoring/model.tar.gz',
          },
        }),
        field: 'workloads[0].compute.modelDataKey',
        value: "unknown field for a 'realtime-inference' workload",
        allowed: 'imageDigest, imageUri, model, minInstances, maxInstances',
      },
    ])('$title', (bad) => expectOnlyProblem(bad));

    test('the default serves fraud-model version 1 of fraud-scoring', () => {
      const config = validatePlatformConfig(DEFAULT_PLATFORM_CONFIG);
      expect(config.workloads[0].compute).toEqual({
        imageDigest: `sha256:${'0'.repeat(64)}`,
        model: { name: 'fraud-model', version: '1' },
      });
    });
  });

  describe('rejects unknown fields', () => {
    test('a typo at the top level', () =>
      expectOnlyProblem({
        title: '',
        raw: top({ platfromName: 'acme' }),
        field: 'platfromName',
        value: 'unknown field',
        allowed: 'allowed fields: platformName, profile, env, network, logRetentionDays, adminPrincipalArns, workloads',
      }));

    test('a typo in network', () =>
      expectOnlyProblem({
        title: '',
        raw: net({ cidrBlock: '10.40.0.0/16' }),
        field: 'network.cidrBlock',
        value: 'unknown field',
        allowed:
          'allowed fields of network: cidr, maxAzs, gpuTierCidrMask, endpointsTierCidrMask, dataTierCidrMask, openInternetEgress, s3PrefixListId',
      }));

    test('a typo in env', () =>
      expectOnlyProblem({
        title: '',
        raw: top({ env: { acount: '111122223333' } }),
        field: 'env.acount',
        value: 'unknown field',
        allowed: 'allowed fields of env: account, region',
      }));

    test('a typo in a workload reports the unknown field and the field it left out', () => {
      const problems = problemsOf(workload(0, { instanceType: undefined, instancetype: 'ml.g5.xlarge' }));
      expect(problems).toEqual([
        'workloads[0].instancetype: unknown field; allowed fields of workloads[0]: name, kind, description, instanceType, invokes, compute, genai',
        `workloads[0].instanceType: ${SAGEMAKER_GPU}, got undefined`,
      ]);
    });
  });

  describe('rejects wrong types', () => {
    test.each<BadInput>([
      {
        title: 'a string for maxAzs',
        raw: net({ maxAzs: 'two' }),
        field: 'network.maxAzs',
        value: "got 'two'",
        allowed: 'must be an integer from 2 to 6',
      },
      {
        title: 'an object for workloads',
        raw: top({ workloads: { 'fraud-scoring': { kind: 'realtime-inference' } } }),
        field: 'workloads',
        value: 'got {"fraud-scoring":{"kind":"realtime-inference"}}',
        allowed: 'must be a list',
      },
      {
        title: 'null for workloads (an empty YAML key)',
        raw: top({ workloads: null }),
        field: 'workloads',
        value: 'got null',
        allowed: 'must be a list',
      },
      {
        title: 'a string for network',
        raw: top({ network: 'default' }),
        field: 'network',
        value: "got 'default'",
        allowed: 'must be an object',
      },
      {
        title: 'a list for network',
        raw: top({ network: [] }),
        field: 'network',
        value: 'got []',
        allowed: 'must be an object',
      },
      {
        title: 'null for network (an empty YAML key)',
        raw: top({ network: null }),
        field: 'network',
        value: 'got null',
        allowed: 'must be an object',
      },
      {
        title: 'a string for env',
        raw: top({ env: 'eu-west-1' }),
        field: 'env',
        value: "got 'eu-west-1'",
        allowed: 'must be an object',
      },
      {
        title: "a string for openInternetEgress (YAML 1.2 'yes')",
        raw: net({ openInternetEgress: 'yes' }),
        field: 'network.openInternetEgress',
        value: "got 'yes'",
        allowed: 'must be true or false',
      },
      {
        title: 'a string for adminPrincipalArns',
        raw: top({ adminPrincipalArns: 'arn:aws:iam::111122223333:role/admin' }),
        field: 'adminPrincipalArns',
        value: "got 'arn:aws:iam::111122223333:role/admin'",
        allowed: 'must be a list',
      },
      {
        title: 'an empty workloads list',
        raw: top({ workloads: [] }),
        field: 'workloads',
        value: 'got []',
        allowed: 'must list at least one workload',
      },
    ])('$title', (bad) => expectOnlyProblem(bad));

    test.each<[string, unknown, string]>([
      ['a list', [DEFAULT_PLATFORM_CONFIG], 'got [{'],
      ['null (an empty file)', null, 'got null'],
      ['a string', 'platformName: ztai', "got 'platformName: ztai'"],
      ['a number', 42, 'got 42'],
    ])('a configuration that is %s', (_title, raw, value) => {
      const problems = problemsOf(raw);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^the configuration must be an object, got /);
      expect(problems[0]).toContain(value);
    });
  });

  describe('rejects bad platform-wide settings', () => {
    const NAME = "platformName: must be 2-20 lower-case letters, digits and '-', starting with a letter";
    test.each<BadInput>([
      {
        title: 'an upper-case platform name',
        raw: top({ platformName: 'ZTAI' }),
        field: 'platformName',
        value: "got 'ZTAI'",
        allowed: NAME,
      },
      {
        title: 'a one-letter platform name',
        raw: top({ platformName: 'z' }),
        field: 'platformName',
        value: "got 'z'",
        allowed: NAME,
      },
      {
        title: 'a 21-character platform name',
        raw: top({ platformName: `z${'1'.repeat(20)}` }),
        field: 'platformName',
        value: `got 'z${'1'.repeat(20)}'`,
        allowed: NAME,
      },
      {
        title: 'a platform name with a leading digit',
        raw: top({ platformName: '1ztai' }),
        field: 'platformName',
        value: "got '1ztai'",
        allowed: NAME,
      },
      {
        title: 'a platform name with an underscore',
        raw: top({ platformName: 'zt_ai' }),
        field: 'platformName',
        value: "got 'zt_ai'",
        allowed: NAME,
      },
      {
        title: 'an empty platform name',
        raw: top({ platformName: '' }),
        field: 'platformName',
        value: "got ''",
        allowed: NAME,
      },
      {
        title: 'null for the platform name',
        raw: top({ platformName: null }),
        field: 'platformName',
        value: 'got null',
        allowed: NAME,
      },
      {
        title: 'an unknown profile',
        raw: top({ profile: 'prod' }),
        field: 'profile',
        value: "got 'prod'",
        allowed: 'must be one of dev, production',
      },
      {
        title: 'an 5-digit account',
        raw: top({ env: { account: '12345' } }),
        field: 'env.account',
        value: "got '12345'",
        allowed: 'must be a 12-digit AWS account id',
      },
      {
        title: 'a 13-digit account',
        raw: top({ env: { account: '1111222233334' } }),
        field: 'env.account',
        value: "got '1111222233334'",
        allowed: 'must be a 12-digit AWS account id',
      },
      {
        title: 'an account as a number (unquoted in YAML)',
        raw: top({ env: { account: 111122223333 } }),
        field: 'env.account',
        value: 'got 111122223333',
        allowed: 'must be a 12-digit AWS account id',
      },
      {
        title: 'an account alias',
        raw: top({ env: { account: 'acme-prod' } }),
        field: 'env.account',
        value: "got 'acme-prod'",
        allowed: 'must be a 12-digit AWS account id',
      },
      {
        title: 'an upper-case region',
        raw: top({ env: { region: 'EU-WEST-1' } }),
        field: 'env.region',
        value: "got 'EU-WEST-1'",
        allowed: "must be an AWS region such as 'eu-west-1'",
      },
      {
        title: 'a region without its number',
        raw: top({ env: { region: 'eu-west' } }),
        field: 'env.region',
        value: "got 'eu-west'",
        allowed: "must be an AWS region such as 'eu-west-1'",
      },
      {
        title: 'a zone instead of a region',
        raw: top({ env: { region: 'eu-west-1a' } }),
        field: 'env.region',
        value: "got 'eu-west-1a'",
        allowed: "must be an AWS region such as 'eu-west-1'",
      },
      {
        title: 'a retention CloudWatch Logs does not accept (366)',
        raw: top({ logRetentionDays: 366 }),
        field: 'logRetentionDays',
        value: 'got 366',
        allowed: ACCEPTED_RETENTION,
      },
      {
        title: 'no retention (0)',
        raw: top({ logRetentionDays: 0 }),
        field: 'logRetentionDays',
        value: 'got 0',
        allowed: ACCEPTED_RETENTION,
      },
      {
        title: 'a negative retention',
        raw: top({ logRetentionDays: -1 }),
        field: 'logRetentionDays',
        value: 'got -1',
        allowed: ACCEPTED_RETENTION,
      },
      {
        title: 'a retention as a string',
        raw: top({ logRetentionDays: '365' }),
        field: 'logRetentionDays',
        value: "got '365'",
        allowed: ACCEPTED_RETENTION,
      },
      {
        title: 'a malformed S3 prefix list id',
        raw: net({ s3PrefixListId: 'pl-xyz' }),
        field: 'network.s3PrefixListId',
        value: "got 'pl-xyz'",
        allowed: "must be a prefix list id such as 'pl-63a5400a'",
      },
    ])('$title', (bad) => expectOnlyProblem(bad));
  });

  describe('rejects bad adminPrincipalArns', () => {
    const ROLE_ARN = "must be an IAM role ARN or pattern such as 'arn:aws:iam::111122223333:role/break-glass'";
    test.each<BadInput>([
      {
        title: 'a short account id',
        raw: top({ adminPrincipalArns: ['arn:aws:iam::123:role/admin'] }),
        field: 'adminPrincipalArns[0]',
        value: "got 'arn:aws:iam::123:role/admin'",
        allowed: ROLE_ARN,
      },
      {
        title: 'an IAM user',
        raw: top({ adminPrincipalArns: ['arn:aws:iam::111122223333:user/alice'] }),
        field: 'adminPrincipalArns[0]',
        value: "got 'arn:aws:iam::111122223333:user/alice'",
        allowed: ROLE_ARN,
      },
      {
        title: 'an assumed-role session',
        raw: top({ adminPrincipalArns: ['arn:aws:sts::111122223333:assumed-role/admin/alice'] }),
        field: 'adminPrincipalArns[0]',
        value: "got 'arn:aws:sts::111122223333:assumed-role/admin/alice'",
        allowed: ROLE_ARN,
      },
      {
        title: 'any account',
        raw: top({ adminPrincipalArns: ['arn:aws:iam::*:role/admin'] }),
        field: 'adminPrincipalArns[0]',
        value: "got 'arn:aws:iam::*:role/admin'",
        allowed: ROLE_ARN,
      },
      {
        title: 'a bare wildcard',
        raw: top({ adminPrincipalArns: ['*'] }),
        field: 'adminPrincipalArns[0]',
        value: "got '*'",
        allowed: ROLE_ARN,
      },
      {
        title: 'a role name, not an ARN',
        raw: top({ adminPrincipalArns: ['break-glass'] }),
        field: 'adminPrincipalArns[0]',
        value: "got 'break-glass'",
        allowed: ROLE_ARN,
      },
      {
        title: 'a number',
        raw: top({ adminPrincipalArns: [42] }),
        field: 'adminPrincipalArns[0]',
        value: 'got 42',
        allowed: ROLE_ARN,
      },
      {
        title: 'every role of the account',
        raw: top({
          adminPrincipalArns: ['arn:aws:iam::111122223333:role/break-glass', 'arn:aws:iam::111122223333:role/*'],
        }),
        field: 'adminPrincipalArns[1]',
        value: "got 'arn:aws:iam::111122223333:role/*'",
        allowed: 'must name the break-glass roles (a wildcard may follow a fixed name or path)',
      },
    ])('$title', (bad) => expectOnlyProblem(bad));
  });

  test('reports every problem at once, one line each, in one error', () => {
    const raw = asFile({
      ...plain(),
      platformName: 'BAD',
      network: { cidr: '10.40.1.0/16', maxAzs: 0 },
      logRetentionDays: 366,
      workloads: [
        { name: 'fraud-scoring', kind: 'realtime-inference', instanceType: 'ml.m5.xlarge', compute: IMAGE },
        { name: 'doc-finetune', kind: 'batch', instanceType: 'ml.g5.2xlarge' },
        { name: 'support-agent', kind: 'agent', invokes: ['nobody'], instanceType: 'g5.xlarge' },
      ],
    });
    let error: unknown;
    try {
      validatePlatformConfig(raw, 'platform.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const e = error as ConfigValidationError;
    expect(e.name).toBe('ConfigValidationError');
    expect(e.source).toBe('platform.yaml');
    expect(e.problems.map((p) => p.split(':')[0])).toEqual([
      'platformName',
      'network.cidr',
      'network.maxAzs',
      'logRetentionDays',
      'workloads[0].instanceType',
      'workloads[1].instanceType',
      'workloads[2].instanceType',
      'workloads[2].invokes[0]',
    ]);
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('Invalid platform configuration (platform.yaml):');
    expect(lines.slice(1)).toEqual(e.problems.map((p) => `  - ${p}`));
  });
});

describe('loadPlatformConfig', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-config-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  const write = (name: string, text: string): string => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, text);
    return file;
  };

  /** The one problem a file is rejected with (it must be a one-line reason). */
  function onlyProblemOf(file: string): string {
    let error: unknown;
    try {
      loadPlatformConfig(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const { problems, source } = error as ConfigValidationError;
    expect(source).toBe(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).not.toContain('\n');
    return problems[0];
  }

  const YAML_FIXTURE: PlatformConfig = {
    platformName: 'acme-ai',
    profile: 'dev',
    env: undefined,
    network: {
      cidr: '10.60.0.0/18',
      maxAzs: 2,
      gpuTierCidrMask: 21,
      endpointsTierCidrMask: 25,
      dataTierCidrMask: 24,
      openInternetEgress: false,
      s3PrefixListId: undefined,
    },
    logRetentionDays: 731,
    adminPrincipalArns: ['arn:aws:iam::111122223333:role/break-glass'],
    workloads: [
      {
        name: 'claims-model',
        kind: 'realtime-inference',
        description: 'Real-time claims triage model',
        instanceType: 'ml.g6.2xlarge',
        invokes: [],
        compute: {
          imageDigest: 'sha256:3f4c2e1d0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d',
          model: { name: 'claims-triage', version: '2.1.0' },
          minInstances: 2,
          maxInstances: 4,
        },
      },
      {
        name: 'claims-tuning',
        kind: 'batch',
        description: 'Nightly fine-tuning of the claims model',
        instanceType: 'g6e.12xlarge',
        invokes: [],
      },
      {
        name: 'claims-agent',
        kind: 'agent',
        description: 'Agent that asks the claims model',
        instanceType: undefined,
        invokes: ['claims-model'],
      },
    ],
  };

  test('with no path or an empty one (-c config=), the embedded default', () => {
    expect(loadPlatformConfig()).toEqual(normalisedDefault());
    expect(loadPlatformConfig('')).toEqual(normalisedDefault());
  });

  test('a YAML file replaces the default', () => {
    expect(loadPlatformConfig(path.join(FIXTURES, 'platform.yaml'))).toEqual(YAML_FIXTURE);
  });

  test('a .yml file and a relative path load the same', () => {
    const yml = write('platform.yml', fs.readFileSync(path.join(FIXTURES, 'platform.yaml'), 'utf8'));
    expect(loadPlatformConfig(yml)).toEqual(YAML_FIXTURE);
    expect(loadPlatformConfig(path.relative(process.cwd(), yml))).toEqual(YAML_FIXTURE);
  });

  test('a YAML file with a byte-order mark loads', () => {
    const bom = write('bom.yaml', `\uFEFF${fs.readFileSync(path.join(FIXTURES, 'platform.yaml'), 'utf8')}`);
    expect(loadPlatformConfig(bom)).toEqual(YAML_FIXTURE);
  });

  test('a JSON file replaces the default', () => {
    const config = loadPlatformConfig(path.join(FIXTURES, 'platform.json'));
    expect(config.platformName).toBe('beta-ml');
    expect(config.profile).toBe('production');
    expect(config.env).toEqual({ account: '444455556666', region: 'eu-central-1' });
    expect(config.network).toMatchObject({ cidr: '10.80.0.0/20', maxAzs: 3, gpuTierCidrMask: 23 });
    expect(config.logRetentionDays).toBe(90);
    expect(config.adminPrincipalArns).toEqual([]);
    expect(config.workloads.map((w) => [w.name, w.kind, w.instanceType ?? null, w.invokes])).toEqual([
      ['vision-model', 'realtime-inference', 'ml.g5.xlarge', []],
      ['ranker', 'realtime-inference', 'ml.inf2.xlarge', []],
      ['vision-train', 'batch', 'p4d.24xlarge', []],
      ['shop-agent', 'agent', null, ['vision-model', 'ranker']],
    ]);
  });

  test('a file that does not exist', () => {
    const missing = path.join(tmp, 'missing.yaml');
    expect(onlyProblemOf(missing)).toBe(`cannot read the config file ${missing}: ENOENT (no such file)`);
  });

  test('a directory', () => {
    const dir = path.join(tmp, 'dir.yaml');
    fs.mkdirSync(dir);
    expect(onlyProblemOf(dir)).toBe(`cannot read the config file ${dir}: EISDIR (a directory, not a file)`);
  });

  test.each([
    ['platform.txt', "got '.txt'"],
    ['platform.yaml.bak', "got '.bak'"],
    ['platform', "got '(no extension)'"],
  ])('a wrong extension (%s)', (name, got) => {
    const file = write(name, fs.readFileSync(path.join(FIXTURES, 'platform.yaml'), 'utf8'));
    expect(onlyProblemOf(file)).toBe(`the config file must end in .json, .yaml or .yml, ${got}`);
  });

  test.each([
    ['an unclosed flow sequence', 'workloads: [unclosed\n'],
    ['a tab for indentation', 'network:\n\tcidr: 10.40.0.0/16\n'],
    ['two documents', 'platformName: one\n---\nplatformName: two\n'],
  ])('unparsable YAML: %s', (_title, text) => {
    expect(onlyProblemOf(write('broken.yaml', text))).toMatch(/^cannot parse the file as YAML: \S/);
  });

  test.each([
    ['YAML', 'broken.yaml', 'platformName: one\nplatformName: two\nworkloads: [{ name: tuner, kind: agent }]\n'],
    [
      'JSON',
      'broken.json',
      '{ "platformName": "one", "platformName": "two", "workloads": [{ "name": "tuner", "kind": "agent" }] }',
    ],
  ])('a duplicate key (%s) is named as the field it is', (_title, name, text) => {
    expect(onlyProblemOf(write(name, text))).toBe(
      'platformName: given twice in the same mapping; give each field once',
    );
  });

  test.each([
    ['a missing value', '{ "platformName": }'],
    ['a trailing comma', '{ "platformName": "acme", }'],
    ['YAML in a .json file', 'platformName: acme\n'],
    ['an empty file', ''],
  ])('unparsable JSON: %s', (_title, text) => {
    expect(onlyProblemOf(write('broken.json', text))).toMatch(/^cannot parse the file as JSON: \S/);
  });

  test('an empty YAML file is not a configuration', () => {
    expect(onlyProblemOf(write('empty.yaml', ''))).toBe('the configuration must be an object, got null');
  });

  test("a valid YAML file with bad values names the file and each field (an unquoted account is a number, 'yes' a string)", () => {
    const file = write(
      'values.yaml',
      ['env:', '  account: 111122223333', 'network:', '  openInternetEgress: yes', 'workloads:', ''].join('\n'),
    );
    let error: unknown;
    try {
      loadPlatformConfig(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).source).toBe(file);
    expect((error as ConfigValidationError).problems).toEqual([
      'env.account: must be a 12-digit AWS account id, got 111122223333',
      "network.openInternetEgress: must be true or false, got 'yes'",
      'workloads: must be a list, got null',
    ]);
    expect((error as ConfigValidationError).message.split('\n')[0]).toBe(`Invalid platform configuration (${file}):`);
  });

  test('a context value that is not a path', () => {
    expect(() => loadPlatformConfig(5 as unknown as string)).toThrow(
      new ConfigValidationError('-c config', ['config: must be the path of a .json, .yaml or .yml file, got 5']),
    );
  });
});
