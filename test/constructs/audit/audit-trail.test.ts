import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EncryptedBucket, PlatformKeys } from '../../../constructs';
import { AiDataEventResource, AuditTrail, AuditTrailProps } from '../../../constructs/audit';
import { appWithFlags, testStack, unacknowledgedFindings } from './nag-helpers';

const ACCOUNT = '111122223333';
const TRAIL_ARN = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/ztai-audit-trail`;

interface Fixture {
  app: App;
  stack: Stack;
  keys: PlatformKeys;
  data: EncryptedBucket;
  models: EncryptedBucket;
}

function fixture(): Fixture {
  const app = appWithFlags();
  const stack = testStack(app);
  const keys = new PlatformKeys(stack, 'Keys');
  const data = new EncryptedBucket(stack, 'Data', { encryptionKey: keys.data.key });
  const models = new EncryptedBucket(stack, 'Models', { encryptionKey: keys.models.key });
  return { app, stack, keys, data, models };
}

function trailIn(f: Fixture, props: Partial<AuditTrailProps> = {}): AuditTrail {
  return new AuditTrail(f.stack, 'Trail', {
    trailName: 'ztai-audit-trail',
    encryptionKey: f.keys.audit,
    dataEventBuckets: [f.data.bucket, f.models.bucket],
    ...props,
  });
}

describe('AuditTrail (defaults)', () => {
  let f: Fixture;
  let trail: AuditTrail;
  let template: Template;

  beforeAll(() => {
    f = fixture();
    trail = trailIn(f);
    template = Template.fromStack(f.stack);
  });

  test('one trail: logging, multi-region, global service events, log file validation, audit key', () => {
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      TrailName: 'ztai-audit-trail',
      IsLogging: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      KMSKeyId: f.stack.resolve(f.keys.audit.keyArn),
      S3BucketName: f.stack.resolve(trail.bucket.bucketName),
      CloudWatchLogsLogGroupArn: f.stack.resolve(trail.logGroup.logGroupArn),
      CloudWatchLogsRoleArn: f.stack.resolve(trail.deliveryRole.roleArn),
    });
    expect(trail.trailArn).toBe(TRAIL_ARN);
  });

  test('management events, KMS included: no selector narrows them', () => {
    const selectors = template.findResources('AWS::CloudTrail::Trail');
    const props = Object.values(selectors)[0].Properties;
    expect(props.EventSelectors).toBeUndefined();
    const management = props.AdvancedEventSelectors.filter(
      (s: { FieldSelectors: { Field: string; Equals?: string[] }[] }) =>
        s.FieldSelectors.some((fs) => fs.Field === 'eventCategory' && fs.Equals?.includes('Management')),
    );
    expect(management).toEqual([
      { Name: 'Management events, KMS included', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] },
    ]);
    expect(JSON.stringify(props.AdvancedEventSelectors)).not.toContain('kms.amazonaws.com');
  });

  test('S3 data events for every object of the platform buckets', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      AdvancedEventSelectors: Match.arrayWith([
        {
          Name: 'Every object of the platform buckets',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
            {
              Field: 'resources.ARN',
              StartsWith: [
                {
                  'Fn::Join': [
                    '',
                    [
                      { 'Fn::GetAtt': [f.stack.getLogicalId(f.data.bucket.node.defaultChild as s3.CfnBucket), 'Arn'] },
                      '/',
                    ],
                  ],
                },
                {
                  'Fn::Join': [
                    '',
                    [
                      {
                        'Fn::GetAtt': [f.stack.getLogicalId(f.models.bucket.node.defaultChild as s3.CfnBucket), 'Arn'],
                      },
                      '/',
                    ],
                  ],
                },
              ],
            },
          ],
        },
      ]),
    });
  });

  test('SageMaker endpoint data events by default, and no Bedrock selector', () => {
    const props = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0].Properties;
    const types = props.AdvancedEventSelectors.flatMap(
      (s: { FieldSelectors: { Field: string; Equals?: string[] }[] }) =>
        s.FieldSelectors.filter((fs) => fs.Field === 'resources.type').flatMap((fs) => fs.Equals),
    );
    expect(types).toEqual(['AWS::S3::Object', 'AWS::SageMaker::Endpoint']);
  });

  test('CloudTrail Insights on API call rate and error rate', () => {
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      InsightSelectors: [{ InsightType: 'ApiCallRateInsight' }, { InsightType: 'ApiErrorRateInsight' }],
    });
  });

  test('the audit bucket: Object Lock (governance, 365 days), SSE-KMS with the audit key, versioned, retained (except when its own create rolls back)', () => {
    const cfnBucket = trail.bucket.bucket.node.defaultChild as s3.CfnBucket;
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: f.stack.resolve(f.keys.audit.keyArn),
              },
            }),
          ],
        },
      }),
    });
    expect(f.stack.resolve(cfnBucket.objectLockEnabled)).toBe(true);
  });

  test('lifecycle moves log files to Glacier Instant Retrieval at 90 days and Deep Archive at 365', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'ArchiveAuditLogs',
            Status: 'Enabled',
            Transitions: [
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
              { StorageClass: 'DEEP_ARCHIVE', TransitionInDays: 365 },
            ],
          },
        ],
      },
    });
  });

  test('the bucket policy admits only this trail to write, as CloudTrail requires', () => {
    const bucketRef = { Ref: f.stack.getLogicalId(trail.bucket.bucket.node.defaultChild as s3.CfnBucket) };
    const bucketArn = { 'Fn::GetAtt': [bucketRef.Ref, 'Arn'] };
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: bucketRef,
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudTrailAclCheck',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 's3:GetBucketAcl',
            Resource: bucketArn,
            Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN, 'aws:SourceAccount': ACCOUNT } },
          },
          {
            Sid: 'CloudTrailWrite',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [bucketArn, `/AWSLogs/${ACCOUNT}/*`]] },
            Condition: {
              StringEquals: {
                'aws:SourceArn': TRAIL_ARN,
                'aws:SourceAccount': ACCOUNT,
                's3:x-amz-acl': 'bucket-owner-full-control',
              },
            },
          },
          {
            Sid: 'DenyWritesByAnyoneButTheDeliveringServices',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [bucketArn, '/*']] },
            Condition: { StringNotEquals: { 'aws:PrincipalServiceName': ['cloudtrail.amazonaws.com'] } },
          },
          {
            Sid: 'DenyDeletingAuditRecords',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: ['s3:BypassGovernanceRetention', 's3:DeleteBucket', 's3:DeleteObject', 's3:DeleteObjectVersion'],
            Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }],
          },
        ]),
      },
    });
  });

  test('the audit key lets only this trail encrypt, describe and decrypt', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Zero-trust AI platform: audit trail',
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:GenerateDataKey*',
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceArn': TRAIL_ARN },
              StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:aws:cloudtrail:*:${ACCOUNT}:trail/*` },
            },
          },
          {
            // DescribeKey and Decrypt (needed with S3 Bucket Keys) share their condition, so they merge.
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:DescribeKey'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN } },
          },
        ]),
      },
    });
  });

  test('the log group is encrypted with the audit key, keeps a year, and is retained (except when its own create rolls back)', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: { KmsKeyId: f.stack.resolve(f.keys.audit.keyArn), RetentionInDays: 365 },
    });
  });

  test('the delivery role trusts CloudTrail of this account and holds its grant in a managed policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          },
        ],
      },
      MaxSessionDuration: 3600,
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: f.stack.getLogicalId(trail.deliveryRole.node.defaultChild as never) }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: f.stack.resolve(trail.logGroup.logGroupArn),
          },
        ],
      },
    });
  });

  test('the trail is created after its bucket policy and delivery policy', () => {
    const trailResource = Object.values(template.findResources('AWS::CloudTrail::Trail'))[0];
    expect(trailResource.DependsOn).toEqual(
      expect.arrayContaining([
        f.stack.getLogicalId(trail.bucket.bucket.policy!.node.defaultChild as never),
        expect.stringMatching(/^TrailLogsDeliveryPolicy/),
      ]),
    );
  });

  test('all five nag packs are clean', () => {
    expect(unacknowledgedFindings(f.stack)).toEqual([]);
  });
});

describe('AuditTrail (options)', () => {
  test('compliance-mode Object Lock with the given retention', () => {
    const f = fixture();
    trailIn(f, { objectLockMode: s3.ObjectLockMode.COMPLIANCE, objectLockRetentionDays: 2557 });
    Template.fromStack(f.stack).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } },
      },
    });
  });

  test('Bedrock data events are recorded when asked, one selector per resource type', () => {
    const f = fixture();
    trailIn(f, { aiDataEvents: [AiDataEventResource.SAGEMAKER_ENDPOINT, AiDataEventResource.BEDROCK_AGENT_ALIAS] });
    Template.fromStack(f.stack).hasResourceProperties('AWS::CloudTrail::Trail', {
      AdvancedEventSelectors: Match.arrayWith([
        {
          Name: 'Data events of AWS::Bedrock::AgentAlias',
          FieldSelectors: [
            { Field: 'eventCategory', Equals: ['Data'] },
            { Field: 'resources.type', Equals: ['AWS::Bedrock::AgentAlias'] },
          ],
        },
      ]),
    });
  });

  test('turning Insights off removes the selectors and warns', () => {
    const f = fixture();
    trailIn(f, { insights: false });
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::CloudTrail::Trail', { InsightSelectors: Match.absent() });
    Annotations.fromStack(f.stack).hasWarning('/Test/Trail', Match.stringLikeRegexp('insights is false'));
  });

  test('another AWS service can be admitted to its own prefix, with the audit key', () => {
    const f = fixture();
    const trail = trailIn(f);
    trail.admitServiceDelivery('config.amazonaws.com', 'Config');
    const template = Template.fromStack(f.stack);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyWritesByAnyoneButTheDeliveringServices',
            Condition: {
              StringNotEquals: { 'aws:PrincipalServiceName': ['cloudtrail.amazonaws.com', 'config.amazonaws.com'] },
            },
          }),
          Match.objectLike({
            Principal: { Service: 'config.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT, 's3:x-amz-acl': 'bucket-owner-full-control' } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Zero-trust AI platform: audit trail',
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'config.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: '*',
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          },
        ]),
      },
    });
    expect(() => trail.admitServiceDelivery('cloudtrail.amazonaws.com', 'X')).toThrow(/servicePrincipal/);
    expect(() => trail.admitServiceDelivery('config.amazonaws.com', '../Config')).toThrow(/logFolder/);
  });
});

describe('AuditTrail nag negative control', () => {
  test('turning log file validation off makes three packs fire on the trail', () => {
    const f = fixture();
    const trail = trailIn(f);
    trail.trail.enableLogFileValidation = false;
    expect(unacknowledgedFindings(f.stack)).toEqual([
      'NIST.800.53.R5-CloudTrailLogFileValidationEnabled Test/Trail/Resource',
      'HIPAA.Security-CloudTrailLogFileValidationEnabled Test/Trail/Resource',
      'PCI.DSS.321-CloudTrailLogFileValidationEnabled Test/Trail/Resource',
    ]);
  });
});

describe('AuditTrail rejects bad input at synth', () => {
  test.each([
    [{ logRetentionDays: 42 }, /logRetentionDays must be a retention period CloudWatch Logs accepts .* got 42/],
    [{ logRetentionDays: 0 }, /logRetentionDays .* got 0/],
    [{ objectLockRetentionDays: 0 }, /objectLockRetentionDays must be an integer from 1 to 36500, got 0/],
    [{ objectLockRetentionDays: -5 }, /objectLockRetentionDays must be an integer from 1 to 36500, got -5/],
    [{ objectLockRetentionDays: 36501 }, /objectLockRetentionDays must be an integer from 1 to 36500, got 36501/],
    [{ objectLockRetentionDays: 1.5 }, /objectLockRetentionDays must be an integer/],
    [
      { archiveAfterDays: 400, deepArchiveAfterDays: 365 },
      /deepArchiveAfterDays \(365\) must be more than archiveAfterDays \(400\)/,
    ],
    [{ trailName: 'a b' }, /trailName must be 3-128 characters .* got 'a b'/],
    [{ dataEventBuckets: [] }, /dataEventBuckets must name at least one bucket/],
  ])('%j', (props, message) => {
    const f = fixture();
    expect(() => trailIn(f, props as Partial<AuditTrailProps>)).toThrow(message);
  });

  test('the error names the construct path', () => {
    const f = fixture();
    expect(() => trailIn(f, { logRetentionDays: 42 })).toThrow(/^Test\/Trail: /);
  });

  test('too many selector values for CloudTrail', () => {
    const f = fixture();
    const buckets = Array.from({ length: 500 }, (_, i) => s3.Bucket.fromBucketName(f.stack, `B${i}`, `bucket-${i}`));
    expect(() => trailIn(f, { dataEventBuckets: buckets })).toThrow(/at most 500 per trail/);
  });
});
