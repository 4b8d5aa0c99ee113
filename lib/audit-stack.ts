import { Duration, Stack, StackProps } from 'aws-cdk-lib';
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
import { apiRouteRolePath, auditTrailName, malwareScanRoleName, workloadEndpointName } from './config/names';
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
   * What the operational dashboard and alarms watch, per workload.
   * @default - each realtime-inference workload's endpoint, by the name the workload wiring gives it
   * (`<workload stack name>-endpoint`, lower case, at most 63 characters)
   */
  readonly monitoredWorkloads?: MonitoredWorkload[];
}

/** The endpoint name lib/workloads/compute.ts gives a realtime-inference workload's endpoint. */
function defaultEndpointName(workload: WorkloadStack): string {
  return workloadEndpointName(workload.stackName);
}

// Defined with the other names built from config, so the platform stack needs no import of this stack.
export { malwareScanRoleArn, malwareScanRoleName } from './config/names';

/**
 * Audit and continuous monitoring of the platform: the audit trail (data events for the platform
 * buckets and SageMaker endpoints), the security alarms, the operational dashboard and alarms, and,
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
      aiDataEvents: [AiDataEventResource.SAGEMAKER_ENDPOINT],
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
