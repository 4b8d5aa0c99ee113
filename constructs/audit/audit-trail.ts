import { Annotations, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import { cloudWatchLogsKeyStatement, PlatformKey } from '../keys/platform-key';
import { addToResourcePolicyOrWarn, isOwned, warnOwnerMustAdd } from '../private/imported';
import { PlatformValidationError, validateIntegerRange } from '../private/validation';
import { EncryptedBucket } from '../storage/encrypted-bucket';
import * as perms from './private/audit-perms';
import { validateLogRetentionDays } from './private/log-retention';

/** The CloudTrail service principal. */
const CLOUDTRAIL = 'cloudtrail.amazonaws.com';
/** Most values CloudTrail accepts across all advanced event selectors of a trail. */
const MAX_SELECTOR_VALUES = 500;

/**
 * A resource type whose data events (data-plane calls) CloudTrail can record for the AI services,
 * by its `resources.type` value in an advanced event selector.
 *
 * Sources: the "Logging data events" table of the CloudTrail User Guide, the SageMaker AI Developer
 * Guide ("SageMaker AI data events in CloudTrail": `AWS::SageMaker::Endpoint` logs InvokeEndpoint,
 * InvokeEndpointAsync and InvokeEndpointWithResponseStream) and the Bedrock User Guide ("Amazon
 * Bedrock data events in CloudTrail"). Bedrock `InvokeModel`, `InvokeModelWithResponseStream`,
 * `Converse` and `ConverseStream` are management events: the trail records them without a selector.
 */
export class AiDataEventResource {
  /** SageMaker real-time endpoints: InvokeEndpoint, InvokeEndpointAsync, InvokeEndpointWithResponseStream. */
  public static readonly SAGEMAKER_ENDPOINT = new AiDataEventResource('AWS::SageMaker::Endpoint');
  /** Bedrock agent aliases: InvokeAgent. */
  public static readonly BEDROCK_AGENT_ALIAS = new AiDataEventResource('AWS::Bedrock::AgentAlias');
  /** Bedrock knowledge bases: Retrieve, RetrieveAndGenerate. */
  public static readonly BEDROCK_KNOWLEDGE_BASE = new AiDataEventResource('AWS::Bedrock::KnowledgeBase');
  /** Bedrock flow aliases: InvokeFlow. */
  public static readonly BEDROCK_FLOW_ALIAS = new AiDataEventResource('AWS::Bedrock::FlowAlias');
  /** Bedrock guardrails: ApplyGuardrail. */
  public static readonly BEDROCK_GUARDRAIL = new AiDataEventResource('AWS::Bedrock::Guardrail');
  /** Bedrock models: InvokeModelWithBidirectionalStream, StartAsyncInvoke, GetAsyncInvoke. */
  public static readonly BEDROCK_MODEL = new AiDataEventResource('AWS::Bedrock::Model');

  private constructor(
    /** The `resources.type` value of the advanced event selector. */
    public readonly resourceType: string,
  ) {}
}

export interface AuditTrailProps {
  /**
   * The key that encrypts the trail's log files, its bucket and its log group: the platform's audit
   * key (a `PlatformKey`), or any `kms.IKey`. Its policy is extended to let this trail (and only this
   * trail) encrypt with it; for a key not defined in this app, warnings (`ztai:imported-key-policy`)
   * name each statement its owner must add.
   */
  readonly encryptionKey: kms.IKey;
  /** Buckets whose every object read and write is recorded (S3 data events): the platform's data and model buckets. */
  readonly dataEventBuckets: s3.IBucket[];
  /**
   * AI data events to record, for every resource of each type in the account.
   * @default [AiDataEventResource.SAGEMAKER_ENDPOINT]
   */
  readonly aiDataEvents?: AiDataEventResource[];
  /**
   * The trail's name. The trail is addressed by name in the bucket and key policies (`aws:SourceArn`),
   * so it is fixed at synth.
   * @default - `<stack name>-audit-trail`
   */
  readonly trailName?: string;
  /** Retention of the CloudWatch Logs copy, in days (a value CloudWatch Logs accepts). @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Object Lock mode of the audit bucket. COMPLIANCE cannot be shortened or lifted by anyone,
   * the root user included, until the retention passes.
   * @default s3.ObjectLockMode.GOVERNANCE
   */
  readonly objectLockMode?: s3.ObjectLockMode;
  /** Object Lock retention of every log file, in days (1 to 36500). @default 365 */
  readonly objectLockRetentionDays?: number;
  /** Days before log files move to Glacier Instant Retrieval. @default 90 */
  readonly archiveAfterDays?: number;
  /** Days before log files move to Glacier Deep Archive; more than `archiveAfterDays`. @default 365 */
  readonly deepArchiveAfterDays?: number;
  /**
   * CloudTrail Insights on API call rate and API error rate. Turning it off is reported as a warning.
   * @default true
   */
  readonly insights?: boolean;
}

/**
 * The platform's audit trail: one multi-region CloudTrail trail with global service events and log
 * file validation, encrypted with the audit key, delivered to a dedicated Object-Locked audit bucket
 * and to an encrypted CloudWatch Logs group.
 *
 * It records management events (KMS included), S3 data events for every object of the given
 * buckets, and the AI data events CloudTrail supports (SageMaker endpoint invocations by default),
 * with CloudTrail Insights on API call and error rates.
 *
 * The audit bucket admits only this trail (`aws:SourceArn`, `aws:SourceAccount`) to write, denies
 * every delete and Object Lock bypass, moves logs to colder storage and is retained.
 */
export class AuditTrail extends Construct {
  /** The trail. */
  public readonly trail: cloudtrail.CfnTrail;
  public readonly trailName: string;
  /** The trail's ARN, built from its name (usable in policies of any stack of the account). */
  public readonly trailArn: string;
  /** The audit bucket. */
  public readonly bucket: EncryptedBucket;
  /** The CloudWatch Logs copy of the trail, where the security alarms' metric filters read. */
  public readonly logGroup: logs.LogGroup;
  /** The role CloudTrail assumes to write to the log group. */
  public readonly deliveryRole: iam.Role;
  public readonly encryptionKey: kms.IKey;
  /** The key itself: a PlatformKey's underlying key, or the key given. */
  private readonly key: kms.IKey;

  /** Service principals allowed to write to the audit bucket. */
  private readonly writers: string[] = [CLOUDTRAIL];

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.trailName = props.trailName ?? `${stack.stackName}-audit-trail`;
    const aiDataEvents = [...new Set(props.aiDataEvents ?? [AiDataEventResource.SAGEMAKER_ENDPOINT])];
    const logRetentionDays = props.logRetentionDays ?? 365;
    const lockDays = props.objectLockRetentionDays ?? 365;
    const archiveAfterDays = props.archiveAfterDays ?? 90;
    const deepArchiveAfterDays = props.deepArchiveAfterDays ?? 365;
    this.validate(props, logRetentionDays, lockDays, archiveAfterDays, deepArchiveAfterDays);
    this.encryptionKey = props.encryptionKey;
    this.key = props.encryptionKey instanceof PlatformKey ? props.encryptionKey.key : props.encryptionKey;
    this.trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: this.trailName });

    this.bucket = this.createBucket(props.objectLockMode ?? s3.ObjectLockMode.GOVERNANCE, lockDays, {
      archiveAfterDays,
      deepArchiveAfterDays,
    });
    this.allowCloudTrailToUseTheKey();

    if (!isOwned(this.key)) {
      warnOwnerMustAdd(
        this,
        'ztai:imported-key-policy',
        `key ${this.key.keyArn}`,
        'its key policy',
        [cloudWatchLogsKeyStatement()],
        "CloudWatch Logs encrypts the trail's log group with it",
      );
    }
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      encryptionKey: this.key,
      retention: logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.deliveryRole = new iam.Role(this, 'LogsDeliveryRole', {
      description: `CloudTrail delivery of ${this.trailName} to CloudWatch Logs`,
      assumedBy: new iam.ServicePrincipal(CLOUDTRAIL).withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    const delivery = new ManagedPolicyPrincipal(this, this.deliveryRole, 'LogsDeliveryPolicy');
    iam.Grant.addToPrincipal({
      grantee: { grantPrincipal: delivery },
      actions: perms.CLOUDTRAIL_LOGS_DELIVERY,
      resourceArns: [this.logGroup.logGroupArn],
    });

    this.trail = new cloudtrail.CfnTrail(this, 'Resource', {
      trailName: this.trailName,
      isLogging: true,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      kmsKeyId: this.key.keyArn,
      s3BucketName: this.bucket.bucketName,
      cloudWatchLogsLogGroupArn: this.logGroup.logGroupArn,
      cloudWatchLogsRoleArn: this.deliveryRole.roleArn,
      advancedEventSelectors: this.eventSelectors(props.dataEventBuckets, aiDataEvents),
      insightSelectors:
        props.insights === false
          ? undefined
          : [{ insightType: 'ApiCallRateInsight' }, { insightType: 'ApiErrorRateInsight' }],
    });
    this.trail.node.addDependency(this.bucket.bucket.policy!, delivery.policy!);
    if (props.insights === false) {
      Annotations.of(this).addWarningV2(
        'ztai:audit-insights-off',
        'insights is false: CloudTrail Insights will not flag unusual API call or error rates.',
      );
    }
  }

  /**
   * Let another AWS service (e.g. `config.amazonaws.com`) deliver to its own prefix of the audit
   * bucket, `AWSLogs/<account>/<logFolder>/`, for this account only, and encrypt with the audit key.
   */
  public admitServiceDelivery(servicePrincipal: string, logFolder: string): void {
    if (!/^[a-z0-9-]+\.amazonaws\.com$/.test(servicePrincipal) || servicePrincipal === CLOUDTRAIL) {
      throw new PlatformValidationError(
        this,
        `admitServiceDelivery: servicePrincipal must be an AWS service principal other than ${CLOUDTRAIL} (e.g. 'config.amazonaws.com'), got '${servicePrincipal}'`,
      );
    }
    if (!/^[A-Za-z0-9-]+$/.test(logFolder)) {
      throw new PlatformValidationError(
        this,
        `admitServiceDelivery: logFolder must be one path segment of letters, digits and '-' (e.g. 'Config'), got '${logFolder}'`,
      );
    }
    if (this.writers.includes(servicePrincipal)) return;
    this.writers.push(servicePrincipal);
    const account = Stack.of(this).account;
    const bucket = this.bucket.bucket;
    const principal = new iam.ServicePrincipal(servicePrincipal);
    const sourceAccount = { StringEquals: { 'aws:SourceAccount': account } };
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: perms.SERVICE_DELIVERY_BUCKET_CHECKS,
        resources: [bucket.bucketArn],
        conditions: sourceAccount,
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: perms.SERVICE_DELIVERY_WRITE,
        resources: [bucket.arnForObjects(`AWSLogs/${account}/${logFolder}/*`)],
        conditions: {
          StringEquals: { 'aws:SourceAccount': account, 's3:x-amz-acl': 'bucket-owner-full-control' },
        },
      }),
    );
    this.allowServiceToUseTheKey(servicePrincipal, perms.SERVICE_DELIVERY_KEY, sourceAccount);
  }

  /** Read the delivered log files (every version), e.g. for an auditor role. */
  public grantReadLogs(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantReadPrefix(grantee, 'AWSLogs/');
  }

  private validate(
    props: AuditTrailProps,
    logRetentionDays: number,
    lockDays: number,
    archiveAfterDays: number,
    deepArchiveAfterDays: number,
  ): void {
    if (!Token.isUnresolved(this.trailName) && !/^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$/.test(this.trailName)) {
      throw new PlatformValidationError(
        this,
        `trailName must be 3-128 characters of letters, digits, '.', '_' and '-', starting with a letter or digit, got '${this.trailName}'`,
      );
    }
    if (props.dataEventBuckets.length === 0) {
      throw new PlatformValidationError(
        this,
        'dataEventBuckets must name at least one bucket (the platform data and model buckets), got []',
      );
    }
    validateLogRetentionDays(this, 'logRetentionDays', logRetentionDays);
    validateIntegerRange(this, 'objectLockRetentionDays', lockDays, 1, 36500);
    validateIntegerRange(this, 'archiveAfterDays', archiveAfterDays, 1, 36500);
    validateIntegerRange(this, 'deepArchiveAfterDays', deepArchiveAfterDays, 1, 36500);
    if (
      !Token.isUnresolved(archiveAfterDays) &&
      !Token.isUnresolved(deepArchiveAfterDays) &&
      deepArchiveAfterDays <= archiveAfterDays
    ) {
      throw new PlatformValidationError(
        this,
        `deepArchiveAfterDays (${deepArchiveAfterDays}) must be more than archiveAfterDays (${archiveAfterDays})`,
      );
    }
  }

  private createBucket(
    mode: s3.ObjectLockMode,
    lockDays: number,
    lifecycle: { archiveAfterDays: number; deepArchiveAfterDays: number },
  ): EncryptedBucket {
    const retention =
      mode === s3.ObjectLockMode.COMPLIANCE
        ? s3.ObjectLockRetention.compliance(Duration.days(lockDays))
        : s3.ObjectLockRetention.governance(Duration.days(lockDays));
    const bucket = new EncryptedBucket(this, 'Bucket', {
      encryptionKey: this.key,
      objectLockEnabled: true,
      objectLockDefaultRetention: retention,
      lifecycleRules: [
        {
          id: 'ArchiveAuditLogs',
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(lifecycle.archiveAfterDays),
            },
            {
              storageClass: s3.StorageClass.DEEP_ARCHIVE,
              transitionAfter: Duration.days(lifecycle.deepArchiveAfterDays),
            },
          ],
        },
      ],
    });
    const b = bucket.bucket;
    const account = Stack.of(this).account;
    const thisTrail = { 'aws:SourceArn': this.trailArn, 'aws:SourceAccount': account };
    const cloudTrail = new iam.ServicePrincipal(CLOUDTRAIL);
    b.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailAclCheck',
        principals: [cloudTrail],
        actions: ['s3:GetBucketAcl'],
        resources: [b.bucketArn],
        conditions: { StringEquals: thisTrail },
      }),
    );
    b.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudTrailWrite',
        principals: [cloudTrail],
        actions: perms.SERVICE_DELIVERY_WRITE,
        resources: [b.arnForObjects(`AWSLogs/${account}/*`)],
        conditions: { StringEquals: { ...thisTrail, 's3:x-amz-acl': 'bucket-owner-full-control' } },
      }),
    );
    b.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyWritesByAnyoneButTheDeliveringServices',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: perms.SERVICE_DELIVERY_WRITE,
        resources: [b.arnForObjects('*')],
        conditions: {
          StringNotEquals: { 'aws:PrincipalServiceName': Lazy.list({ produce: () => this.writers }) },
        },
      }),
    );
    b.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletingAuditRecords',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: perms.AUDIT_BUCKET_DENIED_DELETES,
        resources: [b.bucketArn, b.arnForObjects('*')],
      }),
    );
    return bucket;
  }

  private allowCloudTrailToUseTheKey(): void {
    const stack = Stack.of(this);
    const thisTrail = { StringEquals: { 'aws:SourceArn': this.trailArn } };
    this.allowServiceToUseTheKey(CLOUDTRAIL, perms.CLOUDTRAIL_KEY_ENCRYPT, {
      ...thisTrail,
      StringLike: {
        'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*`,
      },
    });
    this.allowServiceToUseTheKey(CLOUDTRAIL, perms.CLOUDTRAIL_KEY_DESCRIBE, thisTrail);
    this.allowServiceToUseTheKey(CLOUDTRAIL, perms.CLOUDTRAIL_KEY_DECRYPT, thisTrail);
  }

  /**
   * Let a service principal use the key, narrowed by conditions (as `PlatformKey.allowServicePrincipal`);
   * for a key not defined in this app, warn with the statement its owner must add.
   */
  private allowServiceToUseTheKey(
    service: string,
    actions: string[],
    conditions: Record<string, Record<string, unknown>>,
  ): void {
    if (this.encryptionKey instanceof PlatformKey) {
      this.encryptionKey.allowServicePrincipal(service, actions, conditions);
      return;
    }
    addToResourcePolicyOrWarn(
      this,
      this.key,
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(service)],
        actions,
        resources: ['*'],
        conditions,
      }),
      'ztai:imported-key-policy',
      `key ${this.key.keyArn}`,
      `${service} uses it for the trail ${this.trailName} and its deliveries`,
    );
  }

  private eventSelectors(
    buckets: s3.IBucket[],
    aiDataEvents: AiDataEventResource[],
  ): cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] {
    const selectors: cloudtrail.CfnTrail.AdvancedEventSelectorProperty[] = [
      {
        name: 'Management events, KMS included',
        fieldSelectors: [{ field: 'eventCategory', equalTo: ['Management'] }],
      },
      {
        name: 'Every object of the platform buckets',
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
          { field: 'resources.ARN', startsWith: buckets.map((b) => `${b.bucketArn}/`) },
        ],
      },
      ...aiDataEvents.map((r) => ({
        name: `Data events of ${r.resourceType}`,
        fieldSelectors: [
          { field: 'eventCategory', equalTo: ['Data'] },
          { field: 'resources.type', equalTo: [r.resourceType] },
        ],
      })),
    ];
    const values = selectors.reduce(
      (sum, s) =>
        sum +
        (s.fieldSelectors as cloudtrail.CfnTrail.AdvancedFieldSelectorProperty[]).reduce(
          (n, f) => n + (f.equalTo?.length ?? 0) + (f.startsWith?.length ?? 0),
          0,
        ),
      0,
    );
    if (values > MAX_SELECTOR_VALUES) {
      throw new PlatformValidationError(
        this,
        `the advanced event selectors hold ${values} values; CloudTrail allows at most ${MAX_SELECTOR_VALUES} per trail: record fewer buckets or AI resource types`,
      );
    }
    return selectors;
  }
}
