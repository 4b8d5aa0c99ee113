import { Aws, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EncryptedBucket, VpcEndpointExemption, WorkloadIdentity, WorkloadPrincipal } from '../../../constructs';
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { vpcEndpointExemptionsFor } from '../../../lib/platform-stack';
import { ACCOUNT, bucketPolicy, CfnResolver, evaluate, RoleUnderTest } from '../../helpers/iam-eval';
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
    // Retained on delete and update rollback, deleted when its own create rolls back (retryable first deploy).
    expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
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
    expect(logs.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(logs.UpdateReplacePolicy).toBe('Retain');
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

  test('denies uploads that ask for another encryption or another key, never one that asks for none', () => {
    const sse = statements.filter((s) => JSON.stringify(s).includes('x-amz-server-side-encryption'));
    expect(sse).toEqual([
      {
        Sid: 'DenyUploadsNotEncryptedWithSse-Kms',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: expect.anything(),
        Condition: {
          Null: { 's3:x-amz-server-side-encryption': 'false' },
          StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' },
        },
      },
      {
        Sid: 'DenyUploadsWithAnotherKey',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: expect.anything(),
        Condition: {
          Null: { 's3:x-amz-server-side-encryption-aws-kms-key-id': 'false' },
          StringNotEquals: {
            's3:x-amz-server-side-encryption-aws-kms-key-id': {
              'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'],
            },
          },
        },
      },
      {
        Sid: 'DenyKmsUploadsThatDoNotNameTheKey',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: expect.anything(),
        Condition: {
          Null: {
            's3:x-amz-server-side-encryption': 'false',
            's3:x-amz-server-side-encryption-aws-kms-key-id': 'true',
          },
        },
      },
    ]);
    // A deny on a missing header (…IfExists) would refuse UploadPart, CompleteMultipartUpload and copies.
    expect(JSON.stringify(sse)).not.toContain('IfExists');
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

/** A role of the test account whose own policy allows every S3 action, so the bucket policy decides. */
function s3Role(name: string): RoleUnderTest {
  return {
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    identityPolicies: [
      {
        name: 'AllS3',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
      },
    ],
    tags: {},
  };
}

describe('EncryptedBucket SSE denies, evaluated as IAM evaluates them', () => {
  let policy: unknown;
  let keyArn: string;
  const objectArn = 'arn:aws:s3:::acme-sse-bucket/workloads/x/part';
  const writer = s3Role('writer');
  const put = (context: Record<string, string>) =>
    evaluate({ role: writer, action: 's3:PutObject', resourceArn: objectArn, resourcePolicy: policy, context });

  beforeAll(() => {
    const { app, stack } = newStack();
    new EncryptedBucket(stack, 'Data', { bucketName: 'acme-sse-bucket' });
    const resolver = new CfnResolver(app);
    const [bucketId] = resolver.find('Test', 'AWS::S3::Bucket', 'Data').filter((id) => !id.includes('AccessLogs'));
    policy = bucketPolicy(resolver, 'Test', bucketId);
    const [keyId] = resolver.find('Test', 'AWS::KMS::Key', 'DataKey');
    keyArn = resolver.resolve('Test', { 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  test('an upload without SSE headers (UploadPart, CompleteMultipartUpload, a plain copy) is Allowed', async () => {
    await expect(put({})).resolves.toBe('Allowed');
  });

  test('an upload naming SSE-KMS and the bucket key is Allowed', async () => {
    await expect(
      put({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn }),
    ).resolves.toBe('Allowed');
  });

  test('an upload naming SSE-KMS and another key is Denied', async () => {
    const other = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/00000000-0000-0000-0000-000000000000`;
    await expect(
      put({ 's3:x-amz-server-side-encryption': 'aws:kms', 's3:x-amz-server-side-encryption-aws-kms-key-id': other }),
    ).resolves.toBe('ExplicitlyDenied');
  });

  test('an upload asking for SSE-S3 (AES256) or DSSE-KMS is Denied', async () => {
    await expect(put({ 's3:x-amz-server-side-encryption': 'AES256' })).resolves.toBe('ExplicitlyDenied');
    await expect(
      put({
        's3:x-amz-server-side-encryption': 'aws:kms:dsse',
        's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn,
      }),
    ).resolves.toBe('ExplicitlyDenied');
  });

  test('an upload asking for SSE-KMS without a key id (S3 would use aws/s3) is Denied', async () => {
    await expect(put({ 's3:x-amz-server-side-encryption': 'aws:kms' })).resolves.toBe('ExplicitlyDenied');
  });
});

const RELEASE_ROLE = `arn:aws:iam::${ACCOUNT}:role/ztai/model-signer/ztai-model-release`;
const READER_ROLE = `arn:aws:iam::${ACCOUNT}:role/ztai/sagemaker-execution/ztai-workload-fraud`;
const OTHER_READER_ROLE = `arn:aws:iam::${ACCOUNT}:role/ztai/sagemaker-execution/ztai-workload-claims`;
const BREAK_GLASS = `arn:aws:iam::${ACCOUNT}:role/break-glass`;

function exemptions(): VpcEndpointExemption[] {
  return [
    {
      // Built with pseudo parameters, as the platform stack builds it.
      principalArns: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/ztai/model-signer/ztai-model-release`],
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      keyPrefixes: ['incoming/'],
      reason: 'CI uploads models to incoming/',
    },
    {
      principalArns: [READER_ROLE],
      actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
      keyPrefixes: ['approved/fraud/'],
      reason: 'SageMaker downloads the model with the execution role',
    },
    {
      principalArns: [OTHER_READER_ROLE],
      actions: ['s3:GetObjectVersion', 's3:GetObject', 's3:ListBucket'],
      keyPrefixes: ['approved/claims/'],
      reason: 'SageMaker downloads the claims model with the execution role',
    },
  ];
}

describe('EncryptedBucket vpcEndpointExemptions', () => {
  let stack: Stack;
  let policy: unknown;
  let statements: any[];
  let vpceId: string;
  const bucketArn = 'arn:aws:s3:::acme-models-bucket';
  const request = (
    roleArn: string,
    action: string,
    key: string | undefined,
    options: { viaEndpoint?: boolean; prefix?: string } = {},
  ) =>
    evaluate({
      role: { ...s3Role('x'), roleArn },
      action,
      resourceArn: key === undefined ? bucketArn : `${bucketArn}/${key}`,
      resourcePolicy: policy,
      context: {
        ...(options.viaEndpoint ? { 'aws:SourceVpce': vpceId } : {}),
        ...(options.prefix !== undefined ? { 's3:prefix': options.prefix } : {}),
      },
    });

  beforeAll(() => {
    const made = newStack();
    stack = made.stack;
    new EncryptedBucket(stack, 'Models', {
      bucketName: 'acme-models-bucket',
      requireVpcEndpoint: vpcEndpoint(stack),
      vpcEndpointExemptPrincipalArns: [BREAK_GLASS],
      vpcEndpointExemptions: exemptions(),
    });
    const resolver = new CfnResolver(made.app);
    const [bucketId] = resolver.find('Test', 'AWS::S3::Bucket', 'Models').filter((id) => !id.includes('AccessLogs'));
    policy = bucketPolicy(resolver, 'Test', bucketId);
    statements = bucketPolicyStatements(stack, 'Models');
    const [endpointId] = resolver.find('Test', 'AWS::EC2::VPCEndpoint');
    vpceId = resolver.resolve('Test', { Ref: endpointId });
  });

  test('outside the endpoint, an exempt principal makes its actions on its prefix', async () => {
    await expect(request(RELEASE_ROLE, 's3:PutObject', 'incoming/model-1/weights.bin')).resolves.toBe('Allowed');
    await expect(request(RELEASE_ROLE, 's3:ListMultipartUploadParts', 'incoming/model-1/weights.bin')).resolves.toBe(
      'Allowed',
    );
    await expect(request(READER_ROLE, 's3:GetObject', 'approved/fraud/m/1/files/model.bin')).resolves.toBe('Allowed');
    await expect(
      request(READER_ROLE, 's3:ListBucket', undefined, { prefix: 'approved/fraud/m/1/files/' }),
    ).resolves.toBe('Allowed');
  });

  test('outside the endpoint, any other action of an exempt principal is Denied, even on its prefix', async () => {
    await expect(request(RELEASE_ROLE, 's3:GetObject', 'incoming/model-1/weights.bin')).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(request(RELEASE_ROLE, 's3:DeleteObject', 'incoming/model-1/weights.bin')).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(request(READER_ROLE, 's3:PutObject', 'approved/fraud/m/1/files/model.bin')).resolves.toBe(
      'ExplicitlyDenied',
    );
  });

  test('outside the endpoint, its actions on another prefix are Denied (objects and listings)', async () => {
    await expect(request(RELEASE_ROLE, 's3:PutObject', 'approved/fraud/m/1/files/model.bin')).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(request(READER_ROLE, 's3:GetObject', 'approved/other/m/1/files/model.bin')).resolves.toBe(
      'ExplicitlyDenied',
    );
    // A prefix that merely extends the workload name is another prefix.
    await expect(request(READER_ROLE, 's3:GetObject', 'approved/fraud-v2/model.bin')).resolves.toBe('ExplicitlyDenied');
    await expect(request(READER_ROLE, 's3:ListBucket', undefined, { prefix: 'approved/' })).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(request(READER_ROLE, 's3:ListBucket', undefined)).resolves.toBe('ExplicitlyDenied');
  });

  test('a principal that is not named exactly stays denied outside the endpoint', async () => {
    const sibling = `arn:aws:iam::${ACCOUNT}:role/ztai/model-signer/ztai-model-release-2`;
    await expect(request(sibling, 's3:PutObject', 'incoming/model-1/weights.bin')).resolves.toBe('ExplicitlyDenied');
  });

  test('through the endpoint, the exemption statements do not apply', async () => {
    await expect(
      request(RELEASE_ROLE, 's3:GetObject', 'approved/fraud/m/1/files/model.bin', { viaEndpoint: true }),
    ).resolves.toBe('Allowed');
  });

  test('break-glass principals keep every data-plane action from outside the endpoint', async () => {
    await expect(request(BREAK_GLASS, 's3:GetObject', 'approved/other/model.bin')).resolves.toBe('Allowed');
    await expect(request(BREAK_GLASS, 's3:PutObject', 'incoming/x')).resolves.toBe('Allowed');
  });

  test('two exemptions with the same actions keep to their own prefixes', async () => {
    await expect(request(OTHER_READER_ROLE, 's3:GetObject', 'approved/claims/m/1/files/model.bin')).resolves.toBe(
      'Allowed',
    );
    await expect(request(OTHER_READER_ROLE, 's3:GetObject', 'approved/fraud/m/1/files/model.bin')).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(request(READER_ROLE, 's3:GetObject', 'approved/claims/m/1/files/model.bin')).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(request(OTHER_READER_ROLE, 's3:ListBucket', undefined, { prefix: 'approved/fraud/' })).resolves.toBe(
      'ExplicitlyDenied',
    );
  });

  test('compact: one prefix statement per exemption, one actions statement per distinct set of actions', () => {
    const sids = statements.map((s) => s.Sid).filter((sid) => /^VpceExemption/.test(sid));
    expect(sids).toEqual([
      'VpceExemptionsDenyOtherActions1',
      'VpceExemptionsDenyOtherActions2',
      'VpceExemption1DenyOtherPrefixes',
      'VpceExemption2DenyOtherPrefixes',
      'VpceExemption3DenyOtherPrefixes',
    ]);
    const others = statements.find((s) => s.Sid === 'VpceExemptionsDenyOtherActions2');
    expect(others).toMatchObject({
      Effect: 'Deny',
      NotAction: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
      Condition: { ArnEquals: { 'aws:PrincipalArn': [READER_ROLE, OTHER_READER_ROLE] } },
    });
    const prefixes = statements.find((s) => s.Sid === 'VpceExemption2DenyOtherPrefixes');
    expect(prefixes.Condition.ArnEquals).toEqual({ 'aws:PrincipalArn': [READER_ROLE] });
    expect(prefixes.Condition.StringNotLikeIfExists).toEqual({ 's3:prefix': ['approved/fraud/*'] });
    expect(prefixes.NotResource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Models/), 'Arn'] }, '/approved/fraud/*']],
    });
    const wide = statements.find((s) => s.Sid === 'DenyDataAccessOutsideThePlatformVpcEndpoint');
    expect(wide.Condition.ArnNotLike['aws:PrincipalArn']).toHaveLength(4);
    // No wildcard principal ARN is exempted beyond the break-glass list.
    expect(JSON.stringify(statements.filter((s) => /^Vpce/.test(s.Sid)))).not.toMatch(/role\/[^"]*\*/);
  });

  test('warns, naming each exemption and its reason', () => {
    Annotations.fromStack(stack).hasWarning(
      '/Test/Models',
      Match.stringLikeRegexp(
        '3 named exemption\\(s\\).*incoming/.*CI uploads models.*approved/fraud/.*SageMaker downloads',
      ),
    );
  });

  test('passes every cdk-nag pack (the bare test VPC aside)', () => {
    const findings = nagFindings(stack).filter((f) => f.path.startsWith('Test/Models'));
    expect(describeFindings(findings)).toBe('');
  });
});

describe('the reference platform’s exemptions (lib/platform-stack.ts)', () => {
  const { stack } = newStack();
  const arn = (value: string) => {
    const joined = stack.resolve(value)['Fn::Join'][1] as unknown[];
    return joined.map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`)).join('');
  };
  const { data, models, taggedData, taggedModels } = vpcEndpointExemptionsFor(DEFAULT_PLATFORM_CONFIG);

  test('models: the release role uploads to incoming/ (exact ARN); no real-time role is named one by one', () => {
    expect(models.map((e) => ({ ...e, principalArns: e.principalArns.map(arn), reason: undefined }))).toEqual([
      {
        principalArns: ['arn:<AWS::Partition>:iam::<AWS::AccountId>:role/ztai/model-signer/ztai-model-release'],
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        keyPrefixes: ['incoming/'],
        reason: undefined,
      },
    ]);
    expect(data).toEqual([]);
  });

  test('the real-time execution roles: one family, each confined by its workload tag to its own prefix', () => {
    const family = 'arn:<AWS::Partition>:iam::<AWS::AccountId>:role/ztai/sagemaker-execution/ztai-workload-*';
    expect(
      taggedModels.map((e) => ({ ...e, principalArnPattern: arn(e.principalArnPattern), reason: undefined })),
    ).toEqual([
      {
        principalArnPattern: family,
        principalTagKey: 'ai-platform:workload',
        keyPrefix: 'approved/',
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
        reason: undefined,
      },
    ]);
    expect(
      taggedData.map((e) => ({ ...e, principalArnPattern: arn(e.principalArnPattern), reason: undefined })),
    ).toEqual([
      {
        principalArnPattern: family,
        principalTagKey: 'ai-platform:workload',
        keyPrefix: 'workloads/',
        keySuffix: 'data-capture/',
        actions: ['s3:PutObject'],
        reason: undefined,
      },
    ]);
  });

  test('without real-time workloads there is no family exemption', () => {
    const none = vpcEndpointExemptionsFor({
      ...DEFAULT_PLATFORM_CONFIG,
      workloads: DEFAULT_PLATFORM_CONFIG.workloads.filter((w) => w.kind !== 'realtime-inference'),
    });
    expect([none.taggedData, none.taggedModels]).toEqual([[], []]);
  });
});

describe('EncryptedBucket vpcEndpointTaggedExemptions, evaluated as IAM evaluates them', () => {
  let policy: unknown;
  let statements: any[];
  let vpceId: string;
  let taggedStack: Stack;
  const bucketArn = 'arn:aws:s3:::acme-models-bucket';
  const FAMILY = `arn:aws:iam::${ACCOUNT}:role/ztai/sagemaker-execution/ztai-workload-`;
  const request = (
    roleArn: string,
    tags: Record<string, string>,
    action: string,
    key: string | undefined,
    options: { viaEndpoint?: boolean; prefix?: string } = {},
  ) =>
    evaluate({
      role: { ...s3Role('x'), roleArn, tags },
      action,
      resourceArn: key === undefined ? bucketArn : `${bucketArn}/${key}`,
      resourcePolicy: policy,
      context: {
        ...(options.viaEndpoint ? { 'aws:SourceVpce': vpceId } : {}),
        ...(options.prefix !== undefined ? { 's3:prefix': options.prefix } : {}),
      },
    });
  const fraud = (action: string, key: string | undefined, options: { viaEndpoint?: boolean; prefix?: string } = {}) =>
    request(`${FAMILY}fraud`, { 'ai-platform:workload': 'fraud' }, action, key, options);

  beforeAll(() => {
    const made = newStack();
    taggedStack = made.stack;
    new EncryptedBucket(made.stack, 'Models', {
      bucketName: 'acme-models-bucket',
      requireVpcEndpoint: vpcEndpoint(made.stack),
      vpcEndpointTaggedExemptions: [
        {
          principalArnPattern: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/ztai/sagemaker-execution/ztai-workload-*`,
          principalTagKey: 'ai-platform:workload',
          keyPrefix: 'approved/',
          actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'],
          reason: 'SageMaker downloads each model with its execution role',
        },
      ],
    });
    const resolver = new CfnResolver(made.app);
    const [bucketId] = resolver.find('Test', 'AWS::S3::Bucket', 'Models').filter((id) => !id.includes('AccessLogs'));
    policy = bucketPolicy(resolver, 'Test', bucketId);
    statements = bucketPolicyStatements(made.stack, 'Models');
    const [endpointId] = resolver.find('Test', 'AWS::EC2::VPCEndpoint');
    vpceId = resolver.resolve('Test', { Ref: endpointId });
  });

  test('outside the endpoint, a role of the family reads the prefix its tag names (objects and listings)', async () => {
    await expect(fraud('s3:GetObject', 'approved/fraud/m/1/files/model.bin')).resolves.toBe('Allowed');
    await expect(fraud('s3:ListBucket', undefined, { prefix: 'approved/fraud/m/1/files/' })).resolves.toBe('Allowed');
  });

  test("outside the endpoint, another workload's prefix, a longer name and the whole bucket are Denied", async () => {
    await expect(fraud('s3:GetObject', 'approved/claims/m/1/files/model.bin')).resolves.toBe('ExplicitlyDenied');
    await expect(fraud('s3:GetObject', 'approved/fraud-v2/model.bin')).resolves.toBe('ExplicitlyDenied');
    await expect(fraud('s3:ListBucket', undefined, { prefix: 'approved/' })).resolves.toBe('ExplicitlyDenied');
    await expect(fraud('s3:ListBucket', undefined)).resolves.toBe('ExplicitlyDenied');
  });

  test('outside the endpoint, other actions on its own prefix are Denied', async () => {
    await expect(fraud('s3:PutObject', 'approved/fraud/m/1/files/model.bin')).resolves.toBe('ExplicitlyDenied');
    await expect(fraud('s3:DeleteObject', 'approved/fraud/m/1/files/model.bin')).resolves.toBe('ExplicitlyDenied');
  });

  test('a role of the family without the tag gets nothing from outside the endpoint', async () => {
    await expect(request(`${FAMILY}fraud`, {}, 's3:GetObject', 'approved/fraud/model.bin')).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(request(`${FAMILY}fraud`, {}, 's3:GetObject', 'approved//model.bin')).resolves.toBe(
      'ExplicitlyDenied',
    );
  });

  test('a role outside the family (another path) stays denied even with the tag', async () => {
    const other = `arn:aws:iam::${ACCOUNT}:role/ztai-workload-fraud`;
    await expect(
      request(other, { 'ai-platform:workload': 'fraud' }, 's3:GetObject', 'approved/fraud/model.bin'),
    ).resolves.toBe('ExplicitlyDenied');
  });

  test('through the endpoint, the exemption statements do not apply', async () => {
    await expect(fraud('s3:PutObject', 'approved/claims/model.bin', { viaEndpoint: true })).resolves.toBe('Allowed');
  });

  test('warns, naming the family, its tag and its reason; passes every cdk-nag pack (the bare test VPC aside)', () => {
    Annotations.fromStack(taggedStack).hasWarning(
      '/Test/Models',
      Match.stringLikeRegexp(
        '1 named exemption\\(s\\).*approved/<ai-platform:workload>/ for each principal .*SageMaker downloads each model',
      ),
    );
    const findings = nagFindings(taggedStack).filter((f) => f.path.startsWith('Test/Models'));
    expect(describeFindings(findings)).toBe('');
  });

  test('three statements whatever the number of roles, the prefix by policy variable', () => {
    const sids = statements.map((s) => s.Sid).filter((sid) => /^Vpce/.test(sid));
    expect(sids).toEqual([
      'VpceTaggedExemption1DenyOtherActions',
      'VpceTaggedExemption1DenyUntagged',
      'VpceTaggedExemption1DenyOtherPrefixes',
    ]);
    const prefixes = statements.find((s) => s.Sid === 'VpceTaggedExemption1DenyOtherPrefixes');
    expect(prefixes.Condition.StringNotLikeIfExists).toEqual({
      's3:prefix': ['approved/${aws:PrincipalTag/ai-platform:workload}/*'],
    });
    expect(JSON.stringify(prefixes.NotResource)).toContain('/approved/${aws:PrincipalTag/ai-platform:workload}/*');
  });

  test.each([
    [
      'a pattern with no name prefix',
      { principalArnPattern: 'arn:aws:iam::111122223333:role/ztai/*' },
      /principalArnPattern must be an IAM role ARN pattern/,
    ],
    [
      'a pattern with two wildcards',
      { principalArnPattern: 'arn:aws:iam::111122223333:role/*/ztai-*' },
      /principalArnPattern must be/,
    ],
    [
      'an exact ARN',
      { principalArnPattern: 'arn:aws:iam::111122223333:role/ztai/ztai-x' },
      /principalArnPattern must be/,
    ],
    [
      'a pattern with no name prefix at the root path',
      { principalArnPattern: 'arn:aws:iam::111122223333:role/*' },
      /principalArnPattern must be/,
    ],
    ['an aws: tag key', { principalTagKey: 'aws:foo' }, /principalTagKey must be an IAM tag key/],
    ['a wildcard action', { actions: ['s3:Get*'] }, /actions must hold exact S3 data-plane actions/],
    ['a prefix without its slash', { keyPrefix: 'approved' }, /keyPrefix: prefix must be one or more path segments/],
    ['a suffix with a wildcard', { keySuffix: 'x/*/' }, /keySuffix: prefix must be/],
  ])('rejects %s at synth', (_, change, message) => {
    const { stack } = newStack();
    expect(
      () =>
        new EncryptedBucket(stack, 'Bad', {
          requireVpcEndpoint: vpcEndpoint(stack),
          vpcEndpointTaggedExemptions: [
            {
              principalArnPattern: 'arn:aws:iam::111122223333:role/ztai/sagemaker-execution/ztai-workload-*',
              principalTagKey: 'ai-platform:workload',
              keyPrefix: 'approved/',
              actions: ['s3:GetObject'],
              reason: 'test',
              ...change,
            },
          ],
        }),
    ).toThrow(message);
  });

  test('accepts a family at the root path (the knowledge base roles, <platform>-kb-*)', () => {
    const { stack } = newStack();
    new EncryptedBucket(stack, 'Root', {
      requireVpcEndpoint: vpcEndpoint(stack),
      vpcEndpointTaggedExemptions: [
        {
          principalArnPattern: 'arn:aws:iam::111122223333:role/ztai-kb-*',
          principalTagKey: 'ai-platform:workload',
          keyPrefix: 'workloads/',
          actions: ['s3:GetObject', 's3:ListBucket'],
          reason: 'test',
        },
      ],
    });
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain('arn:aws:iam::111122223333:role/ztai-kb-*');
  });
});

describe('EncryptedBucket vpcEndpointExemptions rejects bad input at synth', () => {
  const base = exemptions()[1];
  test.each<[string, Partial<VpcEndpointExemption>, RegExp]>([
    [
      'a wildcard principal',
      { principalArns: [`arn:aws:iam::${ACCOUNT}:role/ztai/sagemaker-execution/*`] },
      /vpcEndpointExemptions\[0\]\.principalArns must hold exact IAM role or user ARNs without wildcards .* got 'arn:aws:iam::111122223333:role\/ztai\/sagemaker-execution\/\*'/,
    ],
    [
      'a principal that is not an ARN',
      { principalArns: ['release'] },
      /principalArns must hold exact IAM role .* got 'release'/,
    ],
    [
      'a wildcard action',
      { actions: ['s3:Get*'] },
      /vpcEndpointExemptions\[0\]\.actions must hold exact S3 data-plane actions without wildcards .* got 's3:Get\*'/,
    ],
    [
      'a bucket configuration action',
      { actions: ['s3:PutBucketPolicy'] },
      /actions must hold exact S3 data-plane .* got 's3:PutBucketPolicy'/,
    ],
    ['an action of another service', { actions: ['kms:Decrypt'] }, /got 'kms:Decrypt'/],
    [
      'a prefix without a trailing slash',
      { keyPrefixes: ['incoming'] },
      /vpcEndpointExemptions\[0\]\.keyPrefixes: prefix must be one or more path segments ending in '\/'.* got 'incoming'/,
    ],
    ['a wildcard prefix', { keyPrefixes: ['approved/*/'] }, /keyPrefixes: .* got 'approved\/\*\/'/],
    ['no prefix', { keyPrefixes: [] }, /vpcEndpointExemptions\[0\]\.keyPrefixes must name at least one, got \[\]/],
    ['no action', { actions: [] }, /vpcEndpointExemptions\[0\]\.actions must name at least one, got \[\]/],
    ['no reason', { reason: ' ' }, /vpcEndpointExemptions\[0\]\.reason must say why .* got ' '/],
  ])('%s', (_what, change, message) => {
    const { stack } = newStack();
    const endpoint = vpcEndpoint(stack);
    expect(
      () =>
        new EncryptedBucket(stack, 'Data', {
          requireVpcEndpoint: endpoint,
          vpcEndpointExemptions: [{ ...base, ...change }],
        }),
    ).toThrow(message);
  });

  test('exemptions without requireVpcEndpoint', () => {
    const { stack } = newStack();
    expect(() => new EncryptedBucket(stack, 'Data', { vpcEndpointExemptions: [base] })).toThrow(
      /vpcEndpointExemptions is set but requireVpcEndpoint is not/,
    );
  });

  test('one principal in two exemptions, or in an exemption and the break-glass list', () => {
    const { stack } = newStack();
    const endpoint = vpcEndpoint(stack);
    expect(
      () =>
        new EncryptedBucket(stack, 'A', {
          requireVpcEndpoint: endpoint,
          vpcEndpointExemptions: [base, { ...base, keyPrefixes: ['incoming/'] }],
        }),
    ).toThrow(/vpcEndpointExemptions\[1\]\.principalArns: '.*' is already exempted by vpcEndpointExemptions\[0\]/);
    expect(
      () =>
        new EncryptedBucket(stack, 'B', {
          requireVpcEndpoint: endpoint,
          vpcEndpointExemptPrincipalArns: [READER_ROLE],
          vpcEndpointExemptions: [base],
        }),
    ).toThrow(/is already exempted by vpcEndpointExemptPrincipalArns/);
  });

  test('reports every problem at once', () => {
    const { stack } = newStack();
    const endpoint = vpcEndpoint(stack);
    expect(
      () =>
        new EncryptedBucket(stack, 'Data', {
          requireVpcEndpoint: endpoint,
          vpcEndpointExemptions: [{ ...base, actions: ['s3:*'], keyPrefixes: ['x'] }],
        }),
    ).toThrow(/got 's3:\*'.*; .*got 'x'/);
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
