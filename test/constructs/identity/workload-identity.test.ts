import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  EncryptedBucket,
  PlatformPermissionsBoundary,
  WORKLOAD_TAG_KEY,
  WorkloadIdentity,
  WorkloadPrincipal,
} from '../../../constructs';
import * as perms from '../../../constructs/private/perms';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp, newStack, resourcesOfType } from '../../helpers/stacks';

describe('WorkloadIdentity', () => {
  test('trusts only its service, in this account, with one-hour sessions and the workload tag', () => {
    const { stack } = newStack();
    new WorkloadIdentity(stack, 'Fraud', {
      workloadName: 'fraud',
      runsAs: WorkloadPrincipal.SAGEMAKER,
      sourceArn: 'arn:aws:sagemaker:*:*:endpoint/fraud-*',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'sagemaker.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': 'arn:aws:sagemaker:*:*:endpoint/fraud-*' },
            },
          },
        ],
      },
      Tags: Match.arrayWith([{ Key: WORKLOAD_TAG_KEY, Value: 'fraud' }]),
    });
  });

  test('an EC2 fleet role carries no SourceAccount condition EC2 would not send', () => {
    const { stack } = newStack();
    new WorkloadIdentity(stack, 'Batch', { workloadName: 'batch', runsAs: WorkloadPrincipal.EC2 });
    const [, role] = resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::IAM::Role')[0];
    expect(role.Properties!.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'ec2.amazonaws.com' } },
    ]);
  });

  test('has no policy until it is granted something', () => {
    const { stack } = newStack();
    new WorkloadIdentity(stack, 'Agent', { workloadName: 'agent', runsAs: WorkloadPrincipal.LAMBDA });
    const json = Template.fromStack(stack).toJSON();
    expect(resourcesOfType(json, 'AWS::IAM::ManagedPolicy')).toEqual([]);
    expect(resourcesOfType(json, 'AWS::IAM::Policy')).toEqual([]);
  });

  test.each(['Fraud', 'f', '1fraud', 'fraud_scoring', 'a'.repeat(33)])('rejects the workload name %j', (name) => {
    const { stack } = newStack();
    expect(() => new WorkloadIdentity(stack, 'W', { workloadName: name, runsAs: WorkloadPrincipal.LAMBDA })).toThrow(
      new RegExp(`workloadName must be 2-32 characters .* got '${name}'`),
    );
  });

  test('takes a fixed role name and path, so other stacks can name its ARN before it exists', () => {
    const { stack } = newStack();
    const identity = new WorkloadIdentity(stack, 'Fraud', {
      workloadName: 'fraud-scoring',
      runsAs: WorkloadPrincipal.SAGEMAKER,
      roleName: 'ztai-workload-fraud-scoring',
      rolePath: '/ztai/sagemaker-execution/',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ztai-workload-fraud-scoring',
      Path: '/ztai/sagemaker-execution/',
    });
    expect(stack.resolve(identity.role.roleName)).toEqual({ Ref: expect.stringMatching(/^Fraud/) });
  });

  test('without a name or path, CloudFormation names the role under /', () => {
    const { stack } = newStack();
    new WorkloadIdentity(stack, 'Agent', { workloadName: 'agent', runsAs: WorkloadPrincipal.LAMBDA });
    const [, role] = resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::IAM::Role')[0];
    expect(role.Properties!.RoleName).toBeUndefined();
    expect(role.Properties!.Path).toBeUndefined();
  });

  test('accepts a 64-character role name (the IAM limit)', () => {
    const { stack } = newStack();
    const roleName = `ztai-workload-${'w'.repeat(50)}`;
    expect(roleName).toHaveLength(64);
    new WorkloadIdentity(stack, 'W', { workloadName: 'w1', runsAs: WorkloadPrincipal.LAMBDA, roleName });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { RoleName: roleName });
  });

  test.each([
    [
      `ztai-workload-${'w'.repeat(51)}`,
      /roleName must be an IAM role name: 1-64 letters, digits and '\+=,\.@_-', got '.*' \(65 characters\)/,
    ],
    ['', /roleName must be an IAM role name: .*got ''/],
    ['ztai/workload', /roleName must be an IAM role name: .*got 'ztai\/workload'/],
    ['ztai workload', /roleName must be an IAM role name: .*got 'ztai workload'/],
  ])('rejects the role name %j', (roleName, message) => {
    const { stack } = newStack();
    expect(
      () => new WorkloadIdentity(stack, 'W', { workloadName: 'w1', runsAs: WorkloadPrincipal.LAMBDA, roleName }),
    ).toThrow(message);
  });

  test.each(['ztai/', '/ztai', '//', '/ztai//x/', '/ztai workload/', `/${'p'.repeat(511)}/`])(
    'rejects the role path %j',
    (rolePath) => {
      const { stack } = newStack();
      expect(
        () => new WorkloadIdentity(stack, 'W', { workloadName: 'w1', runsAs: WorkloadPrincipal.LAMBDA, rolePath }),
      ).toThrow(
        /rolePath must be '\/' or '\/segment\/...\/' of letters, digits and '\+=,\.@_-' \(at most 512 characters\), got/,
      );
    },
  );

  test('rejects a sourceArn for a service that does not send one', () => {
    const { stack } = newStack();
    expect(
      () =>
        new WorkloadIdentity(stack, 'W', {
          workloadName: 'w1',
          runsAs: WorkloadPrincipal.EC2,
          sourceArn: 'arn:aws:ec2:*',
        }),
    ).toThrow(/ec2.amazonaws.com does not send aws:SourceArn/);
  });

  test('rejects a malformed service principal', () => {
    expect(() => WorkloadPrincipal.of('sagemaker', true)).toThrow(
      /must be an AWS service principal .* got 'sagemaker'/,
    );
  });
});

describe('PlatformPermissionsBoundary', () => {
  let platform: Stack;
  let workload: Stack;
  let boundaryDoc: any;
  let boundary: PlatformPermissionsBoundary;

  beforeAll(() => {
    const app = newApp();
    platform = new Stack(app, 'Platform');
    workload = new Stack(app, 'Workload');
    boundary = new PlatformPermissionsBoundary(platform, 'Boundary', { boundaryName: 'acme-boundary' });
    const bucket = new EncryptedBucket(platform, 'Data');
    boundary.capToBuckets(bucket.bucket);
    boundary.capToKeys(bucket.encryptionKey);
    // A role made by the workload, one made by another L2 construct, and CDK's own custom-resource role.
    new WorkloadIdentity(workload, 'Fraud', { workloadName: 'fraud', runsAs: WorkloadPrincipal.SAGEMAKER });
    new iam.Role(platform, 'Other', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new ec2.Vpc(platform, 'Vpc', {
      natGateways: 0,
      maxAzs: 1,
      subnetConfiguration: [],
      restrictDefaultSecurityGroup: true,
    });
    boundary.applyTo(app);
    boundaryDoc = resourcesOfType(Template.fromStack(platform).toJSON(), 'AWS::IAM::ManagedPolicy')[0][1].Properties!;
  });

  test('bounds every role in every stack, including custom-resource provider roles, with one-hour sessions', () => {
    const platformRoles = resourcesOfType(Template.fromStack(platform).toJSON(), 'AWS::IAM::Role');
    expect(platformRoles.length).toBeGreaterThanOrEqual(2);
    expect(platformRoles.map(([id]) => id).join()).toContain('CustomVpcRestrictDefaultSGCustomResourceProviderRole');
    for (const [, role] of platformRoles) {
      expect(role.Properties!.PermissionsBoundary).toEqual({ Ref: expect.stringMatching(/^Boundary/) });
      expect(role.Properties!.MaxSessionDuration).toBe(3600);
    }
    const [, workloadRole] = resourcesOfType(Template.fromStack(workload).toJSON(), 'AWS::IAM::Role')[0];
    expect(workloadRole.Properties!.PermissionsBoundary).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':policy/acme-boundary'],
      ],
    });
    expect(workload.dependencies).toContain(platform);
  });

  test('is named, and denies privilege escalation, key and bucket tampering, and audit tampering', () => {
    expect(boundaryDoc.ManagedPolicyName).toBe('acme-boundary');
    const denied = boundaryDoc.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Deny').flatMap(
      (s: any) => s.Action,
    );
    for (const action of [
      'iam:CreateRole',
      'iam:PutRolePolicy',
      'iam:DeleteRolePermissionsBoundary',
      'iam:PassRole',
      'kms:ScheduleKeyDeletion',
      'kms:PutKeyPolicy',
      's3:PutBucketPolicy',
      's3:DeleteBucketPolicy',
      's3:PutBucketPublicAccessBlock',
      'cloudtrail:StopLogging',
    ]) {
      const covers = (pattern: string) => new RegExp(`^${pattern.replace(/\*/g, '.*')}$`).test(action);
      expect({ action, denied: denied.some(covers) }).toEqual({ action, denied: true });
    }
  });

  test('lists exact actions (no service:* wildcards) and caps S3 and KMS to the platform’s buckets and keys', () => {
    const allows = boundaryDoc.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Allow');
    for (const s of allows) for (const a of [s.Action].flat()) expect(a).not.toMatch(/\*/);
    const s3 = allows.find((s: any) => s.Sid === 'PlatformBucketsOnly');
    expect(s3.Action).toEqual(perms.BOUNDARY_S3_CEILING);
    expect(JSON.stringify(s3.Resource)).toMatch(/DataF|Data[0-9A-F]{8}/);
    expect(JSON.stringify(allows.filter((s: any) => s.Sid !== 'PlatformBucketsOnly'))).not.toContain('s3:');
    const kmsStatement = allows.find((s: any) => s.Sid === 'PlatformKeysOnly');
    expect(kmsStatement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] });
  });

  test('passes every cdk-nag pack, acknowledging only its own Resource wildcards', () => {
    expect(describeFindings(nagFindings(boundary))).toBe('');
  });

  test('an explicit session longer than one hour is an error, not silently clamped', () => {
    const { app, stack } = newStack();
    const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
    new iam.Role(stack, 'Long', {
      assumedBy: new iam.AccountRootPrincipal(),
      maxSessionDuration: Duration.hours(4),
    });
    boundary.applyTo(app);
    expect(() => app.synth()).toThrow(/maxSessionDuration must be at most 3600 seconds on a platform role, got 14400/);
  });

  test.each([
    [['ec2:*'], /actions must be exact action names, without wildcards/],
    [[], /actions must be exact action names/],
  ])('permit rejects %j', (actions, message) => {
    const { stack } = newStack();
    expect(() => new PlatformPermissionsBoundary(stack, 'B').permit('Sid', actions)).toThrow(message);
  });

  test('rejects a malformed boundary name', () => {
    const { stack } = newStack();
    expect(() => new PlatformPermissionsBoundary(stack, 'B', { boundaryName: 'bad name' })).toThrow(
      /boundaryName must be 1-128 characters .* got 'bad name'/,
    );
  });
});
