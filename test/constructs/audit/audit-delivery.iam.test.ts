/**
 * The audit path of the reference app accepts what the AWS services send: CloudTrail writing its log
 * files, S3 server access logging, CloudWatch alarms publishing to the encrypted alarm topic, and
 * CloudWatch Logs encrypting the log groups. Each request carries the context the service documents,
 * evaluated against the synthesized bucket, topic and key policies (@cloud-copilot/iam-simulate
 * through tools/review/simulate.ts), with an abuse case each.
 *
 * Context sources:
 * - CloudTrail: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
 *   (aws:SourceArn of the trail, s3:x-amz-acl bucket-owner-full-control) and
 *   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
 *   (kms:EncryptionContext:aws:cloudtrail:arn, aws:SourceArn).
 * - S3 server access logging: https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 *   (logging.s3.amazonaws.com, aws:SourceArn of the source bucket, aws:SourceAccount).
 * - Alarms to an encrypted topic: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 * - CloudWatch Logs: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 *   (logs.<region>.amazonaws.com, kms:EncryptionContext:aws:logs:arn).
 */
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { buildPlatform } from '../../../lib/platform-app';
import { simulateRequest } from '../../../tools/review/simulate';
import { ACCOUNT, bucketPolicy, CfnResolver, PARTITION, REGION } from '../../helpers/iam-eval';
import { newApp } from '../../helpers/stacks';

const TRAIL_ARN = `arn:${PARTITION}:cloudtrail:${REGION}:${ACCOUNT}:trail/ztai-audit-trail`;

/** A request from an AWS service principal, over TLS, with the keys every service request carries. */
async function fromService(
  service: string,
  action: string,
  resource: string,
  resourcePolicy: any,
  context: Record<string, string>,
) {
  const result = await simulateRequest({
    principal: { service },
    action,
    resource,
    resourceAccount: ACCOUNT,
    context: {
      'aws:SecureTransport': 'true',
      'aws:PrincipalIsAWSService': 'true',
      'aws:PrincipalServiceName': service,
      ...context,
    },
    resourcePolicy,
  });
  if (result.decision === 'Error') throw new Error(result.error);
  return result.decision;
}

describe('reference app: the AWS services deliver audit records and alarms through every policy in their way', () => {
  let resolver: CfnResolver;
  let auditBucket: { arn: string; policy: any };
  let accessLogs: { arn: string; policy: any };
  let modelsBucketArn: string;
  let keyPolicy: (stackName: string, prefix: string) => { arn: string; policy: any };
  let topic: { arn: string; policy: any };

  beforeAll(() => {
    const app = newApp();
    buildPlatform(app, DEFAULT_PLATFORM_CONFIG);
    resolver = new CfnResolver(app);
    const bucket = (stackName: string, prefix: string) => {
      const [id] = resolver.find(stackName, 'AWS::S3::Bucket', prefix).filter((i) => !i.includes('AccessLogs'));
      return {
        arn: `arn:${PARTITION}:s3:::${resolver.physicalName(stackName, id)}`,
        policy: bucketPolicy(resolver, stackName, id),
      };
    };
    auditBucket = bucket('ztai-audit', 'TrailBucket');
    const [accessLogsId] = resolver.find('ztai-platform', 'AWS::S3::Bucket', 'AccessLogs');
    accessLogs = {
      arn: `arn:${PARTITION}:s3:::${resolver.physicalName('ztai-platform', accessLogsId)}`,
      policy: bucketPolicy(resolver, 'ztai-platform', accessLogsId),
    };
    modelsBucketArn = bucket('ztai-platform', 'ModelsBucket').arn;
    keyPolicy = (stackName, prefix) => {
      const [id] = resolver.find(stackName, 'AWS::KMS::Key', prefix);
      return {
        arn: resolver.resolve(stackName, { 'Fn::GetAtt': [id, 'Arn'] }),
        policy: resolver.resolve(stackName, resolver.template(stackName).Resources[id].Properties.KeyPolicy),
      };
    };
    const [topicId] = resolver.find('ztai-audit', 'AWS::SNS::Topic', 'SecurityAlarmsTopic');
    const [topicPolicyId] = resolver.find('ztai-audit', 'AWS::SNS::TopicPolicy', 'SecurityAlarmsTopicPolicy');
    topic = {
      arn: resolver.resolve('ztai-audit', { Ref: topicId }),
      policy: resolver.resolve(
        'ztai-audit',
        resolver.template('ztai-audit').Resources[topicPolicyId].Properties.PolicyDocument,
      ),
    };
  });

  describe('CloudTrail → audit bucket', () => {
    const logFile = () =>
      `${auditBucket.arn}/AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/01/01/${ACCOUNT}_CloudTrail_${REGION}_x.json.gz`;
    const delivery = (overrides: Record<string, string> = {}) => ({
      'aws:SourceArn': TRAIL_ARN,
      'aws:SourceAccount': ACCOUNT,
      's3:x-amz-acl': 'bucket-owner-full-control',
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': keyPolicy('ztai-platform', 'KeysAudit').arn,
      ...overrides,
    });

    test('the ACL check and the log file write of this trail are allowed', async () => {
      expect(
        await fromService('cloudtrail.amazonaws.com', 's3:GetBucketAcl', auditBucket.arn, auditBucket.policy, {
          'aws:SourceArn': TRAIL_ARN,
          'aws:SourceAccount': ACCOUNT,
        }),
      ).toBe('Allowed');
      expect(
        await fromService('cloudtrail.amazonaws.com', 's3:PutObject', logFile(), auditBucket.policy, delivery()),
      ).toBe('Allowed');
    });

    test('another trail, or a write without bucket-owner-full-control, is refused', async () => {
      const otherTrail = delivery({ 'aws:SourceArn': `arn:${PARTITION}:cloudtrail:${REGION}:${ACCOUNT}:trail/other` });
      expect(
        await fromService('cloudtrail.amazonaws.com', 's3:PutObject', logFile(), auditBucket.policy, otherTrail),
      ).not.toBe('Allowed');
      const noAcl: Record<string, string> = delivery();
      delete noAcl['s3:x-amz-acl'];
      expect(
        await fromService('cloudtrail.amazonaws.com', 's3:PutObject', logFile(), auditBucket.policy, noAcl),
      ).not.toBe('Allowed');
    });

    // The simulator ignores encryption-context keys whose name holds a colon (aws:cloudtrail:arn,
    // aws:logs:arn), so those conditions are read from the policy, and the rest is evaluated.
    test('the audit key lets this trail encrypt (with its encryption context) and describe/decrypt, and no other trail', async () => {
      const key = keyPolicy('ztai-platform', 'KeysAudit');
      const thisTrail = { 'aws:SourceArn': TRAIL_ARN };
      for (const action of ['kms:DescribeKey', 'kms:Decrypt']) {
        expect(await fromService('cloudtrail.amazonaws.com', action, key.arn, key.policy, thisTrail)).toBe('Allowed');
      }
      const encrypt = key.policy.Statement.find(
        (st: any) => st.Principal?.Service === 'cloudtrail.amazonaws.com' && st.Action === 'kms:GenerateDataKey*',
      );
      expect(encrypt.Condition).toEqual({
        StringEquals: { 'aws:SourceArn': TRAIL_ARN },
        StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${PARTITION}:cloudtrail:*:${ACCOUNT}:trail/*` },
      });
      expect(
        await fromService('cloudtrail.amazonaws.com', 'kms:Decrypt', key.arn, key.policy, {
          'aws:SourceArn': `arn:${PARTITION}:cloudtrail:${REGION}:${ACCOUNT}:trail/other`,
        }),
      ).toBe('ImplicitlyDenied');
    });
  });

  describe('S3 server access logging → access-logs bucket', () => {
    test('logging.s3.amazonaws.com may write the models bucket’s access logs, for that source bucket only', async () => {
      const statement = accessLogs.policy.Statement.find(
        (s: any) =>
          s.Principal?.Service === 'logging.s3.amazonaws.com' &&
          s.Condition.ArnLike['aws:SourceArn'] === modelsBucketArn,
      );
      const prefix = String(statement.Resource).replace(/\*$/, '');
      const object = `${prefix}2026-01-01-00-00-00-ABCDEF`;
      const context = { 'aws:SourceArn': modelsBucketArn, 'aws:SourceAccount': ACCOUNT };
      expect(await fromService('logging.s3.amazonaws.com', 's3:PutObject', object, accessLogs.policy, context)).toBe(
        'Allowed',
      );
      expect(
        await fromService('logging.s3.amazonaws.com', 's3:PutObject', object, accessLogs.policy, {
          ...context,
          'aws:SourceArn': `arn:${PARTITION}:s3:::someone-elses-bucket`,
        }),
      ).toBe('ImplicitlyDenied');
    });
  });

  describe('CloudWatch alarms → encrypted alarm topic', () => {
    const alarm = {
      'aws:SourceArn': `arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:ztai-ops-x`,
      'aws:SourceAccount': ACCOUNT,
    };

    test('an alarm of this account may publish, and use the topic key', async () => {
      expect(await fromService('cloudwatch.amazonaws.com', 'sns:Publish', topic.arn, topic.policy, alarm)).toBe(
        'Allowed',
      );
      const key = keyPolicy('ztai-platform', 'KeysLogs');
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        expect(await fromService('cloudwatch.amazonaws.com', action, key.arn, key.policy, alarm)).toBe('Allowed');
      }
    });

    test("another account's alarm may neither publish nor use the key", async () => {
      const foreign = {
        'aws:SourceArn': `arn:${PARTITION}:cloudwatch:${REGION}:444455556666:alarm:x`,
        'aws:SourceAccount': '444455556666',
      };
      expect(await fromService('cloudwatch.amazonaws.com', 'sns:Publish', topic.arn, topic.policy, foreign)).toBe(
        'ImplicitlyDenied',
      );
      const key = keyPolicy('ztai-platform', 'KeysLogs');
      expect(await fromService('cloudwatch.amazonaws.com', 'kms:GenerateDataKey', key.arn, key.policy, foreign)).toBe(
        'ImplicitlyDenied',
      );
    });
  });

  describe('CloudWatch Logs → log group keys', () => {
    test.each([
      ['the trail log group, with the audit key', 'KeysAudit'],
      ['the API and WAF log groups, with the logs key', 'KeysLogs'],
    ])('%s: logs.<region> may use the key for log groups of this account and region', (_name, keyPrefix) => {
      const key = keyPolicy('ztai-platform', keyPrefix);
      const statements = key.policy.Statement.filter(
        (st: any) => st.Principal?.Service === `logs.${REGION}.amazonaws.com`,
      );
      expect(statements).toHaveLength(1);
      expect(statements[0].Action).toEqual(
        expect.arrayContaining(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*', 'kms:DescribeKey']),
      );
      expect(statements[0].Condition).toEqual({
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:*` },
      });
    });
  });
});
