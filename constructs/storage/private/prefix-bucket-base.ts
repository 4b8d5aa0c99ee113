import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ManagedPolicyPrincipal } from '../../identity/managed-policy-principal';
import { grantKeyThroughService } from '../../private/imported';
import { acknowledgeWildcardResource } from '../../private/nag';
import * as perms from '../../private/perms';
import { KEY_PREFIX_PATTERN, PlatformValidationError } from '../../private/validation';
import type { IPrefixBucket } from '../encrypted-bucket';
import { BucketDelegate } from './bucket-delegate';

/**
 * The prefix grants every `IPrefixBucket` of this library makes: object actions on the objects under
 * one prefix, listing narrowed by `s3:prefix`, and the key actions S3 needs to encrypt or decrypt
 * them (with the key-policy statement its owner must add, in a warning, when the key is imported).
 */
export abstract class PrefixBucketBase extends BucketDelegate implements IPrefixBucket {
  /** The bucket ARN grants name: by name when it is known at synth, so no cross-stack reference is needed. */
  protected abstract readonly grantArn: string;

  /** Read (every version) of the objects under `prefix`, and listing of that prefix only. */
  public grantReadPrefix(grantee: iam.IGrantable, prefix: string): iam.Grant {
    const p = this.validatePrefix('grantReadPrefix', prefix);
    const grant = this.grantObjects(grantee, perms.S3_OBJECT_READ, p);
    iam.Grant.addToPrincipal({
      grantee,
      actions: perms.S3_LIST,
      resourceArns: [this.grantArn],
      conditions: { StringLike: { 's3:prefix': [`${p}*`] } },
    });
    grantKeyThroughService(
      this,
      this.encryptionKey,
      grantee,
      perms.KEY_S3_READ,
      's3',
      `S3 decrypts the objects under '${p}' of ${this.node.path} for the grantee`,
    );
    return grant;
  }

  /** Write (no delete) of objects under `prefix`. */
  public grantWritePrefix(grantee: iam.IGrantable, prefix: string): iam.Grant {
    const p = this.validatePrefix('grantWritePrefix', prefix);
    const grant = this.grantObjects(grantee, perms.S3_OBJECT_WRITE, p);
    grantKeyThroughService(
      this,
      this.encryptionKey,
      grantee,
      perms.KEY_S3_WRITE,
      's3',
      `S3 encrypts the objects the grantee writes under '${p}' of ${this.node.path}`,
    );
    return grant;
  }

  /** Read and write (no delete) under `prefix`. */
  public grantReadWritePrefix(grantee: iam.IGrantable, prefix: string): iam.Grant {
    this.grantReadPrefix(grantee, prefix);
    return this.grantWritePrefix(grantee, prefix);
  }

  /**
   * Grant object actions under a prefix. The object ARN ends in `*` (every key under the prefix);
   * when the grantee keeps its grants in a managed policy, that one finding is acknowledged there.
   */
  private grantObjects(grantee: iam.IGrantable, actions: string[], prefix: string): iam.Grant {
    const objects = `${this.grantArn}/${prefix}*`;
    const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [objects] });
    const policy = ManagedPolicyPrincipal.policyOf(grantee.grantPrincipal);
    if (policy) {
      acknowledgeWildcardResource(
        policy.node.defaultChild!,
        objects,
        `Objects under the grantee's own prefix '${prefix}' of ${this.node.path}; the prefix is the workload boundary.`,
      );
    }
    return grant;
  }

  private validatePrefix(method: string, prefix: string): string {
    const problem = prefixProblem(prefix);
    if (problem) throw new PlatformValidationError(this, `${method}: ${problem}`);
    return prefix;
  }
}

/** Why a key prefix is not a plain prefix, or undefined. Tokens are checked at deploy time. */
export function prefixProblem(prefix: string): string | undefined {
  if (Token.isUnresolved(prefix)) return undefined;
  if (!KEY_PREFIX_PATTERN.test(prefix) || prefix.split('/').some((seg) => seg === '.' || seg === '..')) {
    return `prefix must be one or more path segments ending in '/', without wildcards or '..' (e.g. 'workloads/fraud/'), got '${prefix}'`;
  }
  return undefined;
}
