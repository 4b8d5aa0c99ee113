import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SAGEMAKER_EXECUTION_ROLE_PATH } from '../../../constructs/inference';
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES } from '../../../lib/config/names';
import { PlatformConfig } from '../../../lib/config/platform-config';
import { buildPlatform, Platform } from '../../../lib/platform-app';
import { PLACEHOLDER_IMAGE_DIGEST, validateComputeConfig, WorkloadCompute } from '../../../lib/workloads/compute';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp } from '../../helpers/stacks';

const DIGEST = `sha256:${'c'.repeat(64)}`;
const URI = `111122223333.dkr.ecr.eu-west-1.amazonaws.com/models/fraud@${DIGEST}`;
const MODEL = { name: 'fraud-model', version: '1' };
const SEGMENT_RULE =
  'must be 1-128 characters of letters, digits, ".", "_", "+" or "-", starting with a letter or digit';

test('lib/config/names.ts names SageMaker execution roles under the path the endpoint construct puts them', () => {
  expect(SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES).toBe(SAGEMAKER_EXECUTION_ROLE_PATH);
});

describe('validateComputeConfig', () => {
  const realtime = (compute?: unknown) => ({ name: 'fraud-scoring', kind: 'realtime-inference', compute });
  const batch = (compute?: unknown) => ({ name: 'doc-finetune', kind: 'batch', compute });

  test.each([
    [
      'a realtime workload with an image in its platform repository and its model',
      realtime({ imageDigest: DIGEST, model: MODEL }),
    ],
    [
      'a realtime workload with a pinned ECR URI and counts',
      realtime({ imageUri: URI, model: MODEL, minInstances: 2, maxInstances: 6 }),
    ],
    [
      'a realtime workload with a semver model version with build metadata',
      realtime({ imageDigest: DIGEST, model: { name: 'Fraud_Model.v2', version: '1.2.0+build.7' } }),
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
    [
      realtime(),
      "workloads[0].compute: a 'realtime-inference' workload needs compute.imageDigest (the image in its platform repository, 'sha256:<64 hex>') or compute.imageUri, and compute.model (the approved model it serves, { name, version }); got no compute",
    ],
    [realtime({ model: MODEL }), 'workloads[0].compute: set exactly one of imageDigest and imageUri, got neither'],
    [
      realtime({ imageDigest: DIGEST, imageUri: URI, model: MODEL }),
      'workloads[0].compute: set exactly one of imageDigest and imageUri, got both',
    ],
    [
      realtime({ imageDigest: DIGEST }),
      "workloads[0].compute.model: a 'realtime-inference' workload needs the approved model it serves, { name: 'fraud-model', version: '1' }; the endpoint loads approved/fraud-scoring/<name>/<version>/files/, which the admission gate writes; got none",
    ],
    [
      realtime({ imageDigest: DIGEST, model: 'fraud-model/1' }),
      "workloads[0].compute.model: must be an object { name: 'fraud-model', version: '1' }, got 'fraud-model/1'",
    ],
    [
      realtime({ imageDigest: DIGEST, model: { name: 'fraud-model' } }),
      "workloads[0].compute.model.version: required (e.g. { name: 'fraud-model', version: '1' }), got none",
    ],
    [
      realtime({ imageDigest: DIGEST, model: { ...MODEL, key: 'model.tar.gz' } }),
      'workloads[0].compute.model.key: unknown field; allowed fields of workloads[0].compute.model: name, version',
    ],
    [
      realtime({ imageDigest: DIGEST, model: { name: '..', version: '1' } }),
      `workloads[0].compute.model.name: ${SEGMENT_RULE} (one key segment of approved/<workload>/<model>/<version>/files/, the admission gate's rule), got '..'`,
    ],
    [
      realtime({ imageDigest: DIGEST, model: { name: 'fraud-model', version: '1/../../claims' } }),
      `workloads[0].compute.model.version: ${SEGMENT_RULE} (one key segment of approved/<workload>/<model>/<version>/files/, the admission gate's rule), got '1/../../claims'`,
    ],
    [
      realtime({ imageDigest: DIGEST, model: { name: 'fraud-model', version: 1 } }),
      `workloads[0].compute.model.version: must be a string (quote it in YAML: '1') (one key segment of approved/<workload>/<model>/<version>/files/, the admission gate's rule), got 1`,
    ],
    [
      realtime({ imageDigest: DIGEST, model: MODEL, modelDataKey: 'approved/fraud-scoring/model.tar.gz' }),
      "workloads[0].compute.modelDataKey: unknown field for a 'realtime-inference' workload; allowed fields of workloads[0].compute: imageDigest, imageUri, model, minInstances, maxInstances",
    ],
    [
      realtime({ imageDigest: 'latest', model: MODEL }),
      "workloads[0].compute.imageDigest: must be an image digest 'sha256:' followed by 64 lower-case hex digits (a tag is not accepted), got 'latest'",
    ],
    [
      realtime({ imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/models/fraud:v1', model: MODEL }),
      'workloads[0].compute.imageUri: must be a private ECR image pinned by digest',
    ],
    [
      realtime({ imageDigest: DIGEST, model: MODEL, minInstances: 0 }),
      'workloads[0].compute.minInstances: must be an integer from 1 to 100, got 0',
    ],
    [
      realtime({ imageDigest: DIGEST, model: MODEL, maxInstances: 1 }),
      'workloads[0].compute.maxInstances: must be >= minInstances (2, the default), got 1',
    ],
    [
      realtime({ imageDigest: DIGEST, model: MODEL, minInstances: 4, maxInstances: 3 }),
      'workloads[0].compute.maxInstances: must be >= minInstances (4), got 3',
    ],
    [
      realtime({ imageDigest: DIGEST, model: MODEL, amiId: 'ami-0123456789abcdef0' }),
      "workloads[0].compute.amiId: unknown field for a 'realtime-inference' workload",
    ],
    [
      batch({ model: MODEL }),
      "workloads[0].compute.model: unknown field for a 'batch' workload; allowed fields of workloads[0].compute: minInstances, maxInstances, amiId",
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
      "workloads[0].compute: an 'agent' workload has no compute; remove it, got {}",
    ],
  ])('%j: %s', (workload, problem) => {
    const problems = validateComputeConfig(workload, 'workloads[0]');
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(problem)]));
  });

  test('a realtime workload without a model gets exactly one problem, naming the field', () => {
    expect(validateComputeConfig(realtime({ imageDigest: DIGEST }), 'workloads[0]')).toEqual([
      expect.stringMatching(
        /^workloads\[0\]\.compute\.model: a 'realtime-inference' workload needs the approved model/,
      ),
    ]);
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
        w.kind === 'realtime-inference'
          ? { ...w, compute: { imageDigest: PLACEHOLDER_IMAGE_DIGEST, model: { name: 'fraud-model', version: '1' } } }
          : w,
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
        ModelDataSource: {
          S3DataSource: {
            S3Uri: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/approved/fraud-scoring/fraud-model/1/files/']] },
            S3DataType: 'S3Prefix',
            CompressionType: 'None',
          },
        },
        Image: { 'Fn::Join': ['', Match.arrayWith([`@${PLACEHOLDER_IMAGE_DIGEST}`])] },
      }),
    });
    expect(endpoint!.modelDataPrefix).toBe('approved/fraud-scoring/fraud-model/1/files/');
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

  test('workload roles carry their fixed names; the real-time role sits under the SageMaker execution-role path', () => {
    const role = (workload: string) =>
      Object.values(Template.fromStack(platform.workloads.get(workload)!).findResources('AWS::IAM::Role'))[0] as any;
    expect(role('fraud-scoring').Properties).toMatchObject({
      RoleName: 'ztai-workload-fraud-scoring',
      Path: '/ztai/sagemaker-execution/',
    });
    expect(role('doc-finetune').Properties).toMatchObject({ RoleName: 'ztai-workload-doc-finetune', Path: '/' });
    expect(role('support-agent').Properties).toMatchObject({ RoleName: 'ztai-workload-support-agent', Path: '/' });
  });

  test('the release role (by its known ARN) may push to every workload repository; no workload may', () => {
    const template = Template.fromStack(platform.platform);
    const releaseArn = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':iam::',
          { Ref: 'AWS::AccountId' },
          ':role/ztai/model-signer/ztai-model-release',
        ],
      ],
    };
    const repositories = Object.values(template.findResources('AWS::ECR::Repository')) as any[];
    expect(repositories).toHaveLength(2);
    for (const repository of repositories) {
      const push = repository.Properties.RepositoryPolicyText.Statement.find(
        (s: any) => s.Sid === 'PushOnlyByNamedReleaseRoles',
      );
      expect(push).toEqual({
        Sid: 'PushOnlyByNamedReleaseRoles',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: ['ecr:CompleteLayerUpload', 'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UploadLayerPart'],
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [releaseArn] } },
      });
      const pull = repository.Properties.RepositoryPolicyText.Statement.find(
        (s: any) => s.Sid === 'PullOnlyByNamedPlatformRoles',
      );
      expect(pull.Condition.ArnNotEquals).toEqual({ 'aws:PrincipalArn': [releaseArn] });
    }
  });

  test('the agent gets no compute', () => {
    expect(computes.get('support-agent')).toEqual({});
  });

  test('all five nag packs are clean on every stack of the app', () => {
    expect(describeFindings(nagFindings(platform.platform.node.root))).toBe('');
  });
});
