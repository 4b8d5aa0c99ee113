import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeSingleRegion } from './single-region';
import { acknowledgeFindings } from '../private/nag';

export interface AccessLogsBucketProps {
  /** Days before log objects move to Glacier Instant Retrieval. @default 90 */
  readonly transitionAfterDays?: number;
}

/**
 * The target of S3 server access logs: versioned, retained (on stack deletion and update rollback),
 * TLS-only, public access blocked.
 *
 * S3 delivers server access logs only to a bucket encrypted with SSE-S3, so this is the one
 * bucket of the platform without a customer key, and it cannot log to itself.
 */
export class AccessLogsBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      // Retained on stack deletion and update rollback; deleted if its own create rolls back.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      lifecycleRules: [
        {
          id: 'ArchiveAccessLogs',
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.transitionAfterDays ?? 90),
            },
          ],
        },
      ],
    });
    acknowledgeSingleRegion(this.bucket.node.defaultChild!);
    const cfnBucket = this.bucket.node.defaultChild as s3.CfnBucket;
    acknowledgeFindings(
      cfnBucket,
      [
        'NIST.800.53.R5-S3DefaultEncryptionKMS',
        'HIPAA.Security-S3DefaultEncryptionKMS',
        'PCI.DSS.321-S3DefaultEncryptionKMS',
      ],
      'S3 server access logging delivers only to SSE-S3 buckets; every other platform bucket uses a customer key.',
    );
  }
}
