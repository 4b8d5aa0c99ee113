import { Aws, Duration, RemovalPolicy, ResourceEnvironment, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import * as perms from '../private/perms';
import { PlatformValidationError } from '../private/validation';

/** An AWS service allowed to use a platform key on a caller's behalf (`kms:ViaService`). */
export class KeyUsageService {
  public static readonly S3 = new KeyUsageService('s3');
  public static readonly SAGEMAKER = new KeyUsageService('sagemaker');
  /** EBS volumes of self-managed fleets. */
  public static readonly EC2 = new KeyUsageService('ec2');
  public static readonly ECR = new KeyUsageService('ecr');
  public static readonly SNS = new KeyUsageService('sns');
  public static readonly SQS = new KeyUsageService('sqs');
  public static readonly LAMBDA = new KeyUsageService('lambda');

  /** A service not listed above, by its endpoint prefix (e.g. `bedrock`). */
  public static of(servicePrefix: string): KeyUsageService {
    if (!/^[a-z][a-z0-9-]{1,40}$/.test(servicePrefix)) {
      throw new PlatformValidationError(
        undefined,
        `KeyUsageService.of: servicePrefix must be an AWS service endpoint prefix such as 's3', got '${servicePrefix}'`,
      );
    }
    return new KeyUsageService(servicePrefix);
  }

  private constructor(public readonly servicePrefix: string) {}

  /** The `kms:ViaService` value in the stack's region. */
  public viaService(): string {
    return `${this.servicePrefix}.${Aws.REGION}.amazonaws.com`;
  }
}

export interface PlatformKeyProps {
  /** What the key protects; becomes the key description. @default 'Zero-trust AI platform key' */
  readonly description?: string;
  /** Alias, without the `alias/` prefix. @default - no alias */
  readonly alias?: string;
  /**
   * Services through which principals of this account may use the key (`kms:ViaService`).
   * Principals still need an IAM grant (`grant*()`); the key policy is the outer bound.
   * @default [KeyUsageService.S3]
   */
  readonly usageServices?: KeyUsageService[];
  /**
   * Let CloudWatch Logs use the key for log groups of this account and region
   * (scoped with the `kms:EncryptionContext:aws:logs:arn` condition).
   * @default false
   */
  readonly allowCloudWatchLogs?: boolean;
  /**
   * Principals that administer the key: the exact actions of `KEY_ADMIN` (constructs/private/perms.ts),
   * no cryptographic use and no `kms:CreateGrant`.
   * @default - the account, so IAM policies decide who administers it
   */
  readonly admins?: iam.IPrincipal[];
}

/**
 * A customer-managed symmetric KMS key: rotation on, retained on stack deletion and update rollback
 * with the longest pending window, and a key policy that keeps administration apart from use and
 * narrows use to this account, through named services.
 *
 * Administration is an explicit list of actions (no `kms:Create*`, `kms:Get*` wildcards). Grants are
 * use, not administration: `kms:CreateGrant` is allowed only to AWS services acting for principals of
 * this account on resources they manage (`kms:GrantIsForAWSResource: true`, through a named service).
 */
export class PlatformKey extends Construct implements kms.IKey {
  /** The underlying key. */
  public readonly key: kms.Key;
  public readonly keyArn: string;
  public readonly keyId: string;

  constructor(scope: Construct, id: string, props: PlatformKeyProps = {}) {
    super(scope, id);
    const usageServices = props.usageServices ?? [KeyUsageService.S3];
    if (usageServices.length === 0 && !props.allowCloudWatchLogs) {
      throw new PlatformValidationError(
        this,
        'usageServices must name at least one service (or allowCloudWatchLogs must be true), got [] — a key nobody may use protects nothing',
      );
    }
    const admins = props.admins ?? [new iam.AccountRootPrincipal()];
    if (admins.length === 0) {
      throw new PlatformValidationError(this, 'admins must name at least one principal, got []');
    }

    const policy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'KeyAdministration',
          principals: admins,
          actions: perms.KEY_ADMIN,
          resources: ['*'],
        }),
      ],
    });
    policy.addStatements(...keyUseThroughServicesStatements(usageServices));
    if (props.allowCloudWatchLogs) policy.addStatements(cloudWatchLogsKeyStatement());

    this.key = new kms.Key(this, 'Resource', {
      description: props.description ?? 'Zero-trust AI platform key',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      // Retained on stack deletion and on update rollback; deleted when its own create rolls back,
      // so a failed first deploy leaves nothing behind that blocks the retry.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      policy,
    });
    if (props.alias) {
      this.key.addAlias(props.alias.startsWith('alias/') ? props.alias : `alias/${props.alias}`);
    }
    this.keyArn = this.key.keyArn;
    this.keyId = this.key.keyId;
  }

  // kms.IKey, handed to the key: a PlatformKey goes wherever aws-cdk-lib takes a key.
  public get stack(): Stack {
    return Stack.of(this);
  }
  public get env(): ResourceEnvironment {
    return this.key.env;
  }
  public get keyRef(): kms.IKey['keyRef'] {
    return this.key.keyRef;
  }
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.key.applyRemovalPolicy(policy);
  }
  public addAlias(alias: string): kms.Alias {
    return this.key.addAlias(alias);
  }
  public addToResourcePolicy(statement: iam.PolicyStatement, allowNoOp?: boolean): iam.AddToResourcePolicyResult {
    return this.key.addToResourcePolicy(statement, allowNoOp);
  }
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return this.key.grant(grantee, ...actions);
  }
  public grantDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.key.grantDecrypt(grantee);
  }
  public grantEncrypt(grantee: iam.IGrantable): iam.Grant {
    return this.key.grantEncrypt(grantee);
  }
  public grantEncryptDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.key.grantEncryptDecrypt(grantee);
  }
  public grantSign(grantee: iam.IGrantable): iam.Grant {
    return this.key.grantSign(grantee);
  }
  public grantVerify(grantee: iam.IGrantable): iam.Grant {
    return this.key.grantVerify(grantee);
  }
  public grantSignVerify(grantee: iam.IGrantable): iam.Grant {
    return this.key.grantSignVerify(grantee);
  }
  public grantGenerateMac(grantee: iam.IGrantable): iam.Grant {
    return this.key.grantGenerateMac(grantee);
  }
  public grantVerifyMac(grantee: iam.IGrantable): iam.Grant {
    return this.key.grantVerifyMac(grantee);
  }

  /** Let an AWS service principal use the key, narrowed by the given conditions (e.g. `aws:SourceArn`). */
  public allowServicePrincipal(
    service: string,
    actions: string[],
    conditions: Record<string, Record<string, unknown>>,
  ): void {
    if (Object.keys(conditions).length === 0) {
      throw new PlatformValidationError(
        this,
        `allowServicePrincipal(${service}): conditions must narrow the service to this platform (e.g. aws:SourceArn or aws:SourceAccount), got {}`,
      );
    }
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(service)],
        actions,
        resources: ['*'],
        conditions,
      }),
    );
  }
}

/**
 * The key-policy statements that let principals of this account use a key through named services
 * (`kms:ViaService`), and let those services create grants for resources they manage: what a
 * `PlatformKey` carries, and what the owner of an imported key is asked to add. None for no services.
 */
export function keyUseThroughServicesStatements(usageServices: readonly KeyUsageService[]): iam.PolicyStatement[] {
  if (usageServices.length === 0) return [];
  const viaServices = usageServices.map((s) => s.viaService());
  return [
    new iam.PolicyStatement({
      sid: 'KeyUseThroughNamedServices',
      principals: [new iam.AccountRootPrincipal()],
      actions: perms.KEY_ENCRYPT_DECRYPT,
      resources: ['*'],
      conditions: {
        StringEquals: { 'kms:CallerAccount': Aws.ACCOUNT_ID, 'kms:ViaService': viaServices },
      },
    }),
    // The only way to create a grant on the key: an AWS service integrated with KMS (EBS, SageMaker…)
    // creating it for a resource it manages for a principal of this account.
    // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
    new iam.PolicyStatement({
      sid: 'GrantsForAwsManagedResources',
      principals: [new iam.AccountRootPrincipal()],
      actions: perms.KEY_CREATE_GRANT_FOR_AWS_RESOURCE,
      resources: ['*'],
      conditions: {
        StringEquals: { 'kms:CallerAccount': Aws.ACCOUNT_ID, 'kms:ViaService': viaServices },
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
      },
    }),
  ];
}

/**
 * The key-policy statement that lets CloudWatch Logs use a key for the log groups of this account
 * and region (`kms:EncryptionContext:aws:logs:arn`).
 */
export function cloudWatchLogsKeyStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'CloudWatchLogsForThisAccount',
    principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
    actions: perms.KEY_ENCRYPT_DECRYPT,
    resources: ['*'],
    conditions: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
      },
    },
  });
}
