import { Aws, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  AiDataEventResource,
  AuditTrail,
  MonitoredWorkload,
  OperationalMonitoring,
  SecurityAlarms,
  ThreatDetection,
} from '../constructs/audit';
import { ModelGatewayApi } from '../constructs/api';
import {
  apiRouteRolePath,
  auditTrailName,
  malwareScanRoleName,
  roleArnFromName,
  workloadEndpointName,
  workloadRoleName,
} from './config/names';
import { knowledgeBaseRoleNamePrefix } from './config/naming-rules';
import { PlatformConfig } from './config/platform-config';
import type { PlatformStack } from './platform-stack';
import type { WorkloadStack } from './workload-stack';

export interface AuditStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly platform: PlatformStack;
  /** The workload stacks, by workload name: their roles are the platform's endpoint invokers. */
  readonly workloads: ReadonlyMap<string, WorkloadStack>;
  /**
   * The model-admission role(s), the only principals that may write under `approved/` of the models
   * bucket (the model-signing issue creates the role).
   * @default - none: every write under approved/ raises the alarm
   */
  readonly admissionRoleArnPatterns?: string[];
  /**
   * The model-admission gate's dead-letter queue: a message there is an admission the gate could
   * not finish (KMS or S3 failing after retries).
   * @default - no dead-letter alarm
   */
  readonly admissionDeadLetterQueue?: sqs.IQueue;
  /**
   * What the operational dashboard and alarms of this stack watch, per workload: the first shard of
   * `monitoringShards` (the others go to `MonitoringStack`s), so the stack does not grow with the platform.
   * @default - each realtime-inference workload's endpoint, by the name the workload wiring gives it
   * (`<workload stack name>-endpoint`, lower case, at most 63 characters)
   */
  readonly monitoredWorkloads?: MonitoredWorkload[];
}

/**
 * The AI resources whose data events the trail records: SageMaker endpoints always; with genai workloads,
 * Bedrock guardrails (ApplyGuardrail), models (StartAsyncInvoke, bidirectional streams) and, with a
 * knowledge base, knowledge bases (Retrieve, RetrieveAndGenerate). InvokeModel and Converse are
 * management events, recorded with the others
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/logging-using-cloudtrail.html).
 */
export function auditedAiResources(config: PlatformConfig): AiDataEventResource[] {
  const genai = config.workloads.filter((w) => w.kind === 'genai');
  if (genai.length === 0) return [AiDataEventResource.SAGEMAKER_ENDPOINT];
  return [
    AiDataEventResource.SAGEMAKER_ENDPOINT,
    AiDataEventResource.BEDROCK_GUARDRAIL,
    AiDataEventResource.BEDROCK_MODEL,
    ...(genai.some((w) => w.genai?.retrieval?.knowledgeBase) ? [AiDataEventResource.BEDROCK_KNOWLEDGE_BASE] : []),
  ];
}

/**
 * The roles that may invoke Bedrock models: the workload roles (`<platform>-workload-*`; only genai
 * workloads are granted a model) and the knowledge bases' roles (`<platform>-kb-*`, which embed documents
 * and queries). Two patterns, whatever the number of workloads, so the alarm's filter does not grow. None
 * without genai workloads: then any invocation in the account is unexpected.
 */
export function bedrockInvokerRoleArnPatterns(config: PlatformConfig): string[] {
  if (!config.workloads.some((w) => w.kind === 'genai')) return [];
  const role = (name: string) => roleArnFromName(Aws.PARTITION, Aws.ACCOUNT_ID, '/', name);
  return [
    role(`${workloadRoleName(config.platformName, '')}*`),
    role(`${knowledgeBaseRoleNamePrefix(config.platformName)}*`),
  ];
}

/** The endpoint name lib/workloads/compute.ts gives a realtime-inference workload's endpoint. */
function defaultEndpointName(workload: WorkloadStack): string {
  return workloadEndpointName(workload.stackName);
}

// Defined with the other names built from config, so the platform stack needs no import of this stack.
export { malwareScanRoleArn, malwareScanRoleName } from './config/names';

/**
 * Audit and continuous monitoring of the platform: the audit trail (data events for the platform
 * buckets, SageMaker endpoints and, with genai workloads, Bedrock), the security alarms, the operational dashboard and alarms, and,
 * in the production profile, threat detection (GuardDuty, malware scanning of the models bucket,
 * Security Hub, AWS Config) and compliance-mode Object Lock on the audit bucket.
 */
export class AuditStack extends Stack {
  public readonly trail: AuditTrail;
  public readonly securityAlarms: SecurityAlarms;
  public readonly operationalMonitoring: OperationalMonitoring;
  /** Only in the production profile. */
  public readonly threatDetection?: ThreatDetection;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { config, platform } = props;
    const production = config.profile === 'production';
    this.addStackDependency(platform, 'audit key, platform buckets and keys, permissions boundary');

    this.trail = new AuditTrail(this, 'Trail', {
      trailName: auditTrailName(config.platformName),
      encryptionKey: platform.keys.audit,
      dataEventBuckets: [platform.dataBucket.bucket, platform.modelsBucket.bucket],
      aiDataEvents: auditedAiResources(config),
      logRetentionDays: config.logRetentionDays,
      objectLockMode: production ? s3.ObjectLockMode.COMPLIANCE : s3.ObjectLockMode.GOVERNANCE,
      objectLockRetentionDays: 365,
    });

    this.securityAlarms = new SecurityAlarms(this, 'SecurityAlarms', {
      logGroup: this.trail.logGroup,
      topicEncryptionKey: platform.keys.logs.key,
      alarmNamePrefix: config.platformName,
      modelsBucket: platform.modelsBucket.bucket,
      admissionRoleArnPatterns: props.admissionRoleArnPatterns,
      platformKeys: platform.keys.all.map((k) => k.key),
      // Every model call enters through the API: its route roles are the only endpoint invokers.
      endpointInvokerRoleArnPatterns: [ModelGatewayApi.routeRoleArnPattern(apiRouteRolePath(config.platformName))],
      modelInvokerRoleArnPatterns: bedrockInvokerRoleArnPatterns(config),
    });

    // The admission gate's own signals: a rejected model (bad signature, digest, file set or subject),
    // and an admission it could not finish.
    this.securityAlarms.alarmOnMetric(
      'ModelAdmissionRejected',
      'ai-model-admission-rejected',
      'The model admission gate rejected a model (signature, digest, file set or subject did not verify)',
      new cloudwatch.Metric({
        namespace: 'ZeroTrustAI/ModelAdmission',
        metricName: 'AdmissionRejected',
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
    );
    if (props.admissionDeadLetterQueue) {
      this.securityAlarms.alarmOnMetric(
        'ModelAdmissionDeadLetters',
        'ai-model-admission-dead-letters',
        'An admission the gate could not finish is in its dead-letter queue',
        props.admissionDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(5),
        }),
      );
    }

    this.operationalMonitoring = new OperationalMonitoring(this, 'OperationalMonitoring', {
      platformName: config.platformName,
      alarmTopic: this.securityAlarms.topic,
      workloads:
        props.monitoredWorkloads ??
        config.workloads.map((w) => ({
          name: w.name,
          endpoint:
            w.kind === 'realtime-inference' && props.workloads.has(w.name)
              ? { endpointName: defaultEndpointName(props.workloads.get(w.name)!) }
              : undefined,
        })),
    });

    if (production) {
      this.threatDetection = new ThreatDetection(this, 'ThreatDetection', {
        guardDuty: true,
        malwareProtection: [{ bucket: platform.modelsBucket.bucket, encryptionKey: platform.keys.models.key }],
        malwareScanRoleName: malwareScanRoleName(config),
        permissionsBoundary: platform.boundary,
        securityHub: true,
        configRecording: true,
        configDelivery: this.trail,
      });
    }
  }
}

/**
 * Monitored workloads per monitoring stack: each holds at most this many of the config's workloads (with
 * their people-API entries). A workload adds up to about 10 alarms and 8 KB of template (alarms and its
 * dashboard widgets), so 50 keep a stack under 400 resources and 800 KB with the audit stack's own
 * resources, and a dashboard under CloudWatch's 500 widgets.
 */
export const MONITORED_WORKLOADS_PER_STACK = 50;

/**
 * The monitored entries split into shards of `MONITORED_WORKLOADS_PER_STACK` workloads, in config order;
 * a workload's people-API entry (`<workload>-people`) stays in its workload's shard.
 */
export function monitoringShards(
  config: PlatformConfig,
  monitored: readonly MonitoredWorkload[],
  perStack: number = MONITORED_WORKLOADS_PER_STACK,
): MonitoredWorkload[][] {
  const shardOf = new Map(config.workloads.map((w, i) => [w.name, Math.floor(i / perStack)]));
  const shards: MonitoredWorkload[][] = [];
  for (const m of monitored) {
    const owner = shardOf.get(m.name) ?? shardOf.get(m.name.replace(/-people$/, '')) ?? 0;
    (shards[owner] ??= []).push(m);
  }
  return shards.filter((s) => s !== undefined);
}

export interface MonitoringStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** The audit stack: its alarm topic is where these alarms notify. */
  readonly audit: AuditStack;
  /** The workloads this stack watches (a shard of `monitoringShards`). */
  readonly monitoredWorkloads: MonitoredWorkload[];
  /** The shard's number, from 2 (the first shard is in the audit stack). */
  readonly shard: number;
}

/**
 * Operational alarms and a dashboard (`<platform>-operations-<n>`) for one shard of the workloads beyond
 * the audit stack's: per-workload monitoring grows with the platform, so it is spread over stacks of a
 * bounded size, and the audit stack keeps the account-wide security alarms only with its first shard.
 */
export class MonitoringStack extends Stack {
  public readonly operationalMonitoring: OperationalMonitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    this.addStackDependency(props.audit, 'alarm topic');
    this.operationalMonitoring = new OperationalMonitoring(this, 'OperationalMonitoring', {
      platformName: props.config.platformName,
      dashboardName: `${props.config.platformName}-operations-${props.shard}`,
      alarmTopic: props.audit.securityAlarms.topic,
      workloads: props.monitoredWorkloads,
    });
  }
}
