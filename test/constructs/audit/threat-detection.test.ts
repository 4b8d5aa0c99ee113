import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EncryptedBucket, PlatformKeys, PlatformPermissionsBoundary } from '../../../constructs';
import { AuditTrail, SecurityHubStandard, ThreatDetection, ThreatDetectionProps } from '../../../constructs/audit';
import { appWithFlags, testStack, unacknowledgedFindings } from './nag-helpers';

const ACCOUNT = '111122223333';
const RULE_ARN = `arn:aws:events:eu-west-1:${ACCOUNT}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*`;

interface Fixture {
  app: App;
  stack: Stack;
  keys: PlatformKeys;
  models: EncryptedBucket;
  boundary: PlatformPermissionsBoundary;
  trail: AuditTrail;
}

function fixture(): Fixture {
  const app = appWithFlags();
  const stack = testStack(app);
  const keys = new PlatformKeys(stack, 'Keys');
  const models = new EncryptedBucket(stack, 'Models', { encryptionKey: keys.models.key });
  const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
  boundary.capToBuckets(models.bucket);
  boundary.capToKeys(...keys.all.map((k) => k.key));
  boundary.applyTo(app);
  const trail = new AuditTrail(stack, 'Trail', {
    trailName: 'ztai-audit-trail',
    encryptionKey: keys.audit,
    dataEventBuckets: [models.bucket],
  });
  return { app, stack, keys, models, boundary, trail };
}

function everything(f: Fixture): ThreatDetectionProps {
  return {
    guardDuty: true,
    malwareProtection: [{ bucket: f.models.bucket, encryptionKey: f.keys.models.key }],
    malwareScanRoleName: 'ztai-malware-scan',
    permissionsBoundary: f.boundary,
    securityHub: true,
    configRecording: true,
    configDelivery: f.trail,
  };
}

describe('ThreatDetection (off by default)', () => {
  test('creates nothing and says so', () => {
    const app = appWithFlags();
    const stack = testStack(app);
    new ThreatDetection(stack, 'Threats');
    const resources = Template.fromStack(stack).toJSON().Resources ?? {};
    expect(Object.keys(resources)).toEqual([]);
    Annotations.fromStack(stack).hasWarning('/Test/Threats', Match.stringLikeRegexp('every part off'));
  });
});

describe('ThreatDetection (everything on)', () => {
  let f: Fixture;
  let threats: ThreatDetection;
  let template: Template;

  beforeAll(() => {
    f = fixture();
    threats = new ThreatDetection(f.stack, 'Threats', everything(f));
    template = Template.fromStack(f.stack);
  });

  test('GuardDuty: S3 protection, runtime monitoring with managed agents, EBS malware, Lambda network logs', () => {
    template.resourceCountIs('AWS::GuardDuty::Detector', 1);
    template.hasResourceProperties('AWS::GuardDuty::Detector', {
      Enable: true,
      FindingPublishingFrequency: 'FIFTEEN_MINUTES',
      DataSources: Match.absent(),
      Features: [
        { Name: 'S3_DATA_EVENTS', Status: 'ENABLED' },
        {
          Name: 'RUNTIME_MONITORING',
          Status: 'ENABLED',
          AdditionalConfiguration: [
            { Name: 'EC2_AGENT_MANAGEMENT', Status: 'ENABLED' },
            { Name: 'ECS_FARGATE_AGENT_MANAGEMENT', Status: 'ENABLED' },
            { Name: 'EKS_ADDON_MANAGEMENT', Status: 'ENABLED' },
          ],
        },
        { Name: 'EBS_MALWARE_PROTECTION', Status: 'ENABLED' },
        { Name: 'LAMBDA_NETWORK_LOGS', Status: 'ENABLED' },
      ],
    });
  });

  test('malware protection plan for the models bucket, tagging results, after its policy exists', () => {
    template.hasResource('AWS::GuardDuty::MalwareProtectionPlan', {
      Properties: {
        ProtectedResource: { S3Bucket: { BucketName: f.stack.resolve(f.models.bucket.bucketName) } },
        Role: f.stack.resolve(threats.malwareScanRole!.roleArn),
        Actions: { Tagging: { Status: 'ENABLED' } },
      },
      DependsOn: [Match.stringLikeRegexp('^ThreatsMalwareScanPolicy')],
    });
  });

  test('the scan role: named, trusted by GuardDuty malware protection of this account, bounded', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'ztai-malware-scan',
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'malware-protection-plan.guardduty.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          },
        ],
      },
      MaxSessionDuration: 3600,
      PermissionsBoundary: { Ref: f.stack.getLogicalId(f.boundary.policy.node.defaultChild as never) },
    });
  });

  test('the scan role holds exactly what GuardDuty documents, in a managed policy', () => {
    const bucketArn = f.stack.resolve(f.models.bucket.bucketArn);
    const objects = f.stack.resolve(f.models.bucket.arnForObjects('*'));
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: f.stack.getLogicalId(threats.malwareScanRole!.node.defaultChild as never) }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['events:DeleteRule', 'events:PutRule', 'events:PutTargets', 'events:RemoveTargets'],
            Resource: RULE_ARN,
            Condition: { StringLike: { 'events:ManagedBy': 'malware-protection-plan.guardduty.amazonaws.com' } },
          },
          { Effect: 'Allow', Action: ['events:DescribeRule', 'events:ListTargetsByRule'], Resource: RULE_ARN },
          { Effect: 'Allow', Action: ['s3:GetBucketNotification', 's3:PutBucketNotification'], Resource: bucketArn },
          {
            Effect: 'Allow',
            Action: [
              's3:GetObject',
              's3:GetObjectTagging',
              's3:GetObjectVersion',
              's3:GetObjectVersionTagging',
              's3:PutObjectTagging',
              's3:PutObjectVersionTagging',
            ],
            Resource: objects,
          },
          {
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: f.stack.resolve(f.models.bucket.arnForObjects('malware-protection-resource-validation-object')),
          },
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: f.stack.resolve(f.keys.models.keyArn),
            Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
          },
        ],
      },
    });
  });

  test('the boundary ceiling is raised by exactly the scan role’s extra actions', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      ManagedPolicyName: 'ztai-platform-boundary',
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'GuardDutyScanRule',
            Effect: 'Allow',
            Action: [
              'events:DeleteRule',
              'events:DescribeRule',
              'events:ListTargetsByRule',
              'events:PutRule',
              'events:PutTargets',
              'events:RemoveTargets',
            ],
            Resource: RULE_ARN,
          },
          {
            Sid: 'GuardDutyMalwareScanVersionTags',
            Effect: 'Allow',
            Action: ['s3:GetObjectVersionTagging', 's3:PutObjectVersionTagging'],
            Resource: f.stack.resolve(f.models.bucket.arnForObjects('*')),
          },
        ]),
      },
    });
  });

  test('Security Hub with consolidated findings and the FSBP and CIS standards, no defaults', () => {
    template.hasResourceProperties('AWS::SecurityHub::Hub', {
      EnableDefaultStandards: false,
      ControlFindingGenerator: 'SECURITY_CONTROL',
      AutoEnableControls: true,
    });
    const standards = Object.values(template.findResources('AWS::SecurityHub::Standard'));
    expect(standards.map((s) => s.Properties.StandardsArn)).toEqual([
      'arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0',
      'arn:aws:securityhub:eu-west-1::standards/cis-aws-foundations-benchmark/v/3.0.0',
    ]);
    for (const s of standards) expect(s.DependsOn).toEqual([f.stack.getLogicalId(threats.hub!)]);
  });

  test('Config records everything with its service-linked role and delivers to the audit bucket with the audit key', () => {
    template.hasResourceProperties('AWS::IAM::ServiceLinkedRole', { AWSServiceName: 'config.amazonaws.com' });
    template.hasResource('AWS::Config::ConfigurationRecorder', {
      Properties: {
        RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`,
        RecordingGroup: { AllSupported: true, IncludeGlobalResourceTypes: true },
      },
      DependsOn: [Match.stringLikeRegexp('^ThreatsConfigServiceLinkedRole')],
    });
    template.hasResourceProperties('AWS::Config::DeliveryChannel', {
      S3BucketName: f.stack.resolve(f.trail.bucket.bucketName),
      S3KmsKeyArn: f.stack.resolve(f.keys.audit.keyArn),
      ConfigSnapshotDeliveryProperties: { DeliveryFrequency: 'TwentyFour_Hours' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'config.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [f.stack.resolve(f.trail.bucket.bucketArn), `/AWSLogs/${ACCOUNT}/Config/*`]] },
          }),
        ]),
      },
    });
  });

  test('no IAM role other than the scan role and the trail delivery role', () => {
    template.resourceCountIs('AWS::IAM::Role', 2);
  });

  test('all five nag packs are clean', () => {
    expect(unacknowledgedFindings(f.stack)).toEqual([]);
  });
});

describe('ThreatDetection options', () => {
  test('existing Config service-linked role, other standards, prefixed scanning', () => {
    const f = fixture();
    new ThreatDetection(f.stack, 'Threats', {
      ...everything(f),
      guardDuty: false,
      createConfigServiceLinkedRole: false,
      securityHubStandards: [SecurityHubStandard.NIST_800_53_R5],
      malwareProtection: [{ bucket: f.models.bucket, encryptionKey: f.keys.models.key, objectPrefixes: ['incoming/'] }],
    });
    const template = Template.fromStack(f.stack);
    template.resourceCountIs('AWS::GuardDuty::Detector', 0);
    template.resourceCountIs('AWS::IAM::ServiceLinkedRole', 0);
    template.hasResourceProperties('AWS::SecurityHub::Standard', {
      StandardsArn: 'arn:aws:securityhub:eu-west-1::standards/nist-800-53/v/5.0.0',
    });
    template.hasResourceProperties('AWS::GuardDuty::MalwareProtectionPlan', {
      ProtectedResource: { S3Bucket: { ObjectPrefixes: ['incoming/'] } },
    });
    expect(unacknowledgedFindings(f.stack)).toEqual([]);
  });
});

describe('ThreatDetection rejects bad input at synth', () => {
  test.each([
    [() => ({ configRecording: true }), /configRecording is true but configDelivery is undefined/],
    [(f: Fixture) => ({ configDelivery: f.trail }), /configDelivery is set but configRecording is not true/],
    [
      () => ({ securityHubStandards: [SecurityHubStandard.PCI_DSS_3_2_1] }),
      /securityHubStandards is set but securityHub is not true/,
    ],
    [() => ({ securityHub: true, securityHubStandards: [] }), /securityHubStandards must name at least one standard/],
    [
      (f: Fixture) => ({ malwareProtection: [{ bucket: f.models.bucket, encryptionKey: f.keys.models.key }] }),
      /malwareProtection is set but permissionsBoundary is undefined/,
    ],
    [
      (f: Fixture) => ({
        permissionsBoundary: f.boundary,
        malwareProtection: [
          { bucket: f.models.bucket, encryptionKey: f.keys.models.key, objectPrefixes: ['models/*'] },
        ],
      }),
      /objectPrefixes must be path segments ending in '\/'.* got 'models\/\*'/,
    ],
    [
      (f: Fixture) => ({
        permissionsBoundary: f.boundary,
        malwareProtection: [{ bucket: f.models.bucket, encryptionKey: f.keys.models.key, objectPrefixes: [] }],
      }),
      /objectPrefixes is \[\] \(nothing scanned\)/,
    ],
    [() => ({ malwareScanRoleName: 'bad name!' }), /malwareScanRoleName must be 1-64 characters.* got 'bad name!'/],
  ])('%#', (props, message) => {
    const f = fixture();
    expect(() => new ThreatDetection(f.stack, 'Threats', props(f))).toThrow(message);
  });

  test('any IBucket with its key can be scanned', () => {
    const f = fixture();
    const imported = s3.Bucket.fromBucketName(f.stack, 'Imported', 'some-bucket');
    expect(
      () =>
        new ThreatDetection(f.stack, 'Threats', {
          permissionsBoundary: f.boundary,
          malwareProtection: [{ bucket: imported, encryptionKey: f.keys.data.key }],
        }),
    ).not.toThrow();
  });
});
