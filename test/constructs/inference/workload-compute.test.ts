import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { PlatformConfig } from '../../../lib/config/platform-config';
import { buildPlatform, Platform } from '../../../lib/platform-app';
import { PLACEHOLDER_IMAGE_DIGEST, validateComputeConfig, WorkloadCompute } from '../../../lib/workloads/compute';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp } from '../../helpers/stacks';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const URI = `111122223333.dkr.ecr.eu-west-1.amazonaws.com/models/fraud@${DIGEST}`;

describe('validateComputeConfig', () => {
  const realtime = (compute?: unknown) => ({ name: 'fraud-scoring', kind: 'realtime-inference', compute });
  const batch = (compute?: unknown) => ({ name: 'doc-finetune', kind: 'batch', compute });

  test.each([
    ['a realtime workload with an image in its platform repository', realtime({ imageDigest: DIGEST })],
    [
      'a realtime workload with a pinned ECR URI and counts',
      realtime({ imageUri: URI, minInstances: 2, maxInstances: 6 }),
    ],
    [
      'a realtime workload with its model key',
      realtime({ imageDigest: DIGEST, modelDataKey: 'approved/fraud-scoring/v3/model.tar.gz' }),
    ],
    ['a batch workload with defaults', batch()],
    [
      'a batch workload with a pinned AMI and min 0',
      batch({ amiId: 'ami-0123456789abcdef0', minInstances: 0, maxInstances: 4 }),
    ],
    ['an agent without compute', { name: 'support-agent', kind: 'agent' }],
  ])('accepts %s', (_title, workload) => {
    expect(validateComputeConfig(workload, 'workloads[0]')).toEqual([]);
  });

  test.each([
    [realtime(), "workloads[0].compute: a 'realtime-inference' workload needs compute.imageDigest"],
    [realtime({}), 'workloads[0].compute: set exactly one of imageDigest and imageUri, got neither'],
    [
      realtime({ imageDigest: DIGEST, imageUri: URI }),
      'workloads[0].compute: set exactly one of imageDigest and imageUri, got both',
    ],
    [
      realtime({ imageDigest: 'latest' }),
      "workloads[0].compute.imageDigest: must be an image digest 'sha256:' followed by 64 lower-case hex digits (a tag is not accepted), got 'latest'",
    ],
    [
      realtime({ imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/models/fraud:v1' }),
      'workloads[0].compute.imageUri: must be a private ECR image pinned by digest',
    ],
    [
      realtime({ imageDigest: DIGEST, modelDataKey: 'approved/other/model.tar.gz' }),
      "workloads[0].compute.modelDataKey: must be an object key under the workload's approved-model prefix 'approved/fraud-scoring/'",
    ],
    [
      realtime({ imageDigest: DIGEST, modelDataKey: 'approved/fraud-scoring/../x' }),
      'workloads[0].compute.modelDataKey',
    ],
    [
      realtime({ imageDigest: DIGEST, minInstances: 0 }),
      'workloads[0].compute.minInstances: must be an integer from 1 to 100, got 0',
    ],
    [
      realtime({ imageDigest: DIGEST, maxInstances: 1 }),
      'workloads[0].compute.maxInstances: must be >= minInstances (2, the default), got 1',
    ],
    [
      realtime({ imageDigest: DIGEST, minInstances: 4, maxInstances: 3 }),
      'workloads[0].compute.maxInstances: must be >= minInstances (4), got 3',
    ],
    [
      realtime({ imageDigest: DIGEST, amiId: 'ami-0123456789abcdef0' }),
      "workloads[0].compute.amiId: unknown field for a 'realtime-inference' workload",
    ],
    [
      batch({ modelDataKey: 'approved/doc-finetune/m' }),
      "workloads[0].compute.modelDataKey: unknown field for a 'batch' workload; allowed fields of workloads[0].compute: minInstances, maxInstances, amiId",
    ],
    [
      batch({ amiId: 'ami-1' }),
      "workloads[0].compute.amiId: must be an AMI id such as 'ami-0123456789abcdef0', got 'ami-1'",
    ],
    [
      batch({ minInstances: 2, maxInstances: 1 }),
      'workloads[0].compute.maxInstances: must be >= minInstances (2), got 1',
    ],
    [batch('fleet'), "workloads[0].compute: must be an object, got 'fleet'"],
    [
      { name: 'support-agent', kind: 'agent', compute: {} },
      "workloads[0].compute: only 'realtime-inference' and 'batch' workloads have compute; remove it (kind is 'agent')",
    ],
  ])('%j: %s', (workload, problem) => {
    const problems = validateComputeConfig(workload, 'workloads[0]');
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
  });
});

describe('addWorkloadCompute on the reference app', () => {
  let platform: Platform;
  let computes: ReadonlyMap<string, WorkloadCompute>;

  beforeAll(() => {
    const app = newApp();
    const config = {
      ...DEFAULT_PLATFORM_CONFIG,
      workloads: DEFAULT_PLATFORM_CONFIG.workloads.map((w) =>
        w.kind === 'realtime-inference' ? { ...w, compute: { imageDigest: PLACEHOLDER_IMAGE_DIGEST } } : w,
      ),
    } as unknown as PlatformConfig;
    platform = buildPlatform(app, config);
    computes = platform.computes;
  });

  test('the agent has no SageMaker permission: it reaches the model only through the API', () => {
    const template = Template.fromStack(platform.workloads.get('support-agent')!);
    const actions = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: any) => [s.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('sagemaker:'))).toEqual([]);
    expect(platform.api).toBeDefined();
  });

  test('the realtime workload gets a SageMaker endpoint on its GPU type, pinned to its repository image', () => {
    const { endpoint, fleet, repository } = computes.get('fraud-scoring')!;
    expect(fleet).toBeUndefined();
    expect(endpoint!.endpointName).toBe('ztai-workload-fraud-scoring-endpoint');
    const template = Template.fromStack(platform.workloads.get('fraud-scoring')!);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.inf2.xlarge', InitialInstanceCount: 2 })],
      KmsKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      PrimaryContainer: Match.objectLike({
        ModelDataUrl: Match.objectLike({}),
        Image: { 'Fn::Join': ['', Match.arrayWith([`@${PLACEHOLDER_IMAGE_DIGEST}`])] },
      }),
    });
    expect(repository!.node.path).toBe('ztai-platform/WorkloadImages/fraud-scoring');
    expect(repository!.pullWorkloadNames).toEqual(['fraud-scoring']);
  });

  test('the placeholder digest is reported as information (synth works without Docker; deploy needs a real image)', () => {
    Annotations.fromStack(platform.workloads.get('fraud-scoring')!).hasInfo(
      '/ztai-workload-fraud-scoring',
      Match.stringLikeRegexp('ztai:placeholder-image-digest'),
    );
  });

  test('the batch workload gets a GPU fleet with min 0, and may pull from its own repository only', () => {
    const { endpoint, fleet, repository } = computes.get('doc-finetune')!;
    expect(endpoint).toBeUndefined();
    expect(fleet).toBeDefined();
    const template = Template.fromStack(platform.workloads.get('doc-finetune')!);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '0' });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ InstanceType: 'g5.2xlarge' }),
    });
    expect(repository!.pullWorkloadNames).toEqual(['doc-finetune']);
  });

  test('the platform stack holds one repository per compute workload, named <platform stack>/<workload>', () => {
    const template = Template.fromStack(platform.platform);
    const names = Object.values(template.findResources('AWS::ECR::Repository')).map(
      (r: any) => r.Properties.RepositoryName,
    );
    expect(names.sort()).toEqual(['ztai-platform/doc-finetune', 'ztai-platform/fraud-scoring']);
  });

  test('the agent gets no compute', () => {
    expect(computes.get('support-agent')).toEqual({});
  });

  test('all five nag packs are clean on every stack of the app', () => {
    expect(describeFindings(nagFindings(platform.platform.node.root))).toBe('');
  });
});
