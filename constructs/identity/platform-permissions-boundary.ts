import { Annotations, Aspects, Aws, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeFindings, acknowledgeWildcardResource } from '../private/nag';
import * as perms from '../private/perms';
import { managedPolicySizeFindings } from '../private/policy-size';
import { PlatformValidationError } from '../private/validation';
import { RoleGuardrails } from './role-guardrails';

export interface PlatformPermissionsBoundaryProps {
  /**
   * Name of the boundary policy. Roles in other stacks refer to it by this name.
   * @default 'ztai-platform-boundary'
   */
  readonly boundaryName?: string;
}

/** What `requireGuardrailForModelInvocation` requires. */
export interface BedrockGuardrailRequirement {
  /**
   * What every model invocation's `bedrock:GuardrailIdentifier` must match (`ArnLike`): exact
   * identifiers of published versions (`<guardrail ARN>:<version>`), or an ARN pattern such as the
   * account's guardrails (`arn:<partition>:bedrock:<region>:<account>:guardrail/*`), which keeps the
   * boundary's size constant however many guardrails the platform has (each role's own policy then pins
   * its guardrail: `BedrockGuardrail.grantInvoke`).
   */
  readonly guardrailIdentifiers: string[];
  /**
   * Models that take no guardrail (embedding models: a knowledge base embeds documents and queries
   * with its service role, and guardrails apply to text generation): left out of the deny
   * (`NotResource`), so only a role whose own policy grants them invokes them.
   * @default - none: every model invocation names a guardrail
   */
  readonly unguardedModelArns?: string[];
}

/**
 * The permissions boundary of every role the platform creates: the ceiling of what any platform
 * role may do, whatever its own policies say.
 *
 * It lists the actions platform workloads and functions need (never `service:*`), caps S3 and
 * KMS to the platform's own buckets and keys, and denies privilege escalation (IAM writes,
 * boundary removal, role passing), key deletion and key-policy changes, bucket-policy and
 * public-access changes, and audit or network tampering. With `restrictModelInvocationTo`, it also
 * denies model-endpoint invocation to every role but the API's route roles; with
 * `requireGuardrailForModelInvocation`, Bedrock model invocation that does not name the approved guardrail.
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
  private bedrockGuardrail?: string;
  private readonly ceiling: iam.PolicyStatement;
  private readonly raisedActions: string[] = [];

  constructor(scope: Construct, id: string, props: PlatformPermissionsBoundaryProps = {}) {
    super(scope, id);
    this.boundaryName = props.boundaryName ?? 'ztai-platform-boundary';
    if (!/^[A-Za-z0-9+=,.@_-]{1,128}$/.test(this.boundaryName)) {
      throw new PlatformValidationError(
        this,
        `boundaryName must be 1-128 characters of letters, digits and +=,.@_-, got '${this.boundaryName}'`,
      );
    }

    this.ceiling = new iam.PolicyStatement({
      sid: 'ServiceCeiling',
      actions: Object.values(perms.BOUNDARY_SERVICE_CEILING).flat(),
      resources: ['*'],
    });
    this.policy = new iam.ManagedPolicy(this, 'Resource', {
      managedPolicyName: this.boundaryName,
      description: 'Zero-trust AI platform: permissions boundary of every platform role',
      statements: [
        this.ceiling,
        // One statement for every unconditional deny: privilege escalation, key and bucket tampering,
        // audit and network tampering. The boundary is one managed policy (6,144 characters): each
        // statement's own framing costs characters that the ceiling's resources need.
        new iam.PolicyStatement({
          sid: 'DenyEscalationAndTampering',
          effect: iam.Effect.DENY,
          actions: [
            ...perms.BOUNDARY_DENY_PRIVILEGE_ESCALATION,
            ...perms.BOUNDARY_DENY_KEY_TAMPERING,
            ...perms.BOUNDARY_DENY_BUCKET_TAMPERING,
            ...perms.BOUNDARY_DENY_AUDIT_AND_NETWORK_TAMPERING,
          ],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeFindings(
      this.policy.node.defaultChild!,
      [
        'NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess',
        'HIPAA.Security-IAMPolicyNoStatementsWithFullAccess',
        'PCI.DSS.321-IAMPolicyNoStatementsWithFullAccess',
      ],
      'The only service wildcard in the boundary is `iam:*` in a Deny statement: no platform role may call IAM at all. ' +
        'The rule reads any service wildcard as full access, whatever the statement’s effect.',
    );
    // Fail at synth, not at deploy, when the boundary may outgrow IAM's quota in a commercial Region; warn
    // when only a longer partition's ARNs would take it over.
    this.node.addValidation({
      validate: () => {
        const { errors, warnings } = managedPolicySizeFindings(
          this,
          `permissions boundary '${this.boundaryName}'`,
          this.policy.document,
        );
        for (const w of warnings) Annotations.of(this).addWarningV2('ztai:boundary-size-other-partitions', w);
        return errors;
      },
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

  /**
   * Raise the service ceiling (resource `*`) by exact actions, for actions each role's own policy
   * narrows to its resources. Costs only the action names: the boundary is one managed policy, of at
   * most 6,144 characters (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
   */
  public raiseCeiling(actions: string[]): void {
    const wildcard = actions.find((a) => a.includes('*'));
    if (wildcard || actions.length === 0) {
      throw new PlatformValidationError(
        this,
        `raiseCeiling: actions must be exact action names, without wildcards, got ${JSON.stringify(actions)}`,
      );
    }
    const present = new Set(Object.values(perms.BOUNDARY_SERVICE_CEILING).flat());
    for (const a of this.raisedActions) present.add(a);
    const added = [...new Set(actions)].filter((a) => !present.has(a));
    this.raisedActions.push(...added);
    if (added.length > 0) this.ceiling.addActions(...added);
  }

  /** Let platform roles reach these buckets (their own policies still decide which prefixes). */
  public capToBuckets(...buckets: s3.IBucket[]): void {
    const statement = this.bucketCeiling();
    for (const bucket of buckets) {
      const objects = bucket.arnForObjects('*');
      statement.addResources(bucket.bucketArn, objects);
      acknowledgeWildcardResource(
        this.policy.node.defaultChild!,
        objects,
        'The boundary caps S3 to this platform bucket; each role’s own policy narrows it to its prefix.',
      );
    }
  }

  /**
   * Let platform roles reach buckets by ARN pattern (`arn:<partition>:s3:::<name prefix>*`, bucket and objects
   * in one entry): for a bucket of another stack that must not be referenced, named by a fixed prefix. Their
   * own policies still decide which objects.
   */
  public capToBucketArnPatterns(...patterns: string[]): void {
    for (const pattern of patterns) {
      if (!Token.isUnresolved(pattern) && !/^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]*\*$/.test(pattern)) {
        throw new PlatformValidationError(
          this,
          `capToBucketArnPatterns: a pattern must be arn:<partition>:s3:::<bucket name prefix>*, got '${pattern}'`,
        );
      }
      this.bucketCeiling().addResources(pattern);
      acknowledgeWildcardResource(
        this.policy.node.defaultChild!,
        pattern,
        'The boundary caps S3 to the buckets named with this platform prefix; each role’s own policy names its objects.',
      );
    }
  }

  private bucketCeiling(): iam.PolicyStatement {
    if (!this.bucketStatement) {
      this.bucketStatement = new iam.PolicyStatement({
        sid: 'PlatformBucketsOnly',
        actions: perms.BOUNDARY_S3_CEILING,
      });
      this.policy.addStatements(this.bucketStatement);
    }
    return this.bucketStatement;
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
        sid: 'OnlyApiRoutesInvokeModels',
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

  /**
   * Let platform roles invoke Bedrock models only through an approved guardrail. The ceiling gains
   * `bedrock:InvokeModel`, `InvokeModelWithResponseStream` (Converse and ConverseStream are authorized
   * as these) and `ApplyGuardrail`, which each role's own policy narrows to its models and guardrail;
   * one explicit deny binds every role under the boundary, whatever its own policies say: any
   * `bedrock:InvokeModel*` request whose `bedrock:GuardrailIdentifier` matches none of
   * `guardrailIdentifiers` (ArnNotLike). A request that names no guardrail carries no such key, and a negated
   * condition operator such as ArnNotLike is true when the key is missing, so it is denied too
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html). Bedrock sends the key, as
   * `<guardrail ARN>:<version>`, on InvokeModel, InvokeModelWithResponseStream, Converse and
   * ConverseStream (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html,
   * example 1).
   *
   * Call it once, with every approved guardrail.
   */
  public requireGuardrailForModelInvocation(props: BedrockGuardrailRequirement): void {
    if (this.bedrockGuardrail) {
      throw new PlatformValidationError(
        this,
        `requireGuardrailForModelInvocation: already requires ${this.bedrockGuardrail}; call it once, with every approved guardrail`,
      );
    }
    const ids = props.guardrailIdentifiers;
    // A token (a guardrail's identifier) is checked at deploy; a literal must name guardrails.
    const bad = (id: string) => id.trim() === '' || (!Token.isUnresolved(id) && !id.includes(':guardrail/'));
    if (ids.length === 0 || ids.some(bad)) {
      throw new PlatformValidationError(
        this,
        `requireGuardrailForModelInvocation: guardrailIdentifiers must be guardrail identifiers '<guardrail ARN>:<version>' or guardrail ARN patterns, got ${JSON.stringify(ids)}`,
      );
    }
    const unguarded = props.unguardedModelArns ?? [];
    if (
      props.unguardedModelArns &&
      (unguarded.length === 0 || unguarded.some((a) => !/:(foundation-model|inference-profile)\/[^*]+$/.test(a)))
    ) {
      throw new PlatformValidationError(
        this,
        `requireGuardrailForModelInvocation: unguardedModelArns must be model ARNs with an exact model id (the Region may be '*'), got ${JSON.stringify(unguarded)}`,
      );
    }
    this.bedrockGuardrail = ids.join(', ');
    this.raiseCeiling([...BEDROCK_INVOKE, ...BEDROCK_APPLY_GUARDRAIL]);
    this.policy.addStatements(
      new iam.PolicyStatement({
        sid: 'RequireGuardrail',
        effect: iam.Effect.DENY,
        actions: BEDROCK_DENY_WITHOUT_GUARDRAIL,
        ...(unguarded.length > 0 ? { notResources: [...unguarded] } : { resources: ['*'] }),
        // The key is ARN-typed (Service Authorization Reference for Amazon Bedrock:
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html).
        conditions: { ArnNotLike: { 'bedrock:GuardrailIdentifier': ids.length === 1 ? ids[0] : [...ids] } },
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

/** Bedrock inference (Converse is authorized as InvokeModel, ConverseStream as InvokeModelWithResponseStream). */
const BEDROCK_INVOKE = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];
const BEDROCK_APPLY_GUARDRAIL = ['bedrock:ApplyGuardrail'];
/** Every model-invocation action, present and future (a deny may use a wildcard; the ceiling never does). */
const BEDROCK_DENY_WITHOUT_GUARDRAIL = ['bedrock:InvokeModel*'];
