import { Aws, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ManagedPolicyPrincipal } from '../../../constructs/identity/managed-policy-principal';
import { ModelImageRepository } from '../../../constructs/inference';
import { ACCOUNT, CfnResolver, evaluate, RoleUnderTest } from '../../helpers/iam-eval';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp } from '../../helpers/stacks';
import { InferenceFixture, inferenceFixture, logicalIdOf, managedPolicyStatements } from './fixtures';

const PULL = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];
/** What docker push does on the repository (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html). */
const PUSH = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
];
const UPLOAD = ['ecr:CompleteLayerUpload', 'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UploadLayerPart'];

describe('ModelImageRepository', () => {
  let f: InferenceFixture;
  let template: Template;
  let repo: any;
  let localRole: iam.Role;

  beforeAll(() => {
    f = inferenceFixture();
    const named = new ModelImageRepository(f.stack, 'Named', {
      encryptionKey: f.keys.models.key,
      repositoryName: 'ztai/fraud',
    });
    named.grantPull(f.sagemakerIdentity);
    named.grantPull(f.ec2Identity);
    localRole = new iam.Role(f.stack, 'Local', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    named.grantPull(new ManagedPolicyPrincipal(f.stack, localRole, 'LocalPolicy'));
    template = Template.fromStack(f.stack);
    repo = template.findResources('AWS::ECR::Repository')[logicalIdOf(template, 'AWS::ECR::Repository', 'Named')];
  });

  test('is encrypted with the platform key, has immutable tags, scans on push and is retained except when its own create rolls back', () => {
    expect(repo.Properties).toMatchObject({
      RepositoryName: 'ztai/fraud',
      EncryptionConfiguration: {
        EncryptionType: 'KMS',
        KmsKey: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::KMS::Key', 'KeysModels'), 'Arn'] },
      },
      ImageTagMutability: 'IMMUTABLE',
      ImageScanningConfiguration: { ScanOnPush: true },
      EmptyOnDelete: false,
    });
    // A fixed name: retained on delete and on update rollback, deleted when its own create rolls back.
    expect(repo.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(repo.UpdateReplacePolicy).toBe('Retain');
  });

  test('expires only untagged images (tagged images are pinned by digest and never expire)', () => {
    const rules = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
    expect(rules).toEqual([
      expect.objectContaining({
        selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 30, countUnit: 'days' },
        action: { type: 'expire' },
      }),
    ]);
  });

  test('the repository policy denies pulls to every principal not named by grantPull, and every push', () => {
    expect(repo.Properties.RepositoryPolicyText).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PullOnlyByNamedPlatformRoles',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: PULL,
          Condition: {
            StringNotEquals: { 'aws:PrincipalTag/ai-platform:workload': ['batch', 'fraud'] },
            ArnNotEquals: {
              'aws:PrincipalArn': [{ 'Fn::GetAtt': [logicalIdOf(template, 'AWS::IAM::Role', 'Local'), 'Arn'] }],
            },
          },
        },
        { Sid: 'PushOnlyByNamedReleaseRoles', Effect: 'Deny', Principal: { AWS: '*' }, Action: UPLOAD },
      ],
    });
  });

  test('grantPull allows the layer actions on this repository only, and the registry login', () => {
    const statements = managedPolicyStatements(template, 'Fraud');
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: PULL,
      Resource: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::ECR::Repository', 'Named'), 'Arn'] },
    });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' });
  });

  test('a repository nobody was granted denies every pull and every push', () => {
    const images =
      template.findResources('AWS::ECR::Repository')[logicalIdOf(template, 'AWS::ECR::Repository', 'Images')];
    expect(images.Properties.RepositoryPolicyText.Statement).toEqual([
      { Sid: 'PullOnlyByNamedPlatformRoles', Effect: 'Deny', Principal: { AWS: '*' }, Action: PULL },
      { Sid: 'PushOnlyByNamedReleaseRoles', Effect: 'Deny', Principal: { AWS: '*' }, Action: UPLOAD },
    ]);
  });

  test('all five nag packs are clean', () => {
    expect(describeFindings(nagFindings(f.stack))).toBe('');
  });

  test('a role of another stack cannot be named (it would make the platform stack depend on it)', () => {
    const other = inferenceFixture(f.app, 'Other');
    const role = new iam.Role(other.stack, 'Elsewhere', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const named = f.stack.node.findChild('Named') as ModelImageRepository;
    expect(() => named.grantPull(role)).toThrow(
      /grantPull: the grantee must be a WorkloadIdentity .* or a role of this stack/,
    );
  });

  test('invalid names and expiries are refused at synth', () => {
    expect(
      () => new ModelImageRepository(f.stack, 'Bad', { encryptionKey: f.keys.models.key, repositoryName: 'Fraud' }),
    ).toThrow(/repositoryName must be 2-256 lower-case letters, digits and '._-\/' .* got 'Fraud'/);
    expect(
      () =>
        new ModelImageRepository(f.stack, 'Bad2', {
          encryptionKey: f.keys.models.key,
          untaggedImageExpiry: Duration.hours(12),
        }),
    ).toThrow(/untaggedImageExpiry must be a whole number of days, at least 1, got 12 hours/);
  });
});

describe('ModelImageRepository in a fresh stack has no pull grants', () => {
  test('renders Match-able policy even without grants', () => {
    const f = inferenceFixture();
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::ECR::Repository', {
      RepositoryPolicyText: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Condition: Match.absent() }),
          Match.objectLike({ Effect: 'Deny', Condition: Match.absent() }),
        ],
      },
    });
  });
});

describe('ModelImageRepository.grantPush', () => {
  const RELEASE_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/ztai/model-signer/ztai-model-release`;
  let f: InferenceFixture;
  let template: Template;
  let repo: any;
  let localPusher: iam.Role;
  let resolver: CfnResolver;
  let repositoryArn: string;
  let repositoryPolicy: any;

  beforeAll(() => {
    const app = newApp();
    f = inferenceFixture(app);
    const named = new ModelImageRepository(f.stack, 'Named', {
      encryptionKey: f.keys.models.key,
      repositoryName: 'ztai-platform/fraud-scoring',
    });
    named.grantPull(f.sagemakerIdentity);
    // The release role as lib/workloads/compute.ts names it: imported by its known ARN, immutable.
    const release = iam.Role.fromRoleArn(
      f.stack,
      'ReleaseRoleRef',
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/ztai/model-signer/ztai-model-release`,
      { mutable: false },
    );
    named.grantPush(release);
    named.grantPush(release); // named once
    localPusher = new iam.Role(f.stack, 'LocalPusher', { assumedBy: new iam.AccountRootPrincipal() });
    named.grantPush(new ManagedPolicyPrincipal(f.stack, localPusher, 'LocalPusherPolicy'));
    template = Template.fromStack(f.stack);
    const repoId = logicalIdOf(template, 'AWS::ECR::Repository', 'Named');
    repo = template.findResources('AWS::ECR::Repository')[repoId];
    resolver = new CfnResolver(app);
    repositoryArn = resolver.resolve(f.stack.stackName, { 'Fn::GetAtt': [repoId, 'Arn'] });
    repositoryPolicy = resolver.resolve(f.stack.stackName, repo.Properties.RepositoryPolicyText);
  });

  test('the repository policy exempts the pushers, by ARN, from the pull deny and from the push deny', () => {
    const localArn = { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::IAM::Role', 'LocalPusher'), 'Arn'] };
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
    expect(repo.Properties.RepositoryPolicyText.Statement).toEqual([
      {
        Sid: 'PullOnlyByNamedPlatformRoles',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: PULL,
        Condition: {
          StringNotEquals: { 'aws:PrincipalTag/ai-platform:workload': ['fraud'] },
          ArnNotEquals: { 'aws:PrincipalArn': [releaseArn, localArn] },
        },
      },
      {
        Sid: 'PushOnlyByNamedReleaseRoles',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: UPLOAD,
        Condition: { ArnNotEquals: { 'aws:PrincipalArn': [releaseArn, localArn] } },
      },
    ]);
  });

  test('a pusher of this stack gets every docker push action on this repository only, and the registry login', () => {
    const statements = managedPolicyStatements(template, 'LocalPusher');
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: PUSH,
      Resource: { 'Fn::GetAtt': [logicalIdOf(template, 'AWS::ECR::Repository', 'Named'), 'Arn'] },
    });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' });
    expect(statements).toHaveLength(2);
  });

  /** A role whose own policy allows every push and pull action on every repository (the repository policy decides). */
  const principal = (roleArn: string, tags: Record<string, string> = {}): RoleUnderTest => ({
    roleArn,
    tags,
    identityPolicies: [
      {
        name: 'ecr-everything-it-needs',
        policy: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: [...PUSH, 'ecr:GetDownloadUrlForLayer'], Resource: '*' }],
        },
      },
    ],
  });
  const decide = (role: RoleUnderTest, action: string) =>
    evaluate({ role, action, resourceArn: repositoryArn, resourcePolicy: repositoryPolicy });

  test.each(PUSH)('the release role may %s (docker push), through the repository policy', async (action) => {
    await expect(decide(principal(RELEASE_ROLE_ARN), action)).resolves.toBe('Allowed');
  });

  test('the release role may also pull what it pushed', async () => {
    await expect(decide(principal(RELEASE_ROLE_ARN), 'ecr:GetDownloadUrlForLayer')).resolves.toBe('Allowed');
  });

  test.each(PUSH)('another role of the account, with the same identity policy, is denied %s', async (action) => {
    await expect(decide(principal(`arn:aws:iam::${ACCOUNT}:role/release/ci-runner`), action)).resolves.toBe(
      'ExplicitlyDenied',
    );
  });

  test.each(UPLOAD)('the pulling workload may not %s: pulling is not pushing', async (action) => {
    const workload = principal(`arn:aws:iam::${ACCOUNT}:role/ztai/sagemaker-execution/ztai-workload-fraud`, {
      'ai-platform:workload': 'fraud',
    });
    await expect(decide(workload, 'ecr:BatchGetImage')).resolves.toBe('Allowed');
    await expect(decide(workload, action)).resolves.toBe('ExplicitlyDenied');
  });

  test('a role named like the release role under another path is not the release role', async () => {
    await expect(decide(principal(`arn:aws:iam::${ACCOUNT}:role/ztai-model-release`), 'ecr:PutImage')).resolves.toBe(
      'ExplicitlyDenied',
    );
  });

  test('a workload role cannot be made a pusher', () => {
    const named = f.stack.node.findChild('Named') as ModelImageRepository;
    expect(() => named.grantPush(f.sagemakerIdentity)).toThrow(
      /grantPush: a workload role \('fraud'\) never pushes the images it runs; grant the release role/,
    );
  });

  test('a role of another stack cannot be named (it would make this stack depend on it)', () => {
    const other = inferenceFixture(f.app, 'OtherPush');
    const role = new iam.Role(other.stack, 'Elsewhere', { assumedBy: new iam.AccountRootPrincipal() });
    const named = f.stack.node.findChild('Named') as ModelImageRepository;
    expect(() => named.grantPush(role)).toThrow(
      /grantPush: the grantee must be a role of this stack or a role imported into it by ARN/,
    );
  });
});
