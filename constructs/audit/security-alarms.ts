import { Annotations, ArnFormat, DefaultStackSynthesizer, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { KEY_PREFIX_PATTERN, PlatformValidationError, validateIntegerRange } from '../private/validation';
import * as perms from './private/audit-perms';
import {
  approvedModelWritePattern,
  bedrockInvocationPattern,
  CIS_ALARMS,
  endpointInvocationPattern,
  keyAccessDeniedPattern,
  MAX_FILTER_PATTERN_LENGTH,
  PLATFORM_ALARMS,
  sageMakerDeploymentPattern,
  SecurityAlarmDefinition,
} from './private/filter-patterns';

const CLOUDWATCH = 'cloudwatch.amazonaws.com';
const BOOTSTRAP_QUALIFIER_CONTEXT = '@aws-cdk/core:bootstrapQualifier';

export interface SecurityAlarmsProps {
  /** The CloudWatch Logs copy of the audit trail (`AuditTrail.logGroup`). */
  readonly logGroup: logs.ILogGroup;
  /**
   * The key of the alarm topic this construct creates. Its policy is extended to let CloudWatch
   * alarms of this account use it (`aws:SourceAccount`, `aws:SourceArn`). Required unless
   * `alarmTopic` is given: an alarm topic without a key fails at synth.
   * @default - the key of `alarmTopic`
   */
  readonly topicEncryptionKey?: kms.IKey;
  /**
   * An existing alarm topic, which must be encrypted with a KMS key (its `masterKey`).
   * @default - a new topic encrypted with `topicEncryptionKey`, TLS-only
   */
  readonly alarmTopic?: sns.ITopic;
  /** Prefix of every alarm name: `<prefix>-security-<alarm>`. @default 'ztai' */
  readonly alarmNamePrefix?: string;
  /** Namespace of the metric filters' metrics. @default 'ZTAI/Security' */
  readonly metricNamespace?: string;
  /** The models bucket, whose approved-model prefix only the admission role may write. */
  readonly modelsBucket: s3.IBucket;
  /** The approved-model prefix of the models bucket. @default 'approved/' */
  readonly approvedModelPrefix?: string;
  /**
   * The roles allowed to write under the approved-model prefix (the model-admission role), as IAM
   * role ARNs, optionally ending in `*`.
   * @default - none: every write under the prefix raises the alarm
   */
  readonly admissionRoleArnPatterns?: string[];
  /**
   * The roles allowed to create or change SageMaker models, endpoint configs and endpoints, as IAM
   * role ARNs, optionally ending in `*`.
   * @default - the CDK bootstrap CloudFormation execution role of this app's qualifier,
   * `arn:<partition>:iam::<account>:role/cdk-<qualifier>-cfn-exec-role-*`
   */
  readonly deployerRoleArnPatterns?: string[];
  /** The platform's keys; bursts of denied calls on any of them raise an alarm. */
  readonly platformKeys: kms.IKey[];
  /** Denied KMS calls on platform keys in five minutes that raise the alarm. @default 5 */
  readonly keyAccessDeniedThreshold?: number;
  /**
   * The roles allowed to invoke model endpoints (the platform's workload and API roles), as IAM
   * role ARNs, optionally ending in `*`. Needs SageMaker endpoint data events on the trail.
   * @default - none: every endpoint invocation raises the alarm
   */
  readonly endpointInvokerRoleArnPatterns?: string[];
  /**
   * The roles allowed to invoke Bedrock models (the platform's genai workload roles and knowledge-base
   * roles), as IAM role ARNs, optionally ending in `*`. InvokeModel and Converse calls are CloudTrail
   * management events; StartAsyncInvoke and bidirectional streams need `AWS::Bedrock::Model` data events.
   * @default - none: every Bedrock model invocation in the account raises the alarm
   */
  readonly modelInvokerRoleArnPatterns?: string[];
}

/** One alarm and the metric filter feeding it. */
export interface SecurityAlarm {
  readonly definition: SecurityAlarmDefinition;
  readonly metricFilter: logs.MetricFilter;
  readonly alarm: cloudwatch.Alarm;
  /** The alarm's name, `<prefix>-security-<slug>`. */
  readonly alarmName: string;
}

/**
 * Metric filters on the audit trail's log group and an alarm on each, to an encrypted, TLS-only SNS
 * topic: the CIS AWS Foundations Benchmark monitoring set (Security Hub CloudWatch.1-14 and
 * Organizations changes), guards of the platform's own controls (permissions boundaries, key
 * policies, log and trail tampering, threat detection turned off), and the AI-specific events:
 * model deployment changes by anyone but the deployment role, writes to approved models by anyone
 * but the admission role, bursts of denied calls on platform keys, and SageMaker endpoint and Bedrock
 * model invocations by principals outside the platform's roles.
 *
 * Alarm names (`<prefix>-security-<slug>`) and filter patterns are stable: they are the contract
 * with whoever subscribes to the topic.
 */
export class SecurityAlarms extends Construct {
  /** The topic every alarm notifies. */
  /** Prefix of every alarm name. */
  public readonly alarmNamePrefix: string;
  public readonly topic: sns.ITopic;
  /** The alarms, by definition id (e.g. `RootAccountUsage`). */
  public readonly alarms: ReadonlyMap<string, SecurityAlarm>;

  constructor(scope: Construct, id: string, props: SecurityAlarmsProps) {
    super(scope, id);
    const prefix = props.alarmNamePrefix ?? 'ztai';
    this.alarmNamePrefix = prefix;
    const namespace = props.metricNamespace ?? 'ZTAI/Security';
    const approvedPrefix = props.approvedModelPrefix ?? 'approved/';
    const admission = props.admissionRoleArnPatterns ?? [];
    const deployers = props.deployerRoleArnPatterns ?? [this.defaultDeployerPattern()];
    const invokers = props.endpointInvokerRoleArnPatterns ?? [];
    const modelInvokers = props.modelInvokerRoleArnPatterns ?? [];
    const keyThreshold = props.keyAccessDeniedThreshold ?? 5;
    this.validate(
      props,
      prefix,
      namespace,
      approvedPrefix,
      { admission, deployers, invokers, modelInvokers },
      keyThreshold,
    );

    this.topic = this.createTopic(props);

    const definitions: SecurityAlarmDefinition[] = [
      ...CIS_ALARMS,
      ...PLATFORM_ALARMS,
      {
        id: 'SageMakerDeploymentByNonDeployer',
        slug: 'ai-sagemaker-deployment-by-non-deployer',
        description:
          'A SageMaker model, endpoint config or endpoint was created, updated or deleted by a principal other than the deployment role',
        control: 'platform-ai',
        pattern: sageMakerDeploymentPattern(deployers),
        threshold: 1,
      },
      {
        id: 'ApprovedModelWriteByNonAdmission',
        slug: 'ai-approved-model-write-by-non-admission',
        description: `An object under ${approvedPrefix} of the models bucket was written or deleted by a principal other than the admission role`,
        control: 'platform-ai',
        pattern: approvedModelWritePattern(props.modelsBucket.bucketName, approvedPrefix, admission),
        threshold: 1,
      },
      {
        id: 'PlatformKeyAccessDeniedBurst',
        slug: 'ai-platform-key-access-denied-burst',
        description: `At least ${keyThreshold} calls on platform keys were denied within five minutes`,
        control: 'platform-ai',
        pattern: keyAccessDeniedPattern(props.platformKeys.map((k) => k.keyArn)),
        threshold: keyThreshold,
      },
      {
        id: 'EndpointInvokedByNonPlatformPrincipal',
        slug: 'ai-endpoint-invoked-by-non-platform-principal',
        description: 'A SageMaker endpoint was invoked by a principal outside the platform roles',
        control: 'platform-ai',
        pattern: endpointInvocationPattern(invokers),
        threshold: 1,
      },
      {
        id: 'BedrockModelInvokedByNonPlatformPrincipal',
        slug: 'ai-bedrock-model-invoked-by-non-platform-principal',
        description:
          'A Bedrock model was invoked (or an invocation was attempted) by a principal outside the platform roles',
        control: 'platform-ai',
        pattern: bedrockInvocationPattern(modelInvokers),
        threshold: 1,
      },
    ];

    const alarms = new Map<string, SecurityAlarm>();
    const action = new actions.SnsAction(this.topic);
    for (const definition of definitions) {
      this.validatePattern(definition);
      const metricFilter = new logs.MetricFilter(this, `${definition.id}Filter`, {
        logGroup: props.logGroup,
        filterPattern: logs.FilterPattern.literal(definition.pattern),
        metricNamespace: namespace,
        metricName: definition.id,
        metricValue: '1',
      });
      const alarmName = `${prefix}-security-${definition.slug}`;
      const alarm = new cloudwatch.Alarm(this, definition.id, {
        alarmName,
        alarmDescription: `${definition.description} (${definition.control}).`,
        metric: metricFilter.metric({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        threshold: definition.threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarms.set(definition.id, { definition, metricFilter, alarm, alarmName });
    }
    this.alarms = alarms;
  }

  /**
   * Alarm on a metric the platform emits itself (not a trail filter), to the same encrypted topic:
   * e.g. model admissions rejected, or messages in a dead-letter queue. The alarm fires when the
   * metric reaches `threshold` in one period.
   */
  public alarmOnMetric(
    id: string,
    slug: string,
    description: string,
    metric: cloudwatch.IMetric,
    threshold = 1,
  ): cloudwatch.Alarm {
    if (!/^[a-z0-9-]{1,64}$/.test(slug)) {
      throw new PlatformValidationError(
        this,
        `alarmOnMetric(${id}): slug must be 1-64 lower-case letters, digits and '-', got '${slug}'`,
      );
    }
    if (!(threshold > 0)) {
      throw new PlatformValidationError(this, `alarmOnMetric(${id}): threshold must be > 0, got ${threshold}`);
    }
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.alarmNamePrefix}-security-${slug}`,
      alarmDescription: `${description}.`,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    return alarm;
  }

  /** The alarm names, in a stable order. */
  public get alarmNames(): string[] {
    return [...this.alarms.values()].map((a) => a.alarmName);
  }

  private createTopic(props: SecurityAlarmsProps): sns.ITopic {
    const stack = Stack.of(this);
    let topic: sns.ITopic;
    let key: kms.IKey | undefined;
    if (props.alarmTopic) {
      if (props.topicEncryptionKey) {
        throw new PlatformValidationError(
          this,
          'set alarmTopic or topicEncryptionKey, not both: an existing topic keeps its own key',
        );
      }
      topic = props.alarmTopic;
      key = topic.masterKey;
      if (!key) {
        throw new PlatformValidationError(
          this,
          `alarm topic without key: alarmTopic ${topic.node.path} is not encrypted with a KMS key (masterKey); alarm topics must be SSE-KMS encrypted`,
        );
      }
    } else {
      key = props.topicEncryptionKey;
      if (!key) {
        throw new PlatformValidationError(
          this,
          'alarm topic without key: topicEncryptionKey is undefined; give a customer-managed KMS key (the platform logs key) or an encrypted alarmTopic',
        );
      }
      topic = new sns.Topic(this, 'Topic', {
        displayName: 'Zero-trust AI platform security alarms',
        masterKey: key,
        enforceSSL: true,
      });
    }
    const alarmArns = stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': alarmArns },
    };
    const published = topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal(CLOUDWATCH)],
        actions: perms.ALARM_TOPIC_PUBLISH,
        resources: [topic.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );
    const keyed = key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopics',
        principals: [new iam.ServicePrincipal(CLOUDWATCH)],
        actions: perms.ALARM_TOPIC_KEY,
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
      true,
    );
    if (!published.statementAdded || !keyed.statementAdded) {
      Annotations.of(this).addWarningV2(
        'ztai:alarm-topic-policy-not-managed',
        'The alarm topic or its key is imported, so its policy cannot be extended here: make sure it lets ' +
          'cloudwatch.amazonaws.com publish (sns:Publish) and use the key (kms:Decrypt, kms:GenerateDataKey*) for this account.',
      );
    }
    return topic;
  }

  private defaultDeployerPattern(): string {
    const stack = Stack.of(this);
    const qualifier = this.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    return `arn:${stack.partition}:iam::${stack.account}:role/cdk-${qualifier}-cfn-exec-role-*`;
  }

  private validate(
    props: SecurityAlarmsProps,
    prefix: string,
    namespace: string,
    approvedPrefix: string,
    roles: Record<string, string[]>,
    keyThreshold: number,
  ): void {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(prefix)) {
      throw new PlatformValidationError(
        this,
        `alarmNamePrefix must be 1-64 characters of letters, digits, '_' and '-', got '${prefix}'`,
      );
    }
    if (!/^[A-Za-z0-9./#:_-]{1,255}$/.test(namespace) || namespace.startsWith('AWS/')) {
      throw new PlatformValidationError(
        this,
        `metricNamespace must be 1-255 characters of letters, digits and . / # : _ - and must not start with 'AWS/', got '${namespace}'`,
      );
    }
    if (!Token.isUnresolved(approvedPrefix) && !KEY_PREFIX_PATTERN.test(approvedPrefix)) {
      throw new PlatformValidationError(
        this,
        `approvedModelPrefix must be one or more path segments ending in '/', without wildcards or quotes (e.g. 'approved/'), got '${approvedPrefix}'`,
      );
    }
    const fields: Record<string, string> = {
      admission: 'admissionRoleArnPatterns',
      deployers: 'deployerRoleArnPatterns',
      invokers: 'endpointInvokerRoleArnPatterns',
      modelInvokers: 'modelInvokerRoleArnPatterns',
    };
    for (const [k, patterns] of Object.entries(roles)) {
      for (const p of patterns) {
        const wildcardInside = p.indexOf('*') !== -1 && p.indexOf('*') !== p.length - 1;
        const malformed = !Token.isUnresolved(p) && !/^arn:[a-z-]+:iam::\d{12}:role\/[\w+=,.@/-]*\*?$/.test(p);
        if (wildcardInside || malformed || p.includes('"')) {
          throw new PlatformValidationError(
            this,
            `${fields[k]} must hold IAM role ARNs, optionally ending in '*' (CloudWatch Logs matches '*' only at the end of a value), got '${p}'`,
          );
        }
      }
    }
    if (props.platformKeys.length === 0) {
      throw new PlatformValidationError(this, 'platformKeys must name at least one key, got []');
    }
    validateIntegerRange(this, 'keyAccessDeniedThreshold', keyThreshold, 1, 10000);
  }

  private validatePattern(definition: SecurityAlarmDefinition): void {
    const pattern = definition.pattern;
    if (Token.isUnresolved(pattern)) return;
    if (pattern.length > MAX_FILTER_PATTERN_LENGTH) {
      throw new PlatformValidationError(
        this,
        `the filter pattern of ${definition.id} is ${pattern.length} characters; CloudWatch Logs accepts at most ${MAX_FILTER_PATTERN_LENGTH}: name fewer roles or keys`,
      );
    }
  }
}
