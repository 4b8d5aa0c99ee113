import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { cfn, compliantBucket, compliantKey } from './fixtures';
import { fails, GuardFragment, passes, describeRuleFile } from '../helpers/guard';

const MULTI_REGION = 'ZTAI_GOVERNANCE_TRAIL_MULTI_REGION';
const VALIDATION = 'ZTAI_GOVERNANCE_TRAIL_LOG_VALIDATION';
const DATA_EVENTS = 'ZTAI_GOVERNANCE_TRAIL_S3_DATA_EVENTS';
const FLOW_LOGS = 'ZTAI_GOVERNANCE_VPC_FLOW_LOGS';
const BUCKET = 'ZTAI_GOVERNANCE_BUCKET_RETAINED';
const KEY = 'ZTAI_GOVERNANCE_KEY_RETAINED';
const LOG_GROUP = 'ZTAI_GOVERNANCE_LOG_GROUP_RETAINED';
const INPUT = 'ZTAI_GOVERNANCE_TEMPLATE_INPUT';

/** The platform trail: multi-region, validated, encrypted, with S3 data events. */
function auditTrail(stack: Stack, props: Partial<cloudtrail.TrailProps> = {}, s3DataEvents = true): cloudtrail.Trail {
  const trail = new cloudtrail.Trail(stack, 'Trail', {
    bucket: compliantBucket(stack, 'TrailBucket'),
    encryptionKey: compliantKey(stack, 'TrailKey'),
    ...props,
  });
  if (s3DataEvents) trail.logAllS3DataEvents();
  return trail;
}

function vpc(stack: Stack, id: string, flowLogs: boolean): ec2.Vpc {
  return new ec2.Vpc(stack, id, {
    maxAzs: 1,
    natGateways: 0,
    restrictDefaultSecurityGroup: false,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    flowLogs: flowLogs ? { all: {} } : undefined,
  });
}

const fragments: GuardFragment[] = [
  passes(MULTI_REGION, 'multi-region trail (the CDK default)', (stack) => {
    auditTrail(stack);
  }),
  fails(MULTI_REGION, 'single-region trail', (stack) => auditTrail(stack, { isMultiRegionTrail: false })),
  fails(MULTI_REGION, 'multi-region removed by an escape hatch', (stack) => {
    const trail = auditTrail(stack);
    cfn(trail).addPropertyDeletionOverride('IsMultiRegionTrail');
    return trail;
  }),

  passes(VALIDATION, 'log file validation (the CDK default)', (stack) => {
    auditTrail(stack);
  }),
  fails(VALIDATION, 'validation turned off', (stack) => auditTrail(stack, { enableFileValidation: false })),
  fails(VALIDATION, 'validation removed by an escape hatch', (stack) => {
    const trail = auditTrail(stack);
    cfn(trail).addPropertyDeletionOverride('EnableLogFileValidation');
    return trail;
  }),

  passes(DATA_EVENTS, 'S3 object data events (event selector)', (stack) => {
    auditTrail(stack);
  }),
  passes(DATA_EVENTS, 'S3 object data events (advanced event selector)', (stack) => {
    const trail = auditTrail(stack, {}, false);
    cfn(trail).addPropertyOverride('AdvancedEventSelectors', [
      {
        Name: 'S3 data events',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
        ],
      },
    ]);
  }),
  fails(DATA_EVENTS, 'management events only', (stack) => auditTrail(stack, {}, false)),
  fails(DATA_EVENTS, 'Lambda data events only', (stack) => {
    const trail = auditTrail(stack, {}, false);
    trail.logAllLambdaDataEvents();
    return trail;
  }),

  passes(FLOW_LOGS, 'VPC with a flow log', (stack) => {
    vpc(stack, 'Vpc', true);
  }),
  fails(FLOW_LOGS, 'VPC without a flow log', (stack) => vpc(stack, 'Vpc', false)),
  fails(FLOW_LOGS, 'second VPC left without one', (stack) => {
    vpc(stack, 'Logged', true);
    return vpc(stack, 'Unlogged', false);
  }),
  fails(FLOW_LOGS, 'flow log narrowed to a subnet by an escape hatch', (stack) => {
    const v = vpc(stack, 'Vpc', true);
    const flowLog = v.node.findChild('all').node.findChild('FlowLog') as ec2.CfnFlowLog;
    flowLog.addPropertyOverride('ResourceType', 'Subnet');
    flowLog.addPropertyOverride('ResourceId', v.isolatedSubnets[0].subnetId);
    return v;
  }),

  passes(BUCKET, 'bucket retained on deletion and replacement', (stack) => {
    compliantBucket(stack);
  }),
  passes(BUCKET, 'RETAIN_ON_UPDATE_OR_DELETE (RetainExceptOnCreate)', (stack) => {
    compliantBucket(stack, 'Bucket', { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
  }),
  fails(BUCKET, 'bucket destroyed with its stack', (stack) => {
    return compliantBucket(stack, 'Bucket', { removalPolicy: RemovalPolicy.DESTROY });
  }),
  fails(BUCKET, 'replacement policy weakened by an escape hatch', (stack) => {
    const bucket = compliantBucket(stack);
    cfn(bucket).addOverride('UpdateReplacePolicy', 'Delete');
    return bucket;
  }),

  passes(KEY, 'key retained (the CDK default)', (stack) => {
    new kms.Key(stack, 'Key', { enableKeyRotation: true });
  }),
  fails(KEY, 'key destroyed with its stack', (stack) => {
    return new kms.Key(stack, 'Key', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
  }),
  fails(KEY, 'deletion policy weakened by an escape hatch', (stack) => {
    const key = compliantKey(stack);
    cfn(key).addOverride('DeletionPolicy', 'Delete');
    return key;
  }),

  passes(LOG_GROUP, 'log group retained (the CDK default)', (stack) => {
    new logs.LogGroup(stack, 'Logs', { encryptionKey: compliantKey(stack) });
  }),
  fails(LOG_GROUP, 'log group destroyed with its stack', (stack) => {
    return new logs.LogGroup(stack, 'Logs', { removalPolicy: RemovalPolicy.DESTROY });
  }),
  fails(LOG_GROUP, 'deletion policy removed by an escape hatch', (stack) => {
    const group = new logs.LogGroup(stack, 'Logs');
    cfn(group).addDeletionOverride('DeletionPolicy');
    return group;
  }),

  passes(INPUT, 'a CloudFormation template', (stack) => {
    new sns.Topic(stack, 'Topic', { masterKey: compliantKey(stack) });
  }),
  fails(INPUT, 'a resource in Guard-hook RESOURCE shape (ResourceType, ResourceProperties)', (stack) => {
    const topic = new sns.Topic(stack, 'Topic');
    const resource = cfn(topic);
    resource.addDeletionOverride('Type');
    resource.addOverride('ResourceType', 'AWS::SNS::Topic');
    resource.addOverride('ResourceProperties', {});
    return topic;
  }),
];

describeRuleFile('governance.guard', fragments);
