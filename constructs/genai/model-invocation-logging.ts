import { Annotations, Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import { deployTimeCall } from '../private/deploy-time-call';
import { acknowledgeFinding, acknowledgeWildcardResource } from '../private/nag';
import { KEY_PREFIX_PATTERN, PlatformValidationError } from '../private/validation';
import * as perms from './private/genai-perms';

const BEDROCK = 'bedrock.amazonaws.com';

export interface ModelInvocationLoggingProps {
  /** The bucket invocation logs are delivered to (under `keyPrefix`), e.g. the audit bucket. */
  readonly bucket: s3.IBucket;
  /** The bucket's SSE-KMS key: Bedrock (the service principal) must be able to encrypt with it. */
  readonly bucketKey: kms.IKey;
  /** Prefix of the log objects: Bedrock writes `<keyPrefix>AWSLogs/<account>/BedrockModelInvocationLogs/…`. @default 'bedrock-invocation-logs/' */
  readonly keyPrefix?: string;
  /** The key of the log group (it must let CloudWatch Logs use it for this account's log groups). */
  readonly logGroupKey: kms.IKey;
  /** Retention of the log group. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
  /** The key of the deploy-time call's own log group. @default logGroupKey */
  readonly functionLogsKey?: kms.IKey;
}

/**
 * Bedrock model invocation logging for the account and Region: every model invocation's request,
 * response and metadata to an encrypted, retained CloudWatch Logs group and to a bucket prefix.
 *
 * CloudFormation has no resource for it, so a deploy-time call (`PutModelInvocationLoggingConfiguration`,
 * through CDK's `AwsCustomResource`, a role of its own limited to that action) sets it. Bedrock writes
 * to the log group with a role that trusts `bedrock.amazonaws.com` for this account's Bedrock
 * resources only (`aws:SourceAccount`, `aws:SourceArn`), and to the bucket through a bucket-policy
 * statement narrowed the same way, as the Bedrock User Guide sets them out
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html).
 *
 * The configuration is one per account and Region: deploying this replaces any other.
 */
export class ModelInvocationLogging extends Construct {
  /**
   * The actions of the deploy-time call that sets the configuration. A permissions boundary on the stack's
   * roles must allow them (`PlatformPermissionsBoundary.raiseCeiling`), or the stack fails to deploy.
   */
  public static readonly CONFIGURE_ACTIONS: readonly string[] = perms.BEDROCK_INVOCATION_LOGGING_CONFIG;

  public readonly logGroup: logs.LogGroup;
  /** The role Bedrock delivers to the log group with. */
  public readonly deliveryRole: iam.Role;
  public readonly keyPrefix: string;

  constructor(scope: Construct, id: string, props: ModelInvocationLoggingProps) {
    super(scope, id);
    const keyPrefix = props.keyPrefix ?? 'bedrock-invocation-logs/';
    if (!KEY_PREFIX_PATTERN.test(keyPrefix) || keyPrefix.split('/').some((s) => s === '.' || s === '..')) {
      throw new PlatformValidationError(
        this,
        `keyPrefix must be one or more path segments each ending in '/', of letters, digits and !_.'()-, got '${keyPrefix}'`,
      );
    }
    this.keyPrefix = keyPrefix;
    const sourceConditions = {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
    };

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      encryptionKey: props.logGroupKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: 'Bedrock delivers model invocation logs to the platform log group',
      assumedBy: new iam.ServicePrincipal(BEDROCK).withConditions(sourceConditions),
      maxSessionDuration: Duration.hours(1),
    });
    const delivery = new ManagedPolicyPrincipal(this, this.deliveryRole, 'DeliveryPolicy');
    iam.Grant.addToPrincipal({
      grantee: delivery,
      actions: perms.BEDROCK_LOGS_DELIVERY,
      resourceArns: [`${this.logGroup.logGroupArn}:log-stream:*`],
    });
    acknowledgeWildcardResource(
      delivery.policy!.node.defaultChild!,
      `${this.logGroup.logGroupArn}:log-stream:*`,
      'Bedrock names the log streams it creates in the one invocation-log group; the group is the boundary.',
    );

    const objects = props.bucket.arnForObjects(`${keyPrefix}AWSLogs/${Aws.ACCOUNT_ID}/BedrockModelInvocationLogs/*`);
    const added = props.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BedrockModelInvocationLogsWrite',
        principals: [new iam.ServicePrincipal(BEDROCK)],
        actions: ['s3:PutObject'],
        resources: [objects],
        conditions: sourceConditions,
      }),
    );
    const keyAdded = props.bucketKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'BedrockModelInvocationLogsEncrypt',
        principals: [new iam.ServicePrincipal(BEDROCK)],
        actions: ['kms:GenerateDataKey'],
        resources: ['*'],
        conditions: sourceConditions,
      }),
    );
    if (!added.statementAdded || !keyAdded.statementAdded) {
      Annotations.of(this).addWarningV2(
        'ztai:imported-invocation-log-bucket',
        'the invocation-log bucket or its key is imported: its policy must let bedrock.amazonaws.com (aws:SourceAccount, aws:SourceArn of this account) write the prefix and encrypt with the key.',
      );
    }

    const loggingConfig = {
      cloudWatchConfig: { logGroupName: this.logGroup.logGroupName, roleArn: this.deliveryRole.roleArn },
      s3Config: { bucketName: props.bucket.bucketName, keyPrefix: keyPrefix.replace(/\/$/, '') },
      textDataDeliveryEnabled: true,
      imageDataDeliveryEnabled: true,
      embeddingDataDeliveryEnabled: true,
      videoDataDeliveryEnabled: true,
    };
    const { resource, grants } = deployTimeCall(this, {
      call: {
        service: 'Bedrock',
        action: 'putModelInvocationLoggingConfiguration',
        parameters: { loggingConfig },
        physicalResourceId: cr.PhysicalResourceId.of(`model-invocation-logging-${Aws.REGION}`),
      },
      description: "Sets the account's Bedrock model invocation logging when the stack deploys",
      logsKey: props.functionLogsKey ?? props.logGroupKey,
      ids: { logs: 'ConfigureLogs', role: 'ConfigureRole', policy: 'ConfigurePolicy', resource: 'Configuration' },
      grant: (grantee) =>
        iam.Grant.addToPrincipal({ grantee, actions: perms.BEDROCK_INVOCATION_LOGGING_CONFIG, resourceArns: ['*'] }),
      reasons: {
        concurrency:
          'Runs only while the stack deploys, called by CloudFormation once per create or update of the logging configuration; reserving concurrency would only take it from the workloads.',
        insideVpc:
          'Must reach the Bedrock control-plane API, which the isolated VPC does not; it makes one call (PutModelInvocationLoggingConfiguration), holds no data and serves no traffic.',
        tracing:
          'AwsCustomResource offers no tracing setting; its one Bedrock call is recorded by CloudTrail management events.',
      },
    });
    resource.node.addDependency(this.deliveryRole);
    if (delivery.policy) resource.node.addDependency(delivery.policy);
    acknowledgeFinding(
      grants.policy!.node.defaultChild!,
      'AwsSolutions-IAM5[Resource::*]',
      'bedrock:PutModelInvocationLoggingConfiguration takes no resource (the Service Authorization Reference lists none): the configuration is the account’s.',
    );
  }
}
