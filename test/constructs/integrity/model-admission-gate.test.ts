/**
 * The admission gate's infrastructure: the bundled function (local esbuild, never Docker), its
 * trigger, network placement, role and exact permissions, dead-letter queue, logs and tracing, the
 * models bucket's denial of approved/ writes, nag packs with a negative control, and bad input.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PlatformEndpoint } from '../../../constructs';
import { ADMISSION_ROLE_PATH, ModelAdmissionGate, ModelAdmissionGateProps } from '../../../constructs/integrity';
import * as perms from '../../../constructs/integrity/integrity-perms';
import { enableEventBridgeNotifications } from '../../../constructs/integrity/private/bucket-events';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { IntegrityFixture, integrityFixture, statementsWith } from './fixtures';

function gateFixture(props: Partial<ModelAdmissionGateProps> = {}, options: { bundle?: boolean } = {}) {
  const f = integrityFixture(options);
  const gate = new ModelAdmissionGate(f.stack, 'Gate', {
    modelsBucket: f.modelsBucket,
    signingKey: f.signingKey,
    network: f.network,
    logsKey: f.keys.logs.key,
    roleName: 'ztai-model-admission',
    ...props,
  });
  return { ...f, gate };
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as any);

describe('ModelAdmissionGate', () => {
  let f: IntegrityFixture & { gate: ModelAdmissionGate };
  let template: Template;
  beforeAll(() => {
    f = gateFixture();
    template = Template.fromStack(f.stack);
  });

  test('the function runs handler.ts on Node.js 24 in the data tier, with its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Timeout: 900,
      // D10: none reserved by default, so the gate deploys on accounts with a low Lambda concurrency quota.
      ReservedConcurrentExecutions: Match.absent(),
      TracingConfig: { Mode: 'Active' },
      // D1: no MODELS_KEY_ARN; the copies name no SSE headers and get the bucket's default encryption.
      Environment: {
        Variables: Match.exact({
          MODELS_BUCKET: { Ref: logicalId(f.stack, f.modelsBucket.bucket) },
          SIGNING_KEY_ARN: { 'Fn::GetAtt': [logicalId(f.stack, f.signingKey.key), 'Arn'] },
          REQUIRE_SUBJECT: 'true',
        }),
      },
      VpcConfig: {
        // Its own group, and the workload tier's, whose members the interface endpoints admit.
        SecurityGroupIds: [
          { 'Fn::GetAtt': [logicalId(f.stack, f.gate.securityGroup), 'GroupId'] },
          { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkWorkloadsSecurityGroup'), 'GroupId'] },
        ],
        SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^NetworkdataSubnet') }]),
      },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId(f.stack, f.gate.deadLetterQueue), 'Arn'] } },
      LoggingConfig: { LogGroup: { Ref: logicalId(f.stack, f.gate.logGroup) } },
    });
    const fn = f.gate.function.node.defaultChild as lambda.CfnFunction;
    const subnets = f.stack.resolve((fn.vpcConfig as lambda.CfnFunction.VpcConfigProperty).subnetIds) as any[];
    for (const s of subnets) expect(s.Ref).toMatch(/^NetworkdataSubnet/);
  });

  test('bundles the handler at synth with the local esbuild, never Docker; the AWS SDK is left to the runtime', () => {
    // Any Docker call would fail: CDK runs `$CDK_DOCKER` for container bundling.
    const previous = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/nonexistent/docker';
    try {
      const bundled = gateFixture({}, { bundle: true });
      const fn = bundled.gate.function.node.defaultChild as lambda.CfnFunction;
      const assembly = bundled.app.synth();
      const code = bundled.stack.resolve(fn.code) as { s3Key: string };
      const source = fs.readFileSync(
        path.join(assembly.directory, `asset.${code.s3Key.replace(/\.zip$/, '')}`, 'index.js'),
        'utf8',
      );
      expect(source).toContain('REQUIRE_SUBJECT'); // the handler, with the CLI's verification code bundled in
      expect(source).toContain('ztai-model-manifest/v1');
      expect(source).toMatch(/require\("@aws-sdk\/client-s3"\)/);
      expect(source).not.toMatch(/S3ServiceException\s*=\s*class/); // the SDK itself is not bundled
    } finally {
      if (previous === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = previous;
    }
  });

  describe('trigger: the bucket’s events through EventBridge, no bucket-notifications custom resource', () => {
    const ruleId = () => logicalId(f.stack, f.gate.trigger);
    const ruleName = () => template.toJSON().Resources[ruleId()].Properties.Name as string;

    test('the models bucket sends its events to EventBridge with its own CloudFormation property', () => {
      const bucket = template.toJSON().Resources[logicalId(f.stack, f.modelsBucket.bucket)];
      expect(bucket.Properties.NotificationConfiguration).toEqual({
        EventBridgeConfiguration: { EventBridgeEnabled: true },
      });
    });

    test('no CDK bucket-notifications custom resource, function, role or inline policy is left in the stack', () => {
      template.resourceCountIs('Custom::S3BucketNotifications', 0);
      const ids = Object.keys(template.toJSON().Resources);
      expect(ids.filter((id) => /BucketNotificationsHandler|NotificationsHandlerPolicy/.test(id))).toEqual([]);
      expect(f.stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834')).toBeUndefined();
      expect(f.modelsBucket.bucket.node.tryFindChild('Notifications')).toBeUndefined();
      // The only functions: the gate, the VPC's default-security-group provider and the network's
      // deploy-time lookup of the S3 prefix list (the stack's AwsCustomResource singleton).
      const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
      expect(functions).toHaveLength(3);
      expect(functions).toEqual(
        expect.arrayContaining([
          logicalId(f.stack, f.gate.function),
          expect.stringMatching(/^CustomVpcRestrictDefaultSGCustomResourceProviderHandler/),
          expect.stringMatching(/^AWS679f53fac002430cb0da5b7982bd2287/),
        ]),
      );
      template.resourceCountIs('AWS::IAM::Policy', 0);
    });

    test('the rule matches Object Created events of the models bucket under incoming/ ending in bundle.json', () => {
      expect(template.toJSON().Resources[ruleId()].Properties).toEqual({
        Name: ruleName(),
        Description: expect.stringContaining('incoming/'),
        State: 'ENABLED',
        EventPattern: {
          source: ['aws.s3'],
          'detail-type': ['Object Created'],
          detail: {
            bucket: { name: [{ Ref: logicalId(f.stack, f.modelsBucket.bucket) }] },
            object: { key: [{ wildcard: 'incoming/*bundle.json' }] },
          },
        },
        Targets: [
          {
            Id: 'Target0',
            Arn: { 'Fn::GetAtt': [logicalId(f.stack, f.gate.function), 'Arn'] },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(f.stack, f.gate.deadLetterQueue), 'Arn'] } },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          },
        ],
      });
      // On the default bus (no EventBusName), with a name built from the construct path.
      expect(ruleName()).toMatch(/^Test-Gate-[0-9A-F]{8}-trigger$/);
      expect(ruleName().length).toBeLessThanOrEqual(64);
    });

    test('the function’s resource policy admits events.amazonaws.com for this rule only; S3 is no longer admitted', () => {
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission'));
      expect(permissions.map((p) => p.Properties)).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [logicalId(f.stack, f.gate.function), 'Arn'] },
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [ruleId(), 'Arn'] },
        },
      ]);
    });

    test('EventBridge may dead-letter to the gate’s queue (for this rule only) and use its key (for this rule only)', () => {
      const queue = logicalId(f.stack, f.gate.deadLetterQueue);
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queue }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            {
              Sid: Match.stringLikeRegexp('^AllowEventRule'),
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId(), 'Arn'] } } },
            },
          ],
        },
      });
      const key = template.toJSON().Resources[logicalId(f.stack, f.gate.deadLetterQueueKey as kms.Key)];
      const statement = key.Properties.KeyPolicy.Statement.find((st: any) => st.Sid === 'AdmissionTriggerDeadLetters');
      expect(statement).toEqual({
        Sid: 'AdmissionTriggerDeadLetters',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: [...perms.TRIGGER_DEAD_LETTER_KEY].sort(),
        Resource: '*',
        // By the rule's name, not a reference: the rule refers to the queue and the queue to the key.
        Condition: {
          ArnEquals: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':events:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  `:rule/${ruleName()}`,
                ],
              ],
            },
          },
        },
      });
      expect(JSON.stringify(key)).not.toContain(ruleId());
    });

    test.each([
      ['before', true],
      ['after', false],
    ])('an existing notification configuration of the bucket, set %s the gate, is kept', (_when, before) => {
      const f2 = integrityFixture();
      const cfn = f2.modelsBucket.bucket.node.defaultChild as s3.CfnBucket;
      const setOthers = () => {
        cfn.notificationConfiguration = {
          topicConfigurations: [{ event: 's3:ObjectRemoved:*', topic: 'arn:aws:sns:eu-west-1:111122223333:deletes' }],
        };
      };
      if (before) setOthers();
      new ModelAdmissionGate(f2.stack, 'Gate', {
        modelsBucket: f2.modelsBucket,
        signingKey: f2.signingKey,
        network: f2.network,
        logsKey: f2.keys.logs.key,
      });
      if (!before) setOthers();
      const bucket = Template.fromStack(f2.stack).toJSON().Resources[logicalId(f2.stack, f2.modelsBucket.bucket)];
      expect(bucket.Properties.NotificationConfiguration).toEqual({
        TopicConfigurations: [{ Event: 's3:ObjectRemoved:*', Topic: 'arn:aws:sns:eu-west-1:111122223333:deletes' }],
        EventBridgeConfiguration: { EventBridgeEnabled: true },
      });
    });

    test('an imported bucket cannot be switched here: a warning names what its owner must turn on', () => {
      const stack = new Stack();
      const imported = s3.Bucket.fromBucketName(stack, 'Imported', 'someone-elses-models');
      expect(enableEventBridgeNotifications(stack, imported, 'the model admission gate')).toBe(false);
      Template.fromStack(stack).resourceCountIs('AWS::S3::Bucket', 0);
      Annotations.fromStack(stack).hasWarning(
        '/Default',
        Match.stringLikeRegexp(
          'Imported is not defined in this app.*"Send notifications to Amazon EventBridge".*' +
            'NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled: true.*the model admission gate never runs',
        ),
      );
      const other = new Stack();
      const owned = new s3.Bucket(other, 'Owned');
      expect(enableEventBridgeNotifications(other, owned, 'x')).toBe(true);
      Annotations.fromStack(other).hasNoWarning('*', Match.anyValue());
      Template.fromStack(other).hasResourceProperties('AWS::S3::Bucket', {
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      });
    });

    test('a dead-letter key not defined in this app: a warning names the key-policy statement its owner must add', () => {
      const imported = gateFixture({
        deadLetterQueueKey: kms.Key.fromKeyArn(
          new Stack(),
          'Key',
          'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        ),
      });
      Annotations.fromStack(imported.stack).hasWarning(
        '/Test/Gate',
        Match.stringLikeRegexp(
          'deadLetterQueueKey is not defined in this app.*events.amazonaws.com.*kms:GenerateDataKey, kms:Decrypt.*' +
            'rule/Test-Gate-[0-9A-F]{8}-trigger',
        ),
      );
    });

    test('negative control: without the rule’s dead-letter queue, Serverless-EventBusDLQ fires', () => {
      const weak = gateFixture();
      const rule = weak.gate.trigger.node.defaultChild as events.CfnRule;
      rule.addPropertyDeletionOverride('Targets.0.DeadLetterConfig');
      (rule as any).targets = [{ id: 'Target0', arn: weak.gate.function.functionArn }];
      expect(nagFindings(weak.stack).map((x) => x.rule)).toContain('Serverless-EventBusDLQ');
    });
  });

  test('its role trusts Lambda in this account only, under the admission path, and carries the boundary', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ztai-model-admission',
      Path: ADMISSION_ROLE_PATH,
      MaxSessionDuration: 3600,
      PermissionsBoundary: { Ref: Match.stringLikeRegexp('^Boundary') },
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Principal: { Service: 'lambda.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  test('its grants are exactly the admission handler’s needs, in one managed policy (no inline policy)', () => {
    const policies = template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Roles: [{ Ref: logicalId(f.stack, f.gate.role) }] },
    });
    expect(Object.keys(policies)).toHaveLength(1);
    const document = Object.values(policies)[0].Properties.PolicyDocument;
    const granted = (action: string) =>
      statementsWith(document, action).flatMap((s) => [].concat(s.Resource).map((r) => JSON.stringify(r)));
    const bucket = logicalId(f.stack, f.modelsBucket.bucket);
    const objects = (suffix: string) =>
      JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, suffix]] });
    expect(granted('s3:GetObject').sort()).toEqual([objects('/approved/*/bundle.json'), objects('/incoming/*')].sort());
    expect(granted('s3:GetObjectVersion').sort()).toEqual(granted('s3:GetObject').sort());
    expect(granted('s3:PutObject').sort()).toEqual([objects('/approved/*'), objects('/rejected/*')].sort());
    expect(granted('s3:DeleteObject')).toEqual([objects('/approved/*')]);
    expect(granted('s3:AbortMultipartUpload')).toEqual([objects('/approved/*')]);
    expect(statementsWith(document, 's3:ListBucket')).toEqual([
      expect.objectContaining({ Condition: { StringLike: { 's3:prefix': ['incoming/*', 'approved/*'] } } }),
    ]);
    expect(granted('kms:Verify')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(f.stack, f.signingKey.key), 'Arn'] }),
    ]);
    expect(granted('kms:Sign')).toEqual([]);
    expect(granted('kms:GetPublicKey')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(f.stack, f.signingKey.key), 'Arn'] }),
    ]);
    expect(granted('kms:Decrypt')).toContain(
      JSON.stringify({ 'Fn::GetAtt': [logicalId(f.stack, f.keys.models.key), 'Arn'] }),
    );
    expect(granted('sqs:SendMessage')).toEqual([
      JSON.stringify({ 'Fn::GetAtt': [logicalId(f.stack, f.gate.deadLetterQueue), 'Arn'] }),
    ]);
    // Every action granted, and nothing else.
    const actions = new Set(document.Statement.flatMap((s: any) => [].concat(s.Action)));
    expect([...actions].sort()).toEqual(
      [
        ...new Set([
          ...perms.ADMISSION_READ,
          ...perms.ADMISSION_LIST,
          ...perms.ADMISSION_WRITE_APPROVED,
          ...perms.ADMISSION_DELETE_APPROVED,
          ...perms.ADMISSION_WRITE_REJECTED,
          ...perms.ADMISSION_MODELS_KEY,
          ...perms.SIGNING_KEY_VERIFY_ONLY,
          ...perms.SIGNING_KEY_PUBLIC_KEY,
          ...perms.LAMBDA_LOGS,
          ...perms.DEAD_LETTER_SEND,
          ...perms.DEAD_LETTER_KEY,
          ...perms.LAMBDA_XRAY,
          ...perms.LAMBDA_VPC_ENI,
        ]),
      ].sort(),
    );
    // The function is created after its policy (Lambda checks ENI and dead-letter permissions then).
    const fnId = logicalId(f.stack, f.gate.function);
    expect(template.toJSON().Resources[fnId].DependsOn).toEqual(expect.arrayContaining(Object.keys(policies)));
  });

  test('no inline policy is attached to the gate’s role', () => {
    const inline = template.findResources('AWS::IAM::Policy');
    for (const p of Object.values(inline)) {
      expect(p.Properties.Roles).not.toContainEqual({ Ref: logicalId(f.stack, f.gate.role) });
    }
  });

  test('the models bucket denies approved/ writes to every principal but the admission role', () => {
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find(
      (p) => p.Properties.Bucket.Ref === logicalId(f.stack, f.modelsBucket.bucket),
    )!;
    const deny = policy.Properties.PolicyDocument.Statement.find(
      (s: any) => s.Sid === 'DenyApprovedModelWritesExceptAdmission',
    );
    expect(deny).toEqual({
      Sid: 'DenyApprovedModelWritesExceptAdmission',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: perms.APPROVED_PREFIX_PROTECTED_WRITES,
      Resource: {
        'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(f.stack, f.modelsBucket.bucket), 'Arn'] }, '/approved/*']],
      },
      Condition: {
        ArnNotEquals: {
          'aws:PrincipalArn': {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':iam::',
                { Ref: 'AWS::AccountId' },
                ':role/ztai/model-admission/ztai-model-admission',
              ],
            ],
          },
        },
      },
    });
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectTagging']) {
      expect(deny.Action).toContain(action);
    }
  });

  test('the KMS endpoint admits kms:Verify on the signing key; the gate’s security group reaches the endpoints', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.kms$')])] }),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ModelSignatureVerification',
            Action: 'kms:Verify',
            Resource: { 'Fn::GetAtt': [logicalId(f.stack, f.signingKey.key), 'Arn'] },
          }),
        ]),
      },
    });
    // The gate is a member of the workload tier (its VpcConfig), which the endpoints admit on HTTPS.
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkWorkloadsSecurityGroup'), 'GroupId'] },
    });
  });

  test('the dead-letter queue is KMS-encrypted with its own key and TLS-only; the log group is encrypted with retention', () => {
    template.hasResource('AWS::SQS::Queue', {
      Properties: {
        KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(f.stack, f.gate.deadLetterQueueKey as any), 'Arn'] },
        MessageRetentionPeriod: 1209600,
      },
      // D9: retained on delete and update rollback, deleted when its own create rolls back.
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: {
        KmsKeyId: { 'Fn::GetAtt': [logicalId(f.stack, f.keys.logs.key), 'Arn'] },
        RetentionInDays: 365,
      },
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the cdk-nag packs find nothing unacknowledged', () => {
    expect(describeFindings(nagFindings(f.stack))).toBe('');
  });

  test('reserved concurrency is opt-in: none by default (the concurrency rules acknowledged on the function), a value when given', () => {
    const reserved = gateFixture({ reservedConcurrency: 10 });
    Template.fromStack(reserved.stack).hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 10,
    });
    const acknowledged = (gate: ModelAdmissionGate) =>
      gate.function.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as object))
        .filter((id) => id.includes('LambdaConcurrency'))
        .sort();
    expect(acknowledged(f.gate)).toEqual([
      'HIPAA.Security::HIPAA.Security-LambdaConcurrency',
      'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency',
    ]);
    expect(acknowledged(reserved.gate)).toEqual([]);
    expect(describeFindings(nagFindings(reserved.stack))).toBe('');
  });

  test('negative control: with reserved concurrency given and then removed, and without a dead-letter queue, the Lambda rules fire', () => {
    const weak = gateFixture({ reservedConcurrency: 4 });
    const fn = weak.gate.function.node.defaultChild as lambda.CfnFunction;
    fn.reservedConcurrentExecutions = undefined;
    fn.deadLetterConfig = undefined;
    const rules = nagFindings(weak.stack).map((x) => x.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        'NIST.800.53.R5-LambdaConcurrency',
        'HIPAA.Security-LambdaConcurrency',
        'NIST.800.53.R5-LambdaDLQ',
        'Serverless-LambdaDLQ',
      ]),
    );
  });

  test('allowBundlesWithoutSubject turns the subject requirement off, with a warning', () => {
    const lax = gateFixture({ allowBundlesWithoutSubject: true });
    Template.fromStack(lax.stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REQUIRE_SUBJECT: 'false' }) },
    });
    Annotations.fromStack(lax.stack).hasWarning(
      '/Test/Gate',
      Match.stringLikeRegexp('allowBundlesWithoutSubject is true'),
    );
    Annotations.fromStack(f.stack).hasNoWarning('/Test/Gate', Match.anyValue());
  });

  test('a generated role name: the bucket policy names the role by its ARN', () => {
    const generated = gateFixture({ roleName: undefined });
    const t = Template.fromStack(generated.stack);
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyApprovedModelWritesExceptAdmission',
            Condition: {
              ArnNotEquals: {
                'aws:PrincipalArn': { 'Fn::GetAtt': [logicalId(generated.stack, generated.gate.role), 'Arn'] },
              },
            },
          }),
        ]),
      },
    });
  });

  test('tagging principals (the malware scanner) may tag approved objects, never write them', () => {
    const scanner = 'arn:aws:iam::111122223333:role/ztai-malware-scan';
    const tagged = gateFixture({ approvedTaggingPrincipalArns: [scanner] });
    const statements = Object.values(Template.fromStack(tagged.stack).findResources('AWS::S3::BucketPolicy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => String(s.Sid).startsWith('DenyApprovedModel'));
    expect(statements).toHaveLength(2);
    const [content, tagging] = statements;
    expect(content.Action).toContain('s3:PutObject');
    expect(content.Action).not.toContain('s3:PutObjectTagging');
    expect(JSON.stringify(content.Condition)).not.toContain(scanner);
    expect(tagging.Action).toEqual(expect.arrayContaining(['s3:PutObjectTagging', 's3:PutObjectVersionTagging']));
    expect(tagging.Condition.ArnNotEquals['aws:PrincipalArn']).toContain(scanner);
  });

  describe('bad input', () => {
    test.each([
      [{ reservedConcurrency: 0 }, /reservedConcurrency must be an integer from 1 to 100, got 0/],
      [{ reservedConcurrency: 1.5 }, /reservedConcurrency must be an integer from 1 to 100, got 1.5/],
      [{ reservedConcurrency: 101 }, /reservedConcurrency must be an integer from 1 to 100, got 101/],
      [{ memorySize: 128 }, /memorySize must be an integer from 512 to 10240, got 128/],
      [{ timeout: Duration.minutes(16) }, /timeout must be from 1 to 15 minutes, got 16 minutes/],
      [{ timeout: Duration.seconds(10) }, /timeout must be from 1 to 15 minutes, got 10 seconds/],
      [
        { rolePath: 'ztai/model-admission' },
        /rolePath must be '\/' or '\/segment\/...\/'.*got 'ztai\/model-admission'/,
      ],
      [{ roleName: 'has space' }, /roleName must be 1-64 letters, digits and \+=,.@_-, got 'has space'/],
    ] as [Partial<ModelAdmissionGateProps>, RegExp][])('%p', (props, message) => {
      expect(() => gateFixture(props)).toThrow(message);
    });

    test('a network without the KMS endpoint', () => {
      const f2 = integrityFixture({ endpoints: [PlatformEndpoint.STS] });
      expect(
        () =>
          new ModelAdmissionGate(f2.stack, 'Gate', {
            modelsBucket: f2.modelsBucket,
            signingKey: f2.signingKey,
            network: f2.network,
            logsKey: f2.keys.logs.key,
          }),
      ).toThrow(/network must have the KMS interface endpoint/);
    });

    test.each([
      ['arn:aws:iam::111122223333:user/alice', {}, /admissionRoleArn must be an IAM role ARN/],
      ['arn:aws:iam::111122223333:role/a*b', {}, /admissionRoleArn must be an IAM role ARN/],
      [
        'arn:aws:iam::111122223333:role/gate',
        { approvedPrefix: 'approved' },
        /approvedPrefix must be path segments ending in '\/'/,
      ],
      [
        'arn:aws:iam::111122223333:role/gate',
        { taggingPrincipalArns: ['*'] },
        /taggingPrincipalArns\[\] must be an IAM role ARN/,
      ],
    ])('protectApprovedPrefix(%p, %p)', (arn, options, message) => {
      const f2 = integrityFixture();
      expect(() => ModelAdmissionGate.protectApprovedPrefix(f2.modelsBucket, arn, options)).toThrow(message);
    });
  });

  test('protectApprovedPrefix with a role pattern compares with ArnNotLike', () => {
    const f2 = integrityFixture();
    ModelAdmissionGate.protectApprovedPrefix(f2.modelsBucket, 'arn:aws:iam::111122223333:role/ztai/model-admission/*');
    Template.fromStack(f2.stack).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'DenyApprovedModelWritesExceptAdmission',
            Condition: { ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/ztai/model-admission/*' } },
          }),
        ]),
      },
    });
  });

  test('log retention is configurable', () => {
    const g = gateFixture({ logRetention: logs.RetentionDays.TEN_YEARS });
    Template.fromStack(g.stack).hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 3653 });
  });
});
