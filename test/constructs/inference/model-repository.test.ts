import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ManagedPolicyPrincipal } from '../../../constructs/identity/managed-policy-principal';
import { ModelImageRepository } from '../../../constructs/inference';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { InferenceFixture, inferenceFixture, logicalIdOf, managedPolicyStatements } from './fixtures';

const PULL = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

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

  test('is encrypted with the platform key, has immutable tags, scans on push and is retained', () => {
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
    expect(repo.DeletionPolicy).toBe('Retain');
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

  test('the repository policy denies pulls to every principal not named by grantPull', () => {
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

  test('a repository nobody was granted denies every pull', () => {
    const images =
      template.findResources('AWS::ECR::Repository')[logicalIdOf(template, 'AWS::ECR::Repository', 'Images')];
    expect(images.Properties.RepositoryPolicyText.Statement).toEqual([
      { Sid: 'PullOnlyByNamedPlatformRoles', Effect: 'Deny', Principal: { AWS: '*' }, Action: PULL },
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
      RepositoryPolicyText: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: Match.absent() })] },
    });
  });
});
