import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { KeyUsageService, PlatformKey } from './platform-key';

export interface PlatformKeysProps {
  /** Prefix of every key alias (`alias/<prefix>/<domain>`). @default 'ztai' */
  readonly aliasPrefix?: string;
  /** Key administrators. @default - the account, so IAM policies decide who administers them */
  readonly admins?: iam.IPrincipal[];
}

/**
 * One customer-managed key per data domain, so a grant on one domain never opens another:
 * training and inference data, models, logs and audit.
 */
export class PlatformKeys extends Construct {
  /** Training and inference data, the EBS volumes of GPU fleets, and the API clients' key secrets. */
  public readonly data: PlatformKey;
  /** Model artifacts, model images and SageMaker ML storage volumes. */
  public readonly models: PlatformKey;
  /** CloudWatch Logs groups (flow logs, access logs, application logs) and alarm topics. */
  public readonly logs: PlatformKey;
  /** The audit trail and its bucket. */
  public readonly audit: PlatformKey;

  constructor(scope: Construct, id: string, props: PlatformKeysProps = {}) {
    super(scope, id);
    const prefix = props.aliasPrefix ?? 'ztai';
    const admins = props.admins;
    this.data = new PlatformKey(this, 'Data', {
      description: 'Zero-trust AI platform: training and inference data',
      alias: `${prefix}/data`,
      // Secrets Manager: the secrets that deliver API keys to API clients (constructs/api/api-client-key.ts).
      // Use through it still needs an IAM grant (only each client's role has one, for its own secret).
      usageServices: [
        KeyUsageService.S3,
        KeyUsageService.SAGEMAKER,
        KeyUsageService.EC2,
        KeyUsageService.of('secretsmanager'),
      ],
      admins,
    });
    this.models = new PlatformKey(this, 'Models', {
      description: 'Zero-trust AI platform: model artifacts, images and ML storage',
      alias: `${prefix}/models`,
      usageServices: [KeyUsageService.S3, KeyUsageService.SAGEMAKER, KeyUsageService.ECR, KeyUsageService.EC2],
      admins,
    });
    this.logs = new PlatformKey(this, 'Logs', {
      description: 'Zero-trust AI platform: logs and alarm topics',
      alias: `${prefix}/logs`,
      usageServices: [KeyUsageService.SNS],
      allowCloudWatchLogs: true,
      admins,
    });
    this.audit = new PlatformKey(this, 'Audit', {
      description: 'Zero-trust AI platform: audit trail',
      alias: `${prefix}/audit`,
      usageServices: [KeyUsageService.S3],
      allowCloudWatchLogs: true,
      admins,
    });
  }

  /** Every key of the platform. */
  public get all(): PlatformKey[] {
    return [this.data, this.models, this.logs, this.audit];
  }
}
