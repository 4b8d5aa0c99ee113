import { Aspects, Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeWildcardResource } from '../private/nag';
import * as perms from '../private/perms';
import { PlatformValidationError } from '../private/validation';
import { RoleGuardrails } from './role-guardrails';

export interface PlatformPermissionsBoundaryProps {
  /**
   * Name of the boundary policy. Roles in other stacks refer to it by this name.
   * @default 'ztai-platform-boundary'
   */
  readonly boundaryName?: string;
}

/**
 * The permissions boundary of every role the platform creates: the ceiling of what any platform
 * role may do, whatever its own policies say.
 *
 * It lists the actions platform workloads and functions need (never `service:*`), caps S3 and
 * KMS to the platform's own buckets and keys, and denies privilege escalation (IAM writes,
 * boundary removal, role passing), key deletion and key-policy changes, bucket-policy and
 * public-access changes, and audit or network tampering. With `restrictModelInvocationTo`, it also
 * denies model-endpoint invocation to every role but the API's route roles.
 *
 * `applyTo(scope)` puts every role in that scope under it (an Aspect, so roles made by other
 * constructs and by CDK's custom-resource providers are bounded too), with sessions of at most one hour.
 */
export class PlatformPermissionsBoundary extends Construct {
  public readonly policy: iam.ManagedPolicy;
  public readonly boundaryName: string;
  private bucketStatement?: iam.PolicyStatement;
  private keyStatement?: iam.PolicyStatement;
  private modelInvokers?: string[];

  constructor(scope: Construct, id: string, props: PlatformPermissionsBoundaryProps = {}) {
    super(scope, id);
    this.boundaryName = props.boundaryName ?? 'ztai-platform-boundary';
    if (!/^[A-Za-z0-9+=,.@_-]{1,128}$/.test(this.boundaryName)) {
      throw new PlatformValidationError(
        this,
        `boundaryName must be 1-128 characters of letters, digits and +=,.@_-, got '${this.boundaryName}'`,
      );
    }

    this.policy = new iam.ManagedPolicy(this, 'Resource', {
      managedPolicyName: this.boundaryName,
      description: 'Zero-trust AI platform: permissions boundary of every platform role',
      statements: [
        new iam.PolicyStatement({
          sid: 'PlatformServiceCeiling',
          actions: Object.values(perms.BOUNDARY_SERVICE_CEILING).flat(),
          resources: ['*'],
        }),
        deny('DenyPrivilegeEscalation', perms.BOUNDARY_DENY_PRIVILEGE_ESCALATION),
        deny('DenyKeyTampering', perms.BOUNDARY_DENY_KEY_TAMPERING),
        deny('DenyBucketTampering', perms.BOUNDARY_DENY_BUCKET_TAMPERING),
        deny('DenyAuditAndNetworkTampering', perms.BOUNDARY_DENY_AUDIT_AND_NETWORK_TAMPERING),
      ],
    });
    acknowledgeWildcardResource(
      this.policy.node.defaultChild!,
      '*',
      'A permissions boundary is a ceiling, not a grant: the listed actions either take no resource ' +
        '(ecr:GetAuthorizationToken, cloudwatch:PutMetricData, ssm agent calls) or are narrowed by each role’s own policy.',
    );
  }

  /** Raise the ceiling by exact actions (no wildcards), e.g. for a new kind of workload. */
  public permit(sid: string, actions: string[], resources: string[] = ['*']): void {
    const wildcard = actions.find((a) => a.includes('*'));
    if (wildcard || actions.length === 0) {
      throw new PlatformValidationError(
        this,
        `permit(${sid}): actions must be exact action names, without wildcards, got ${JSON.stringify(actions)}`,
      );
    }
    this.policy.addStatements(new iam.PolicyStatement({ sid, actions, resources }));
  }

  /** Let platform roles reach these buckets (their own policies still decide which prefixes). */
  public capToBuckets(...buckets: s3.IBucket[]): void {
    if (!this.bucketStatement) {
      this.bucketStatement = new iam.PolicyStatement({
        sid: 'PlatformBucketsOnly',
        actions: perms.BOUNDARY_S3_CEILING,
      });
      this.policy.addStatements(this.bucketStatement);
    }
    for (const bucket of buckets) {
      const objects = bucket.arnForObjects('*');
      this.bucketStatement.addResources(bucket.bucketArn, objects);
      acknowledgeWildcardResource(
        this.policy.node.defaultChild!,
        objects,
        'The boundary caps S3 to this platform bucket; each role’s own policy narrows it to its prefix.',
      );
    }
  }

  /** Let platform roles use these keys (their own policies and the key policies still decide how). */
  public capToKeys(...keys: kms.IKey[]): void {
    if (!this.keyStatement) {
      this.keyStatement = new iam.PolicyStatement({ sid: 'PlatformKeysOnly', actions: perms.BOUNDARY_KMS_CEILING });
      this.policy.addStatements(this.keyStatement);
    }
    this.keyStatement.addResources(...keys.map((k) => k.keyArn));
  }

  /**
   * Let only the roles matching these ARN patterns call a model endpoint: the boundary denies
   * `sagemaker:InvokeEndpoint`, `InvokeEndpointAsync` and `InvokeEndpointWithResponseStream` to
   * every role under it whose `aws:PrincipalArn` matches none of them (an explicit deny, so no
   * identity grant of a bounded role can undo it). For a role session `aws:PrincipalArn` is the
   * role's ARN, path included (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn),
   * so a pattern `arn:<partition>:iam::<account>:role/<path>/*` admits exactly the roles under that path.
   *
   * Call it once: the platform has one set of model invokers (the API's route roles).
   */
  public restrictModelInvocationTo(...rolePathArnPatterns: string[]): void {
    if (this.modelInvokers) {
      throw new PlatformValidationError(
        this,
        `restrictModelInvocationTo: already restricted to ${JSON.stringify(this.modelInvokers)}; call it once, with every invoker pattern`,
      );
    }
    // Partition and account: literal, or a CDK token (e.g. Aws.PARTITION, Aws.ACCOUNT_ID); never a wildcard.
    const token = '\\$\\{Token\\[[^\\]]+\\]\\}';
    const pattern = new RegExp(`^arn:(?:aws[a-z-]*|${token}):iam::(?:\\d{12}|${token}):role\\/(?:[^*]*\\/)?\\*$`);
    const bad = rolePathArnPatterns.filter((p) => !pattern.test(p));
    if (rolePathArnPatterns.length === 0 || bad.length > 0) {
      throw new PlatformValidationError(
        this,
        `restrictModelInvocationTo: each pattern must be a role path ARN pattern 'arn:<partition>:iam::<account>:role/<path>/*', got ${JSON.stringify(rolePathArnPatterns)}`,
      );
    }
    this.modelInvokers = [...rolePathArnPatterns];
    this.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'DenyModelInvocationButByTheApiRouteRoles',
        effect: iam.Effect.DENY,
        actions: perms.BOUNDARY_DENY_MODEL_INVOCATION,
        resources: ['*'],
        conditions: {
          ArnNotLike: {
            'aws:PrincipalArn': this.modelInvokers.length === 1 ? this.modelInvokers[0] : this.modelInvokers,
          },
        },
      }),
    );
  }

  /** Put every role under `scope` under this boundary, with sessions of at most one hour. */
  public applyTo(scope: IConstruct): void {
    Aspects.of(scope).add(new RoleGuardrails(this.policy, this.arnByName));
  }

  /** The boundary's ARN, built from its name (usable from any stack of the account). */
  public get arnByName(): string {
    return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:policy/${this.boundaryName}`;
  }
}

function deny(sid: string, actions: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, actions, resources: ['*'] });
}
