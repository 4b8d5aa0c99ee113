import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SecurityAlarms, SecurityAlarmsProps } from '../../../constructs/audit';
import { filterPatternMatches } from '../../../tools/review/filter-pattern';
import { appWithFlags, testStack, unacknowledgedFindings } from './nag-helpers';

const ACCOUNT = '111122223333';
const MODELS = 'ztai-models-111122223333-eu-west-1';
const KEY_A = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/aaaaaaaa-0000-0000-0000-000000000001`;
const KEY_B = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/bbbbbbbb-0000-0000-0000-000000000002`;
const ADMISSION = `arn:aws:iam::${ACCOUNT}:role/ztai-model-admission`;
const AGENT = `arn:aws:iam::${ACCOUNT}:role/ztai-workload-support-agent-*`;
const API = `arn:aws:iam::${ACCOUNT}:role/ztai-api-invoker`;
const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-*`;
const GENAI = `arn:aws:iam::${ACCOUNT}:role/ztai-workload-*`;
const KB = `arn:aws:iam::${ACCOUNT}:role/ztai-kb-*`;

const events = (names: string[]) => `(${names.map((n) => `($.eventName = "${n}")`).join(' || ')})`;
const notCaller = (arns: string[]) =>
  `(($.userIdentity.type != "AssumedRole") || (${arns
    .map((a) => `($.userIdentity.sessionContext.sessionIssuer.arn != "${a}")`)
    .join(' && ')}))`;

/** Every alarm name and its exact filter pattern: the contract with the topic's subscribers. */
const EXPECTED: Record<string, string> = {
  'ztai-security-cis-unauthorized-api-calls':
    '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
  'ztai-security-cis-console-signin-without-mfa':
    '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
  'ztai-security-cis-root-account-usage':
    '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }',
  'ztai-security-cis-iam-policy-changes': `{ ($.eventSource = "iam.amazonaws.com") && ${events([
    'DeleteGroupPolicy',
    'DeleteRolePolicy',
    'DeleteUserPolicy',
    'PutGroupPolicy',
    'PutRolePolicy',
    'PutUserPolicy',
    'CreatePolicy',
    'DeletePolicy',
    'CreatePolicyVersion',
    'DeletePolicyVersion',
    'AttachRolePolicy',
    'DetachRolePolicy',
    'AttachUserPolicy',
    'DetachUserPolicy',
    'AttachGroupPolicy',
    'DetachGroupPolicy',
  ])} }`,
  'ztai-security-cis-cloudtrail-configuration-changes': `{ ($.eventSource = "cloudtrail.amazonaws.com") && ${events([
    'CreateTrail',
    'UpdateTrail',
    'DeleteTrail',
    'StartLogging',
    'StopLogging',
  ])} }`,
  'ztai-security-cis-console-signin-failures':
    '{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
  'ztai-security-cis-kms-key-disabled-or-deleted': `{ ($.eventSource = "kms.amazonaws.com") && ${events([
    'DisableKey',
    'ScheduleKeyDeletion',
  ])} }`,
  'ztai-security-cis-s3-bucket-policy-changes': `{ ($.eventSource = "s3.amazonaws.com") && ${events([
    'PutBucketAcl',
    'PutBucketPolicy',
    'PutBucketCors',
    'PutBucketLifecycle',
    'PutBucketReplication',
    'DeleteBucketPolicy',
    'DeleteBucketCors',
    'DeleteBucketLifecycle',
    'DeleteBucketReplication',
  ])} }`,
  'ztai-security-cis-config-changes': `{ ($.eventSource = "config.amazonaws.com") && ${events([
    'StopConfigurationRecorder',
    'DeleteDeliveryChannel',
    'PutDeliveryChannel',
    'PutConfigurationRecorder',
  ])} }`,
  'ztai-security-cis-security-group-changes': `{ ${events([
    'AuthorizeSecurityGroupIngress',
    'AuthorizeSecurityGroupEgress',
    'RevokeSecurityGroupIngress',
    'RevokeSecurityGroupEgress',
    'CreateSecurityGroup',
    'DeleteSecurityGroup',
  ])} }`,
  'ztai-security-cis-nacl-changes': `{ ${events([
    'CreateNetworkAcl',
    'CreateNetworkAclEntry',
    'DeleteNetworkAcl',
    'DeleteNetworkAclEntry',
    'ReplaceNetworkAclEntry',
    'ReplaceNetworkAclAssociation',
  ])} }`,
  'ztai-security-cis-network-gateway-changes': `{ ${events([
    'CreateCustomerGateway',
    'DeleteCustomerGateway',
    'AttachInternetGateway',
    'CreateInternetGateway',
    'DeleteInternetGateway',
    'DetachInternetGateway',
  ])} }`,
  'ztai-security-cis-route-table-changes': `{ ($.eventSource = "ec2.amazonaws.com") && ${events([
    'CreateRoute',
    'CreateRouteTable',
    'ReplaceRoute',
    'ReplaceRouteTableAssociation',
    'DeleteRouteTable',
    'DeleteRoute',
    'DisassociateRouteTable',
  ])} }`,
  'ztai-security-cis-vpc-changes': `{ ${events([
    'CreateVpc',
    'DeleteVpc',
    'ModifyVpcAttribute',
    'AcceptVpcPeeringConnection',
    'CreateVpcPeeringConnection',
    'DeleteVpcPeeringConnection',
    'RejectVpcPeeringConnection',
    'AttachClassicLinkVpc',
    'DetachClassicLinkVpc',
    'DisableVpcClassicLink',
    'EnableVpcClassicLink',
  ])} }`,
  'ztai-security-cis-organizations-changes': `{ ($.eventSource = "organizations.amazonaws.com") && ${events([
    'AcceptHandshake',
    'AttachPolicy',
    'CreateAccount',
    'CreateOrganizationalUnit',
    'CreatePolicy',
    'DeclineHandshake',
    'DeleteOrganization',
    'DeleteOrganizationalUnit',
    'DeletePolicy',
    'DetachPolicy',
    'DisablePolicyType',
    'EnablePolicyType',
    'InviteAccountToOrganization',
    'LeaveOrganization',
    'MoveAccount',
    'RemoveAccountFromOrganization',
    'UpdatePolicy',
    'UpdateOrganizationalUnit',
  ])} }`,
  'ztai-security-platform-permissions-boundary-changes': `{ ($.eventSource = "iam.amazonaws.com") && ${events([
    'PutRolePermissionsBoundary',
    'DeleteRolePermissionsBoundary',
    'PutUserPermissionsBoundary',
    'DeleteUserPermissionsBoundary',
  ])} }`,
  'ztai-security-platform-kms-key-policy-changes': `{ ($.eventSource = "kms.amazonaws.com") && ${events([
    'PutKeyPolicy',
    'DisableKeyRotation',
    'DeleteAlias',
    'UpdateAlias',
    'DeleteImportedKeyMaterial',
  ])} }`,
  'ztai-security-platform-audit-log-tampering':
    `{ (($.eventSource = "logs.amazonaws.com") && ${events(['DeleteLogGroup', 'DeleteLogStream', 'DeleteMetricFilter', 'DisassociateKmsKey'])}) || ` +
    `(($.eventSource = "cloudtrail.amazonaws.com") && ${events(['PutEventSelectors', 'PutInsightSelectors'])}) }`,
  'ztai-security-platform-threat-detection-disabled':
    `{ (($.eventSource = "guardduty.amazonaws.com") && ${events(['DeleteDetector', 'DeleteMalwareProtectionPlan', 'DisassociateFromMasterAccount'])}) || ` +
    `(($.eventSource = "securityhub.amazonaws.com") && ${events(['DisableSecurityHub', 'BatchDisableStandards'])}) }`,
  'ztai-security-ai-sagemaker-deployment-by-non-deployer': `{ ($.eventSource = "sagemaker.amazonaws.com") && ${events([
    'CreateModel',
    'CreateEndpointConfig',
    'CreateEndpoint',
    'UpdateEndpoint',
    'DeleteEndpoint',
  ])} && ${notCaller([DEPLOYER])} }`,
  'ztai-security-ai-approved-model-write-by-non-admission': `{ ($.eventSource = "s3.amazonaws.com") && ($.requestParameters.bucketName = "${MODELS}") && ((${events(
    ['PutObject', 'CopyObject', 'CompleteMultipartUpload', 'DeleteObject', 'PutObjectRetention', 'PutObjectLegalHold'],
  )} && ($.requestParameters.key = "approved/*")) || ($.eventName = "DeleteObjects")) && ${notCaller([ADMISSION])} }`,
  'ztai-security-ai-platform-key-access-denied-burst': `{ ($.eventSource = "kms.amazonaws.com") && ($.errorCode = "AccessDenied*") && (($.resources[0].ARN = "${KEY_A}") || ($.resources[0].ARN = "${KEY_B}")) }`,
  'ztai-security-ai-endpoint-invoked-by-non-platform-principal': `{ ($.eventName = "InvokeEndpoint*") && ${notCaller([AGENT, API])} }`,
  'ztai-security-ai-bedrock-model-invoked-by-non-platform-principal': `{ ($.eventSource = "bedrock.amazonaws.com") && ${events(
    ['InvokeModel*', 'Converse*', 'StartAsyncInvoke'],
  )} && ${notCaller([GENAI, KB])} }`,
};

interface Fixture {
  app: App;
  stack: Stack;
  topicKey: kms.Key;
  logGroup: logs.LogGroup;
  models: s3.IBucket;
}

function fixture(): Fixture {
  const app = appWithFlags();
  const stack = testStack(app);
  const topicKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
  const logGroup = new logs.LogGroup(stack, 'TrailLogs', {
    encryptionKey: topicKey,
    retention: logs.RetentionDays.ONE_YEAR,
  });
  const models = s3.Bucket.fromBucketName(stack, 'Models', MODELS);
  return { app, stack, topicKey, logGroup, models };
}

function alarmsIn(f: Fixture, props: Partial<SecurityAlarmsProps> = {}): SecurityAlarms {
  return new SecurityAlarms(f.stack, 'Alarms', {
    logGroup: f.logGroup,
    topicEncryptionKey: f.topicKey,
    modelsBucket: f.models,
    platformKeys: [kms.Key.fromKeyArn(f.stack, 'KeyA', KEY_A), kms.Key.fromKeyArn(f.stack, 'KeyB', KEY_B)],
    admissionRoleArnPatterns: [ADMISSION],
    endpointInvokerRoleArnPatterns: [AGENT, API],
    modelInvokerRoleArnPatterns: [GENAI, KB],
    ...props,
  });
}

/** Alarm name -> filter pattern, joined through the alarm's metric. */
function alarmPatterns(template: Template): Record<string, string> {
  const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')).map((r) => r.Properties);
  const result: Record<string, string> = {};
  for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties)) {
    const filter = filters.find(
      (mf) =>
        mf.MetricTransformations[0].MetricName === alarm.MetricName &&
        mf.MetricTransformations[0].MetricNamespace === alarm.Namespace,
    );
    result[alarm.AlarmName] = filter?.FilterPattern;
  }
  return result;
}

describe('SecurityAlarms', () => {
  let f: Fixture;
  let alarms: SecurityAlarms;
  let template: Template;

  beforeAll(() => {
    f = fixture();
    alarms = alarmsIn(f);
    template = Template.fromStack(f.stack);
  });

  test('the alarm set, by name and exact filter pattern', () => {
    expect(alarmPatterns(template)).toEqual(EXPECTED);
    expect(alarms.alarmNames).toEqual(Object.keys(EXPECTED));
  });

  test('at least 18 metric-filter alarms, one metric filter each, on the trail log group', () => {
    const count = Object.keys(EXPECTED).length;
    expect(count).toBeGreaterThanOrEqual(18);
    template.resourceCountIs('AWS::CloudWatch::Alarm', count);
    template.resourceCountIs('AWS::Logs::MetricFilter', count);
    for (const mf of Object.values(template.findResources('AWS::Logs::MetricFilter'))) {
      expect(mf.Properties.LogGroupName).toEqual({ Ref: f.stack.getLogicalId(f.logGroup.node.defaultChild as never) });
      expect(mf.Properties.MetricTransformations[0]).toEqual(
        expect.objectContaining({ MetricNamespace: 'ZTAI/Security', MetricValue: '1' }),
      );
    }
  });

  test('every alarm notifies the topic on a 5-minute sum, missing data not breaching', () => {
    const topicRef = { Ref: f.stack.getLogicalId(alarms.topic.node.defaultChild as never) };
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties).toEqual(
        expect.objectContaining({
          AlarmActions: [topicRef],
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      );
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-security-ai-platform-key-access-denied-burst',
      Threshold: 5,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ztai-security-cis-root-account-usage',
      Threshold: 1,
    });
  });

  test('the topic is encrypted with the given key and TLS-only', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: f.stack.resolve(f.topicKey.keyArn),
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          {
            Sid: 'CloudWatchAlarmsOfThisAccount',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: f.stack.getLogicalId(alarms.topic.node.defaultChild as never) },
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:*` },
            },
          },
        ]),
      },
    });
  });

  test('the topic key lets CloudWatch alarms of this account use it', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchAlarmsPublishToEncryptedTopics',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:*` },
            },
          },
        ]),
      },
    });
  });

  test('all five nag packs are clean', () => {
    expect(unacknowledgedFindings(f.stack)).toEqual([]);
  });
});

/** A CloudTrail record of a call by a role session or an IAM user (cloudtrail-event-reference-user-identity.html). */
function record(eventSource: string, eventName: string, caller: string): unknown {
  const identity = caller.includes(':user/')
    ? { type: 'IAMUser', arn: caller, accountId: ACCOUNT }
    : {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${caller.split('/').pop()}/s`,
        sessionContext: { sessionIssuer: { type: 'Role', arn: caller, accountId: ACCOUNT } },
      };
  return { eventSource, eventName, userIdentity: identity, eventCategory: 'Management' };
}

describe('SecurityAlarms: the Bedrock invocation alarm fires on the records it is for', () => {
  let pattern: string;
  beforeAll(() => {
    const f = fixture();
    alarmsIn(f);
    pattern = alarmPatterns(Template.fromStack(f.stack))[
      'ztai-security-ai-bedrock-model-invoked-by-non-platform-principal'
    ];
  });
  const bedrock = (name: string, caller: string) => record('bedrock.amazonaws.com', name, caller);
  const workloadRole = `arn:aws:iam::${ACCOUNT}:role/ztai-workload-support-assistant`;
  const kbRole = `arn:aws:iam::${ACCOUNT}:role/ztai-kb-support-assistant`;
  const admin = `arn:aws:iam::${ACCOUNT}:role/Admin`;

  test.each([
    ['InvokeModel', workloadRole, false],
    ['ConverseStream', workloadRole, false],
    ['InvokeModel', kbRole, false],
    ['InvokeModel', admin, true],
    ['InvokeModelWithResponseStream', admin, true],
    ['Converse', `arn:aws:iam::${ACCOUNT}:user/analyst`, true],
    ['StartAsyncInvoke', admin, true],
    ['GetGuardrail', admin, false],
  ])('%s by %s: alarms %s', (eventName, caller, fires) => {
    expect(filterPatternMatches(pattern, bedrock(eventName, caller))).toBe(fires);
  });

  test('a SageMaker invocation is the other alarm’s, and without invoker roles the workload role alarms too', () => {
    expect(filterPatternMatches(pattern, record('sagemaker.amazonaws.com', 'InvokeEndpoint', admin))).toBe(false);
    const f = fixture();
    alarmsIn(f, { modelInvokerRoleArnPatterns: undefined });
    const open = alarmPatterns(Template.fromStack(f.stack))[
      'ztai-security-ai-bedrock-model-invoked-by-non-platform-principal'
    ];
    expect(filterPatternMatches(open, bedrock('InvokeModel', workloadRole))).toBe(true);
  });
});

describe('SecurityAlarms options', () => {
  test('without admission or invoker roles, every write to approved/ and every invocation alarms', () => {
    const f = fixture();
    alarmsIn(f, {
      admissionRoleArnPatterns: undefined,
      endpointInvokerRoleArnPatterns: undefined,
      modelInvokerRoleArnPatterns: undefined,
      approvedModelPrefix: 'signed/',
    });
    const patterns = alarmPatterns(Template.fromStack(f.stack));
    expect(patterns['ztai-security-ai-endpoint-invoked-by-non-platform-principal']).toBe(
      '{ ($.eventName = "InvokeEndpoint*") }',
    );
    expect(patterns['ztai-security-ai-bedrock-model-invoked-by-non-platform-principal']).toBe(
      `{ ($.eventSource = "bedrock.amazonaws.com") && ${events(['InvokeModel*', 'Converse*', 'StartAsyncInvoke'])} }`,
    );
    expect(patterns['ztai-security-ai-approved-model-write-by-non-admission']).toContain(
      '($.requestParameters.key = "signed/*")',
    );
    expect(patterns['ztai-security-ai-approved-model-write-by-non-admission']).not.toContain('sessionIssuer');
  });

  test('the deployer default follows the bootstrap qualifier; prefix and namespace are configurable', () => {
    const f = fixture();
    const scope = new Construct(f.stack, 'Qualified');
    scope.node.setContext('@aws-cdk/core:bootstrapQualifier', 'ztai12345');
    new SecurityAlarms(scope, 'Alarms', {
      logGroup: f.logGroup,
      topicEncryptionKey: f.topicKey,
      modelsBucket: f.models,
      platformKeys: [kms.Key.fromKeyArn(f.stack, 'KeyA', KEY_A)],
      alarmNamePrefix: 'acme',
      metricNamespace: 'Acme/Security',
      keyAccessDeniedThreshold: 20,
    });
    const template = Template.fromStack(f.stack);
    const patterns = alarmPatterns(template);
    expect(patterns['acme-security-ai-sagemaker-deployment-by-non-deployer']).toContain(
      `"arn:aws:iam::${ACCOUNT}:role/cdk-ztai12345-cfn-exec-role-*"`,
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'acme-security-ai-platform-key-access-denied-burst',
      Namespace: 'Acme/Security',
      Threshold: 20,
    });
  });

  test('an existing encrypted topic is used as is, with a warning that its policy is not managed here', () => {
    const f = fixture();
    const topic = sns.Topic.fromTopicAttributes(f.stack, 'Existing', {
      topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:alarms`,
      keyArn: KEY_A,
    });
    alarmsIn(f, { topicEncryptionKey: undefined, alarmTopic: topic });
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [`arn:aws:sns:eu-west-1:${ACCOUNT}:alarms`],
    });
    Annotations.fromStack(f.stack).hasWarning(
      '/Test/Alarms',
      Match.stringLikeRegexp('cloudwatch.amazonaws.com publish'),
    );
  });
});

describe('SecurityAlarms rejects bad input at synth', () => {
  test.each([
    ['Bad Slug', 1, /slug must be 1-64 lower-case letters, digits and '-', got 'Bad Slug'/],
    ['ok-slug', 0, /threshold must be > 0, got 0/],
  ])('alarmOnMetric(%j, threshold %j)', (slug, threshold, message) => {
    const alarms = alarmsIn(fixture(), {});
    const metric = new cloudwatch.Metric({ namespace: 'N', metricName: 'M' });
    expect(() => alarms.alarmOnMetric('Custom', slug as string, 'd', metric, threshold as number)).toThrow(message);
  });

  test('alarm topic without key', () => {
    const f = fixture();
    expect(() => alarmsIn(f, { topicEncryptionKey: undefined })).toThrow(
      /^Test\/Alarms: alarm topic without key: topicEncryptionKey is undefined/,
    );
  });

  test('an existing topic without key', () => {
    const f = fixture();
    const topic = sns.Topic.fromTopicArn(f.stack, 'Plain', `arn:aws:sns:eu-west-1:${ACCOUNT}:plain`);
    expect(() => alarmsIn(f, { topicEncryptionKey: undefined, alarmTopic: topic })).toThrow(
      /alarm topic without key: alarmTopic .* is not encrypted with a KMS key/,
    );
  });

  test.each([
    [
      { deployerRoleArnPatterns: [`arn:aws:iam::${ACCOUNT}:role/cdk-*-cfn-exec-role-*`] },
      /deployerRoleArnPatterns must hold IAM role ARNs, optionally ending in '\*'/,
    ],
    [{ admissionRoleArnPatterns: ['admission'] }, /admissionRoleArnPatterns must hold IAM role ARNs.* got 'admission'/],
    [
      { endpointInvokerRoleArnPatterns: [`arn:aws:iam::${ACCOUNT}:user/bob`] },
      /endpointInvokerRoleArnPatterns must hold IAM role ARNs/,
    ],
    [
      { modelInvokerRoleArnPatterns: [`arn:aws:iam::${ACCOUNT}:role/ztai-*-kb`] },
      /modelInvokerRoleArnPatterns must hold IAM role ARNs, optionally ending in '\*' .* got 'arn:aws:iam::111122223333:role\/ztai-\*-kb'/,
    ],
    [{ platformKeys: [] }, /platformKeys must name at least one key, got \[\]/],
    [{ keyAccessDeniedThreshold: 0 }, /keyAccessDeniedThreshold must be an integer from 1 to 10000, got 0/],
    [{ alarmNamePrefix: 'bad prefix' }, /alarmNamePrefix must be 1-64 characters .* got 'bad prefix'/],
    [{ metricNamespace: 'AWS/Logs' }, /metricNamespace .* must not start with 'AWS\/', got 'AWS\/Logs'/],
    [
      { approvedModelPrefix: 'approved/*' },
      /approvedModelPrefix must be one or more path segments ending in '\/'.* got 'approved\/\*'/,
    ],
  ])('%j', (props, message) => {
    const f = fixture();
    expect(() => alarmsIn(f, props as Partial<SecurityAlarmsProps>)).toThrow(message);
  });

  test('both an existing topic and a key', () => {
    const f = fixture();
    const topic = sns.Topic.fromTopicAttributes(f.stack, 'Existing', {
      topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:a`,
      keyArn: KEY_A,
    });
    expect(() => alarmsIn(f, { alarmTopic: topic })).toThrow(/set alarmTopic or topicEncryptionKey, not both/);
  });

  test('a filter pattern longer than CloudWatch Logs accepts', () => {
    const f = fixture();
    const many = Array.from(
      { length: 12 },
      (_, i) => `arn:aws:iam::${ACCOUNT}:role/a-rather-long-platform-role-name-${i}`,
    );
    expect(() => alarmsIn(f, { endpointInvokerRoleArnPatterns: many })).toThrow(
      /the filter pattern of EndpointInvokedByNonPlatformPrincipal is \d+ characters; CloudWatch Logs accepts at most 1024/,
    );
  });
});
