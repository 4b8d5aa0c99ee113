import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EncryptedBucket, WorkloadIdentity, WorkloadPrincipal } from '../../../constructs';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newStack, resourcesOfType } from '../../helpers/stacks';

/** The statements of the policy of the bucket whose logical id starts with `bucketIdPrefix` (and no longer prefix). */
function bucketPolicyStatements(stack: Stack, bucketIdPrefix: string): any[] {
  const json = Template.fromStack(stack).toJSON();
  const bucketIds = resourcesOfType(json, 'AWS::S3::Bucket').map(([id]) => id);
  const bucketId = bucketIds.find((id) => new RegExp(`^${bucketIdPrefix}[0-9A-F]{8}$`).test(id))!;
  const policy = resourcesOfType(json, 'AWS::S3::BucketPolicy').find(([, p]) => p.Properties!.Bucket.Ref === bucketId)!;
  return policy[1].Properties!.PolicyDocument.Statement;
}

function vpcEndpoint(stack: Stack): ec2.GatewayVpcEndpoint {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    maxAzs: 1,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  return vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
}

describe('EncryptedBucket with no props', () => {
  const { stack } = newStack();
  new EncryptedBucket(stack, 'Data');
  const template = Template.fromStack(stack);
  const json = template.toJSON();
  const [, bucket] = resourcesOfType(json, 'AWS::S3::Bucket').find(
    ([id]) => id.startsWith('DataAccessLogs') === false,
  )!;
  const statements = bucketPolicyStatements(stack, 'Data');

  test('encrypts with a customer key and S3 Bucket Keys', () => {
    expect(bucket.Properties!.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      {
        BucketKeyEnabled: true,
        ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: expect.anything() },
      },
    ]);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('blocks all public access, disables ACLs, versions and is retained', () => {
    expect(bucket.Properties!.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties!.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.Properties!.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  test('logs access to a dedicated SSE-S3 log bucket that is itself versioned, TLS-only and retained', () => {
    expect(bucket.Properties!.LoggingConfiguration.DestinationBucketName).toEqual({
      Ref: expect.stringMatching(/^DataAccessLogs/),
    });
    const [, logs] = resourcesOfType(json, 'AWS::S3::Bucket').find(([id]) => id.startsWith('DataAccessLogs'))!;
    expect(
      logs.Properties!.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: 'AES256',
    });
    expect(logs.Properties!.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(logs.DeletionPolicy).toBe('Retain');
    expect(JSON.stringify(bucketPolicyStatements(stack, 'DataAccessLogs'))).toContain('"aws:SecureTransport":"false"');
  });

  test('requires TLS 1.2 or later', () => {
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    );
  });

  test('denies uploads not encrypted with its own key', () => {
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:PutObject',
        Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:PutObject',
        Condition: {
          StringNotEqualsIfExists: {
            's3:x-amz-server-side-encryption-aws-kms-key-id': {
              'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'],
            },
          },
        },
      }),
    );
  });

  test('is not restricted to a network path unless asked', () => {
    expect(JSON.stringify(statements)).not.toContain('aws:SourceVpce');
  });

  test('passes every cdk-nag pack', () => {
    expect(describeFindings(nagFindings(stack))).toBe('');
  });
});

describe('EncryptedBucket requireVpcEndpoint', () => {
  test('denies data-plane requests that do not come through the endpoint, except AWS services and named admins', () => {
    const { stack } = newStack();
    const endpoint = vpcEndpoint(stack);
    new EncryptedBucket(stack, 'Data', {
      requireVpcEndpoint: endpoint,
      vpcEndpointExemptPrincipalArns: ['arn:aws:iam::111122223333:role/break-glass'],
    });
    const deny = bucketPolicyStatements(stack, 'Data').find(
      (s) => s.Sid === 'DenyDataAccessOutsideThePlatformVpcEndpoint',
    );
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Condition: {
        StringNotEquals: { 'aws:SourceVpce': { Ref: expect.stringMatching(/^VpcS3/) } },
        BoolIfExists: { 'aws:PrincipalIsAWSService': 'false', 'aws:ViaAWSService': 'false' },
        ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::111122223333:role/break-glass'] },
      },
    });
    // Bucket configuration stays reachable by CloudFormation: only data-plane actions are denied.
    expect(deny.Action).not.toContain('s3:*');
    expect(deny.Action).not.toContain('s3:PutBucketPolicy');
  });

  test.each([
    [
      { vpcEndpointExemptPrincipalArns: ['arn:aws:iam::111122223333:role/x'] },
      /exemptions only make sense with an endpoint restriction/,
    ],
    [
      { objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(1)) },
      /objectLockDefaultRetention is set but objectLockEnabled is not true/,
    ],
  ])('rejects %j', (props, message) => {
    const { stack } = newStack();
    expect(() => new EncryptedBucket(stack, 'Data', props)).toThrow(message);
  });

  test('rejects an exemption that is not an IAM principal ARN', () => {
    const { stack } = newStack();
    const endpoint = vpcEndpoint(stack);
    expect(
      () =>
        new EncryptedBucket(stack, 'Data', { requireVpcEndpoint: endpoint, vpcEndpointExemptPrincipalArns: ['admin'] }),
    ).toThrow(/vpcEndpointExemptPrincipalArns must hold IAM or STS principal ARNs .* got 'admin'/);
  });
});

describe('EncryptedBucket grants', () => {
  const { stack } = newStack();
  const bucket = new EncryptedBucket(stack, 'Data', { bucketName: 'acme-data-bucket' });
  const identity = new WorkloadIdentity(stack, 'Fraud', { workloadName: 'fraud', runsAs: WorkloadPrincipal.SAGEMAKER });
  bucket.grantReadWritePrefix(identity, 'workloads/fraud/');
  const json = Template.fromStack(stack).toJSON();
  const [, policy] = resourcesOfType(json, 'AWS::IAM::ManagedPolicy')[0];
  const statements: any[] = policy.Properties!.PolicyDocument.Statement;

  test('land in the workload’s managed policy, never an inline policy', () => {
    expect(resourcesOfType(json, 'AWS::IAM::Policy')).toEqual([]);
    expect(policy.Properties!.Roles).toEqual([{ Ref: expect.stringMatching(/^Fraud/) }]);
  });

  test('reach only objects under the prefix, list only that prefix, and never delete', () => {
    const objectStatements = statements.filter((s) => JSON.stringify(s.Action).includes('Object'));
    for (const s of objectStatements) {
      expect(s.Resource).toEqual({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-data-bucket/workloads/fraud/*']],
      });
    }
    expect(JSON.stringify(statements)).not.toContain('Delete');
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': ['workloads/fraud/*'] } },
      }),
    );
  });

  test('use the bucket key with exact actions (no kms wildcards)', () => {
    const kmsActions = statements.flatMap((s) => [s.Action].flat()).filter((a: string) => a.startsWith('kms:'));
    expect(new Set(kmsActions)).toEqual(new Set(['kms:Decrypt', 'kms:GenerateDataKey']));
  });

  test('acknowledge only the prefix wildcard, on the grantee’s policy, so every pack passes', () => {
    expect(describeFindings(nagFindings(stack))).toBe('');
  });

  test('negative control: the same grant to a plain role (inline default policy) fails NIST, HIPAA and PCI', () => {
    const { stack: other } = newStack();
    const b = new EncryptedBucket(other, 'Data');
    const role = new iam.Role(other, 'Plain', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    b.grantReadPrefix(role, 'workloads/x/');
    const rules = nagFindings(other).map((f) => f.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        'NIST.800.53.R5-IAMNoInlinePolicy',
        'HIPAA.Security-IAMNoInlinePolicy',
        'PCI.DSS.321-IAMNoInlinePolicy',
        expect.stringMatching(/^AwsSolutions-IAM5\[Resource::.*\/workloads\/x\/\*\]$/),
      ]),
    );
  });

  test('negative control: versioning removed through the L1 makes the nag packs fire', () => {
    const { stack: other } = newStack();
    const b = new EncryptedBucket(other, 'Data');
    (b.bucket.node.defaultChild as s3.CfnBucket).versioningConfiguration = undefined;
    expect(nagFindings(other).map((f) => f.rule)).toContain('NIST.800.53.R5-S3BucketVersioningEnabled');
  });

  test.each(['workloads/fraud', '/workloads/', 'workloads/*/', 'workloads/../other/', ''])(
    'rejects the prefix %j',
    (prefix) => {
      expect(() => bucket.grantReadPrefix(identity, prefix)).toThrow(
        /prefix must be one or more path segments ending in '\/'/,
      );
    },
  );
});
