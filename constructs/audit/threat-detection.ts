import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as config from 'aws-cdk-lib/aws-config';
import * as guardduty from 'aws-cdk-lib/aws-guardduty';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as securityhub from 'aws-cdk-lib/aws-securityhub';
import { Construct } from 'constructs';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import { PlatformPermissionsBoundary } from '../identity/platform-permissions-boundary';
import { IAM_ROLE_NAME_PATTERN, KEY_PREFIX_PATTERN, PlatformValidationError } from '../private/validation';
import { AuditTrail } from './audit-trail';
import { acknowledgeWildcardResource } from '../private/nag';
import * as perms from './private/audit-perms';

/** The service principal GuardDuty Malware Protection for S3 assumes the scan role as. */
const MALWARE_PROTECTION_PLAN = 'malware-protection-plan.guardduty.amazonaws.com';
/** The EventBridge rules GuardDuty manages for each protected bucket. */
const MALWARE_RULE_NAME = 'DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*';
/** The object GuardDuty writes to validate its access when the plan is created. */
const MALWARE_VALIDATION_OBJECT = 'malware-protection-resource-validation-object';

/**
 * A Security Hub standard, by the path of its `StandardsArn`
 * (`arn:<partition>:securityhub:<region>::standards/<path>`).
 */
export class SecurityHubStandard {
  /** AWS Foundational Security Best Practices v1.0.0. */
  public static readonly AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES = new SecurityHubStandard(
    'aws-foundational-security-best-practices/v/1.0.0',
  );
  /** CIS AWS Foundations Benchmark v3.0.0. */
  public static readonly CIS_AWS_FOUNDATIONS_3_0_0 = new SecurityHubStandard('cis-aws-foundations-benchmark/v/3.0.0');
  /** NIST SP 800-53 Rev. 5. */
  public static readonly NIST_800_53_R5 = new SecurityHubStandard('nist-800-53/v/5.0.0');
  /** PCI DSS v3.2.1. */
  public static readonly PCI_DSS_3_2_1 = new SecurityHubStandard('pci-dss/v/3.2.1');

  private constructor(
    /** e.g. `aws-foundational-security-best-practices/v/1.0.0` */
    public readonly path: string,
  ) {}

  /** The standard's ARN in the scope's partition and region. */
  public arnIn(scope: Construct): string {
    const stack = Stack.of(scope);
    return `arn:${stack.partition}:securityhub:${stack.region}::standards/${this.path}`;
  }
}

/** A bucket whose new objects GuardDuty scans for malware, tagging each with the result. */
export interface MalwareScannedBucket {
  readonly bucket: s3.IBucket;
  /** The bucket's key (the scan role reads and tags through S3 with it). */
  readonly encryptionKey: kms.IKey;
  /** Scan only objects under these prefixes. @default - every new object */
  readonly objectPrefixes?: string[];
}

export interface ThreatDetectionProps {
  /**
   * Create the account's GuardDuty detector in this region, with S3 protection (S3 data events),
   * Runtime Monitoring (agents managed by GuardDuty on EC2, ECS Fargate and EKS), EBS malware
   * protection and Lambda network activity. Off because many accounts get GuardDuty from a central
   * security account (a second detector in the same region fails to deploy).
   * @default false
   */
  readonly guardDuty?: boolean;
  /**
   * Buckets for GuardDuty Malware Protection for S3 (a plan and a scan role per bucket). Works
   * with or without the detector.
   * @default - none
   */
  readonly malwareProtection?: MalwareScannedBucket[];
  /**
   * Name of the scan role. It is fixed, so a bucket that admits requests only through a VPC endpoint
   * can exempt it by ARN (`EncryptedBucket.vpcEndpointExemptPrincipalArns`).
   * @default - `<stack name>-malware-scan`
   */
  readonly malwareScanRoleName?: string;
  /**
   * The permissions boundary the scan role is put under; its ceiling is raised by exactly the
   * actions the scan role needs (GuardDuty's managed EventBridge rule, object version tags), on
   * exactly those resources. Required with `malwareProtection`.
   * @default - none
   */
  readonly permissionsBoundary?: PlatformPermissionsBoundary;
  /**
   * Turn on Security Hub (consolidated control findings, no default standards) and the standards in
   * `securityHubStandards`. Off because Security Hub is often administered centrally.
   * @default false
   */
  readonly securityHub?: boolean;
  /**
   * The Security Hub standards to enable.
   * @default [SecurityHubStandard.AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES, SecurityHubStandard.CIS_AWS_FOUNDATIONS_3_0_0]
   */
  readonly securityHubStandards?: SecurityHubStandard[];
  /**
   * Record every supported resource type with AWS Config (global types included), delivering to the
   * audit bucket. The recorder uses Config's service-linked role (`AWSServiceRoleForConfig`), so no
   * role is created outside the permissions boundary. Off because an account has one recorder per
   * region, often owned centrally. Security Hub controls need it.
   * @default false
   */
  readonly configRecording?: boolean;
  /** Where Config delivers snapshots and history: the audit trail's bucket and key. Required with `configRecording`. @default - none */
  readonly configDelivery?: AuditTrail;
  /**
   * Create Config's service-linked role. Set to false when the account already has
   * `AWSServiceRoleForConfig` (creating it twice fails).
   * @default true
   */
  readonly createConfigServiceLinkedRole?: boolean;
}

/**
 * Account-level threat detection, each part behind a prop and off by default: GuardDuty (S3
 * protection, runtime monitoring, malware protection for chosen buckets), Security Hub with the AWS
 * Foundational Security Best Practices and CIS standards, and AWS Config recording.
 */
export class ThreatDetection extends Construct {
  public readonly detector?: guardduty.CfnDetector;
  /** Malware protection plans, one per scanned bucket. */
  public readonly malwareProtectionPlans: guardduty.CfnMalwareProtectionPlan[] = [];
  /** The role GuardDuty scans with, when any bucket is scanned. */
  public readonly malwareScanRole?: iam.Role;
  public readonly hub?: securityhub.CfnHub;
  public readonly standards: securityhub.CfnStandard[] = [];
  public readonly configRecorder?: config.CfnConfigurationRecorder;
  public readonly configDeliveryChannel?: config.CfnDeliveryChannel;

  constructor(scope: Construct, id: string, props: ThreatDetectionProps = {}) {
    super(scope, id);
    const scanned = props.malwareProtection ?? [];
    this.validate(props, scanned);

    if (props.guardDuty) {
      this.detector = new guardduty.CfnDetector(this, 'Detector', {
        enable: true,
        findingPublishingFrequency: 'FIFTEEN_MINUTES',
        features: [
          { name: 'S3_DATA_EVENTS', status: 'ENABLED' },
          {
            name: 'RUNTIME_MONITORING',
            status: 'ENABLED',
            additionalConfiguration: [
              { name: 'EC2_AGENT_MANAGEMENT', status: 'ENABLED' },
              { name: 'ECS_FARGATE_AGENT_MANAGEMENT', status: 'ENABLED' },
              { name: 'EKS_ADDON_MANAGEMENT', status: 'ENABLED' },
            ],
          },
          { name: 'EBS_MALWARE_PROTECTION', status: 'ENABLED' },
          { name: 'LAMBDA_NETWORK_LOGS', status: 'ENABLED' },
        ],
      });
    }
    if (scanned.length > 0) {
      this.malwareScanRole = this.createMalwareProtection(scanned, props);
    }
    if (props.securityHub) {
      this.hub = new securityhub.CfnHub(this, 'SecurityHub', {
        enableDefaultStandards: false,
        controlFindingGenerator: 'SECURITY_CONTROL',
        autoEnableControls: true,
      });
      const standards = props.securityHubStandards ?? [
        SecurityHubStandard.AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES,
        SecurityHubStandard.CIS_AWS_FOUNDATIONS_3_0_0,
      ];
      for (const standard of new Set(standards)) {
        const cfn = new securityhub.CfnStandard(this, `Standard-${standard.path.split('/')[0]}`, {
          standardsArn: standard.arnIn(this),
        });
        cfn.node.addDependency(this.hub);
        this.standards.push(cfn);
      }
    }
    if (props.configRecording) {
      const { recorder, channel } = this.createConfigRecording(props.configDelivery!, props);
      this.configRecorder = recorder;
      this.configDeliveryChannel = channel;
    }
    if (!props.guardDuty && scanned.length === 0 && !props.securityHub && !props.configRecording) {
      Annotations.of(this).addWarningV2(
        'ztai:threat-detection-all-off',
        'ThreatDetection has every part off: GuardDuty, malware protection, Security Hub and Config recording are expected from a central account.',
      );
    }
  }

  private validate(props: ThreatDetectionProps, scanned: MalwareScannedBucket[]): void {
    if (props.configRecording && !props.configDelivery) {
      throw new PlatformValidationError(
        this,
        'configRecording is true but configDelivery is undefined: give the AuditTrail whose bucket receives Config snapshots',
      );
    }
    if (!props.configRecording && props.configDelivery) {
      throw new PlatformValidationError(this, 'configDelivery is set but configRecording is not true');
    }
    if (props.securityHubStandards && !props.securityHub) {
      throw new PlatformValidationError(this, 'securityHubStandards is set but securityHub is not true');
    }
    if (props.securityHub && props.securityHubStandards?.length === 0) {
      throw new PlatformValidationError(
        this,
        'securityHubStandards must name at least one standard (e.g. SecurityHubStandard.AWS_FOUNDATIONAL_SECURITY_BEST_PRACTICES), got []',
      );
    }
    if (scanned.length > 0 && !props.permissionsBoundary) {
      throw new PlatformValidationError(
        this,
        'malwareProtection is set but permissionsBoundary is undefined: the scan role is put under the platform boundary, whose ceiling must admit its actions',
      );
    }
    const roleName = props.malwareScanRoleName;
    if (roleName !== undefined && !Token.isUnresolved(roleName) && !IAM_ROLE_NAME_PATTERN.test(roleName)) {
      throw new PlatformValidationError(
        this,
        `malwareScanRoleName must be 1-64 characters of letters, digits and +=,.@_-, got '${roleName}'`,
      );
    }
    for (const s of scanned) {
      for (const p of s.objectPrefixes ?? []) {
        if (Token.isUnresolved(p)) continue;
        if (!KEY_PREFIX_PATTERN.test(p)) {
          throw new PlatformValidationError(
            this,
            `malwareProtection[].objectPrefixes must be path segments ending in '/', without wildcards (e.g. 'incoming/'), got '${p}'`,
          );
        }
      }
      if (s.objectPrefixes?.length === 0) {
        throw new PlatformValidationError(
          this,
          'malwareProtection[].objectPrefixes is [] (nothing scanned): leave it undefined to scan every object',
        );
      }
    }
  }

  private createMalwareProtection(scanned: MalwareScannedBucket[], props: ThreatDetectionProps): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'MalwareScanRole', {
      roleName: props.malwareScanRoleName ?? `${stack.stackName}-malware-scan`,
      description: 'GuardDuty Malware Protection for S3: scans and tags new objects of the platform buckets',
      assumedBy: new iam.ServicePrincipal(MALWARE_PROTECTION_PLAN).withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
      }),
      maxSessionDuration: Duration.hours(1),
    });
    const principal = new ManagedPolicyPrincipal(this, role, 'MalwareScanPolicy');
    const grantee = { grantPrincipal: principal };
    const ruleArn = stack.formatArn({ service: 'events', resource: 'rule', resourceName: MALWARE_RULE_NAME });
    iam.Grant.addToPrincipal({
      grantee,
      actions: perms.MALWARE_SCAN_MANAGED_RULE,
      resourceArns: [ruleArn],
      conditions: { StringLike: { 'events:ManagedBy': MALWARE_PROTECTION_PLAN } },
    });
    iam.Grant.addToPrincipal({ grantee, actions: perms.MALWARE_SCAN_DESCRIBE_RULE, resourceArns: [ruleArn] });
    const objectArns: string[] = [];
    for (const s of scanned) {
      const objects = (s.objectPrefixes ?? ['']).map((p) => s.bucket.arnForObjects(`${p}*`));
      objectArns.push(...objects);
      iam.Grant.addToPrincipal({ grantee, actions: perms.MALWARE_SCAN_BUCKET, resourceArns: [s.bucket.bucketArn] });
      iam.Grant.addToPrincipal({ grantee, actions: perms.MALWARE_SCAN_OBJECTS, resourceArns: objects });
      iam.Grant.addToPrincipal({
        grantee,
        actions: perms.MALWARE_SCAN_VALIDATION_OBJECT,
        resourceArns: [s.bucket.arnForObjects(MALWARE_VALIDATION_OBJECT)],
      });
      iam.Grant.addToPrincipal({
        grantee,
        actions: perms.MALWARE_SCAN_KEY,
        resourceArns: [s.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      });
    }
    const policy = principal.policy!;
    const ruleReason =
      'GuardDuty names its managed EventBridge rule per protected bucket with this fixed prefix; events:ManagedBy narrows it to GuardDuty.';
    acknowledgeWildcardResource(policy.node.defaultChild!, ruleArn, ruleReason);
    for (const arn of new Set(objectArns)) {
      acknowledgeWildcardResource(
        policy.node.defaultChild!,
        arn,
        'GuardDuty scans and tags every new object under the protected prefix; it cannot know object keys in advance.',
      );
    }

    const boundary = props.permissionsBoundary!;
    boundary.permit(
      'GuardDutyScanRule',
      [...perms.MALWARE_SCAN_MANAGED_RULE, ...perms.MALWARE_SCAN_DESCRIBE_RULE],
      [ruleArn],
    );
    boundary.permit(
      'GuardDutyMalwareScanVersionTags',
      ['s3:GetObjectVersionTagging', 's3:PutObjectVersionTagging'],
      objectArns,
    );
    acknowledgeWildcardResource(boundary.policy.node.defaultChild!, ruleArn, ruleReason);
    for (const arn of new Set(objectArns)) {
      acknowledgeWildcardResource(
        boundary.policy.node.defaultChild!,
        arn,
        'The boundary admits version tagging of the scanned prefix of this platform bucket only for the GuardDuty scan role’s needs; each role’s own policy narrows it.',
      );
    }

    scanned.forEach((s, i) => {
      const plan = new guardduty.CfnMalwareProtectionPlan(this, `MalwareProtection${i}`, {
        role: role.roleArn,
        protectedResource: { s3Bucket: { bucketName: s.bucket.bucketName, objectPrefixes: s.objectPrefixes } },
        actions: { tagging: { status: 'ENABLED' } },
      });
      plan.node.addDependency(policy);
      this.malwareProtectionPlans.push(plan);
    });
    return role;
  }

  private createConfigRecording(
    delivery: AuditTrail,
    props: ThreatDetectionProps,
  ): { recorder: config.CfnConfigurationRecorder; channel: config.CfnDeliveryChannel } {
    const stack = Stack.of(this);
    const recorder = new config.CfnConfigurationRecorder(this, 'ConfigRecorder', {
      roleArn: `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`,
      recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
    });
    if (props.createConfigServiceLinkedRole ?? true) {
      const slr = new iam.CfnServiceLinkedRole(this, 'ConfigServiceLinkedRole', {
        awsServiceName: 'config.amazonaws.com',
        description: 'AWS Config recording of the zero-trust AI platform account',
      });
      recorder.node.addDependency(slr);
    }
    delivery.admitServiceDelivery('config.amazonaws.com', 'Config');
    const channel = new config.CfnDeliveryChannel(this, 'ConfigDeliveryChannel', {
      s3BucketName: delivery.bucket.bucketName,
      s3KmsKeyArn: delivery.encryptionKey.keyArn,
      configSnapshotDeliveryProperties: { deliveryFrequency: 'TwentyFour_Hours' },
    });
    channel.node.addDependency(recorder);
    channel.node.addDependency(delivery.bucket.bucket.policy!);
    return { recorder, channel };
  }
}
