import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { KeyUsageService, PlatformKey } from '../../constructs/keys';
import { AccessLogsBucket, EncryptedBucket } from '../../constructs/storage';

export interface PipelineArtifactsProps {
  /** Alias of the artifact key, without `alias/`. */
  readonly keyAlias: string;
  /** Retention of the build logs. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Principals that administer the artifact key (exact admin actions, no cryptographic use).
   * @default - the tooling account, so its IAM policies decide who administers the key
   */
  readonly keyAdmins?: iam.IPrincipal[];
}

/**
 * What the delivery pipeline stores, in the tooling account: a customer-managed key of its own
 * (rotation on, retained, administration apart from use, use only through S3 and CloudWatch Logs of
 * this account, plus the grants CDK Pipelines adds for the target accounts' deploy roles), the
 * artifact bucket encrypted with it (versioned, TLS only, public access blocked, retained, server
 * access logs to a log bucket of its own), and the encrypted, retained log group of every build.
 */
export class PipelineArtifacts extends Construct {
  /** The key of the artifacts and the build logs. */
  public readonly key: kms.IKey;
  /** The artifact bucket (CodePipeline's artifact store). */
  public readonly bucket: s3.Bucket;
  /** Where S3 delivers the artifact bucket's server access logs. */
  public readonly accessLogs: s3.Bucket;
  /** Every CodeBuild project of the pipeline logs here (one stream prefix per project). */
  public readonly buildLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PipelineArtifactsProps) {
    super(scope, id);
    const key = new PlatformKey(this, 'Key', {
      description: 'Zero-trust AI platform: delivery pipeline artifacts and build logs',
      alias: props.keyAlias,
      // CodePipeline and CodeBuild read and write artifacts through S3 (SSE-KMS), which calls KMS for
      // them: https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-kms.html
      usageServices: [KeyUsageService.S3],
      allowCloudWatchLogs: true,
      admins: props.keyAdmins,
    });
    this.key = key;
    this.accessLogs = new AccessLogsBucket(this, 'AccessLogs').bucket;
    this.bucket = new EncryptedBucket(this, 'Bucket', {
      encryptionKey: key,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'artifacts/',
      lifecycleRules: [
        // An artifact is read by the execution that made it; overwritten versions are kept for a month.
        {
          id: 'ExpireNoncurrentArtifacts',
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    }).bucket;
    this.buildLogs = new logs.LogGroup(this, 'BuildLogs', {
      encryptionKey: key,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
  }
}
