import { Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import {
  ModelInvocationLogging,
  ModelInvocationLoggingProps,
} from '../../../constructs/genai/model-invocation-logging';
import { PlatformPermissionsBoundary } from '../../../constructs/identity/platform-permissions-boundary';
import { PlatformKey } from '../../../constructs/keys/platform-key';
import { SegmentedNetwork } from '../../../constructs/network/segmented-network';
import { EncryptedBucket } from '../../../constructs/storage/encrypted-bucket';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp, resourcesOfType } from '../../helpers/stacks';

function setup(props: Partial<ModelInvocationLoggingProps> = {}) {
  const app = newApp();
  const stack = new Stack(app, 'Audit');
  const bucketKey = new PlatformKey(stack, 'AuditKey');
  const logsKey = new PlatformKey(stack, 'LogsKey');
  const bucket = new EncryptedBucket(stack, 'AuditBucket', { encryptionKey: bucketKey });
  const logging = new ModelInvocationLogging(stack, 'InvocationLogging', {
    bucket: bucket.bucket,
    bucketKey: bucketKey.key,
    logGroupKey: logsKey.key,
    ...props,
  });
  return { app, stack, bucket, bucketKey, logsKey, logging, template: () => Template.fromStack(stack) };
}

const SOURCE = {
  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
  ArnLike: {
    'aws:SourceArn': {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':*'],
      ],
    },
  },
};

describe('ModelInvocationLogging', () => {
  test('a KMS-encrypted log group retained one year, kept on delete', () => {
    const { stack, logsKey, logging, template } = setup();
    const [, group] = resourcesOfType(template().toJSON(), 'AWS::Logs::LogGroup').find(
      ([id]) => id === stack.getLogicalId(logging.logGroup.node.defaultChild as any),
    )!;
    expect(group.Properties.RetentionInDays).toBe(365);
    expect(group.Properties.KmsKeyId).toEqual({
      'Fn::GetAtt': [stack.getLogicalId(logsKey.key.node.defaultChild as any), 'Arn'],
    });
    expect(group.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(group.UpdateReplacePolicy).toBe('Retain');
  });

  test('the delivery role trusts bedrock.amazonaws.com for this account’s Bedrock resources only, and writes log streams of the one group', () => {
    const { stack, logging, template } = setup();
    template().hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'bedrock.amazonaws.com' },
            Condition: SOURCE,
          },
        ],
      },
    });
    const policies = resourcesOfType(template().toJSON(), 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
      JSON.stringify(p.Properties.Roles ?? []).includes(
        stack.getLogicalId(logging.deliveryRole.node.defaultChild as any),
      ),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0][1].Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: {
          'Fn::Join': [
            '',
            [{ 'Fn::GetAtt': [stack.getLogicalId(logging.logGroup.node.defaultChild as any), 'Arn'] }, ':log-stream:*'],
          ],
        },
      },
    ]);
  });

  test('the bucket admits Bedrock to PutObject under the prefix only, and the bucket key to encrypt, both narrowed to this account', () => {
    const { template } = setup({ keyPrefix: 'genai/invocations/' });
    const statement = resourcesOfType(template().toJSON(), 'AWS::S3::BucketPolicy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .find((s: { Sid?: string }) => s.Sid === 'BedrockModelInvocationLogsWrite');
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'bedrock.amazonaws.com' },
      Action: 's3:PutObject',
      Condition: SOURCE,
    });
    expect(JSON.stringify(statement.Resource)).toContain('/genai/invocations/AWSLogs/');
    expect(JSON.stringify(statement.Resource)).toContain('/BedrockModelInvocationLogs/*');
    const keys = resourcesOfType(template().toJSON(), 'AWS::KMS::Key').flatMap(
      ([, k]) => k.Properties.KeyPolicy.Statement,
    );
    expect(keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'BedrockModelInvocationLogsEncrypt',
          Action: 'kms:GenerateDataKey',
          Condition: SOURCE,
        }),
      ]),
    );
  });

  test('the deploy-time call sets logging to both destinations, every data type, with a role limited to that one action', () => {
    const { stack, logging, template } = setup();
    const [[, call]] = resourcesOfType(template().toJSON(), 'Custom::AWS');
    const create = JSON.stringify(call.Properties.Create);
    expect(create).toContain('putModelInvocationLoggingConfiguration');
    expect(create).toContain('"keyPrefix\\":\\"bedrock-invocation-logs\\"');
    expect(create).toContain('textDataDeliveryEnabled\\":true');
    expect(create).toContain(stack.getLogicalId(logging.deliveryRole.node.defaultChild as any));
    const statements = resourcesOfType(template().toJSON(), 'AWS::IAM::ManagedPolicy')
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: unknown }) => JSON.stringify(s.Action).includes('bedrock:'));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'bedrock:PutModelInvocationLoggingConfiguration', Resource: '*' },
    ]);
  });

  test('the call’s grant is on the role the function runs with, alone or after another AwsCustomResource of the stack', () => {
    // CDK runs every AwsCustomResource of a stack in one singleton function, with the first one's role.
    const functionRole = (t: Template) => {
      const [[, fn]] = resourcesOfType(t.toJSON(), 'AWS::Lambda::Function').filter(([id]) =>
        id.startsWith('AWS679f53fa'),
      );
      return fn.Properties.Role['Fn::GetAtt'][0];
    };
    const rolesWithTheGrant = (t: Template) =>
      resourcesOfType(t.toJSON(), 'AWS::IAM::ManagedPolicy')
        .filter(([, p]) =>
          JSON.stringify(p.Properties.PolicyDocument).includes('PutModelInvocationLoggingConfiguration'),
        )
        .flatMap(([, p]) => p.Properties.Roles.map((r: { Ref: string }) => r.Ref));

    const alone = setup().template();
    expect(rolesWithTheGrant(alone)).toEqual([functionRole(alone)]);

    const app = newApp();
    const stack = new Stack(app, 'Platform');
    const key = new PlatformKey(stack, 'Key');
    // Another deploy-time call first: the prefix-list lookup of a network, as in the platform stack.
    new SegmentedNetwork(stack, 'Network', { interfaceEndpoints: [] });
    const bucket = new EncryptedBucket(stack, 'Bucket', { encryptionKey: key });
    new ModelInvocationLogging(stack, 'InvocationLogging', {
      bucket: bucket.bucket,
      bucketKey: key.key,
      logGroupKey: key.key,
    });
    const second = Template.fromStack(stack);
    expect(functionRole(second)).toMatch(/^NetworkS3PrefixListLookupRole/);
    expect(rolesWithTheGrant(second)).toEqual([functionRole(second)]);
    // No role or log group of its own that nothing would use.
    expect(resourcesOfType(second.toJSON(), 'AWS::IAM::Role').map(([id]) => id)).not.toContainEqual(
      expect.stringMatching(/^InvocationLoggingConfigureRole/),
    );
    expect(ModelInvocationLogging.CONFIGURE_ACTIONS).toEqual(['bedrock:PutModelInvocationLoggingConfiguration']);
  });

  test.each(['no-trailing-slash', '/leading/', 'a/../b/', 'spaces here/'])(
    'keyPrefix %p fails naming the field and the value',
    (keyPrefix) => {
      expect(() => setup({ keyPrefix })).toThrow(
        new RegExp(
          `keyPrefix must be one or more path segments.*got '${keyPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`,
        ),
      );
    },
  );

  test('nag packs: no findings, under the permissions boundary', () => {
    const { app, stack } = setup();
    new PlatformPermissionsBoundary(stack, 'Boundary').applyTo(app);
    expect(describeFindings(nagFindings(app))).toBe('');
  });
});
