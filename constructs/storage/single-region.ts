import { IConstruct } from 'constructs';
import { acknowledgeFindings } from '../private/nag';

/**
 * NIST 800-53, HIPAA and PCI DSS ask for cross-region replication on every bucket. The platform is
 * single-region by design; this is the one place that says so, for each bucket it creates.
 */
export function acknowledgeSingleRegion(cfnBucket: IConstruct): void {
  acknowledgeFindings(
    cfnBucket,
    [
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'HIPAA.Security-S3BucketReplicationEnabled',
      'PCI.DSS.321-S3BucketReplicationEnabled',
    ],
    'Single-region by design (data residency); loss is prevented in place by versioning, retention on stack deletion ' +
      'and boundary-denied bucket changes. Cross-region replication is a platform-team choice, not a default.',
  );
}
