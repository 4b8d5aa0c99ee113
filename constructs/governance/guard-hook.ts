import { Annotations, Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { Construct, IConstruct } from 'constructs';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import { KeyUsageService, PlatformKey } from '../keys/platform-key';
import { deployTimeCall } from '../private/deploy-time-call';
import { acknowledgeFinding } from '../private/nag';
import * as perms from '../private/perms';
import { describeValue, PlatformValidationError } from '../private/validation';
import { EncryptedBucket } from '../storage/encrypted-bucket';

/** Where the rules live in the bucket, and the object the hook reads (a Guard hook takes one `.guard` object). */
const RULES_PREFIX = 'guard-rules/';
const RULES_OBJECT_KEY = `${RULES_PREFIX}ztai-policy.guard`;
/** The longest role session the platform allows, in seconds. */
const MAX_SESSION = Duration.hours(1);
/** `Name1::Name2::Name3`, each 2 to 64 alphanumerics, not beginning with AWS (CloudFormation's alias rule). */
const ALIAS_PATTERN = /^(?!aws)[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$/i;
/** CloudFormation stack names. */
const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** How the hook answers a stack operation that breaks a rule. */
export class FailureMode {
  /** Stop the stack operation. */
  public static readonly FAIL = new FailureMode('FAIL');
  /** Let the operation continue, with a warning in the stack events. */
  public static readonly WARN = new FailureMode('WARN');

  private constructor(public readonly value: 'FAIL' | 'WARN') {}
}

/** One Guard rule file: `name` ends in `.guard`, `content` is its text. */
export interface GuardRuleFile {
  readonly name: string;
  readonly content: string;
}

export interface GuardHookProps {
  /**
   * The Guard rule files to enforce (the platform's are `loadGuardRules()` of
   * lib/validation/guard-rules). They are bundled into one `.guard` object, because a Guard hook
   * reads a single rules object; file-level variable names must therefore be unique across files.
   */
  readonly rules: GuardRuleFile[];
  /** What a rule failure does to the stack operation. @default FailureMode.FAIL */
  readonly failureMode?: FailureMode;
  /** The hook's type alias, `Name1::Name2::Name3`, unique in the account and region. @default 'Private::Guard::ZeroTrustAiPolicy' */
  readonly alias?: string;
  /**
   * The customer key for the rules bucket and the uploader's logs. Its policy must let S3 and
   * CloudWatch Logs of this account use it (a `PlatformKey` with `allowCloudWatchLogs`).
   * @default - a new platform key with rotation, for S3 and CloudWatch Logs
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * A bucket for the hook's detailed Guard reports. The hook role may write any object in it, so it
   * must not hold anything else, and it must accept uploads that rely on its default encryption.
   * @default - no report bucket (findings still appear in the stack events)
   */
  readonly reportBucket?: s3.IBucket;
  /**
   * Stacks the hook does not evaluate, by name. Every stack in the account and region is evaluated
   * otherwise, including the CDK bootstrap stack (`CDKToolkit`) and stacks not made by the platform.
   * @default - none: every stack is evaluated
   */
  readonly exemptStackNames?: string[];
}

/** A deploy-time CloudFormation Guard hook. */
export interface IGuardHook extends IConstruct {
  /** The ARN of the activated hook. */
  readonly hookArn: string;
}

/**
 * A CloudFormation Guard hook (`AWS::CloudFormation::GuardHook`) that evaluates every stack
 * created or updated in the account and region against the platform's Guard rules, before any
 * resource is provisioned.
 *
 * - Targets STACK operations: the hook evaluates the whole template, which is what the rules are
 *   written against (several rules relate resources: a bucket and its policy, a VPC and its flow
 *   log). RESOURCE operations hand Guard one resource at a time in another shape
 *   (`ResourceType`, `ResourceProperties`) and are not targeted. Deletions are not evaluated, so a
 *   non-compliant stack can always be removed.
 * - The rules are uploaded by this stack (an `AwsCustomResource` calling `s3:PutObject`, the rules
 *   inline in the template) into a bucket of its own: SSE-KMS with a customer key, versioned,
 *   retained, TLS-only, public access blocked, server access logs. The hook pins the object
 *   version written, so changing the rules in the bucket by hand changes nothing until this stack
 *   is deployed again. CDK assets were not used: they land in the bootstrap bucket, whose
 *   encryption, retention and policy this stack does not own.
 * - Two roles, each with one-hour sessions and an `aws:SourceAccount` trust condition: the hook's
 *   execution role reads the rules object (and writes reports if a report bucket is given); the
 *   uploader's role writes under the rules prefix and to its own encrypted log group. The
 *   platform's aspect adds the permissions boundary.
 *
 * The uploader is the stack's `AwsCustomResource` singleton function: another `AwsCustomResource`
 * in the same stack would share its role, so keep the hook in a stack of its own.
 */
export class GuardHook extends Construct implements IGuardHook {
  public readonly hookArn: string;
  /** The hook resource. */
  public readonly resource: cloudformation.CfnGuardHook;
  /** The role CloudFormation assumes to read the rules. */
  public readonly executionRole: iam.Role;
  /** The bucket holding the rules. */
  public readonly rulesBucket: s3.IBucket;
  /** The key encrypting the rules and the uploader's logs. */
  public readonly encryptionKey: kms.IKey;
  /** The S3 key of the rules object. */
  public readonly rulesObjectKey = RULES_OBJECT_KEY;

  constructor(scope: Construct, id: string, props: GuardHookProps) {
    super(scope, id);
    this.validateRules(props.rules);
    const alias = props.alias ?? 'Private::Guard::ZeroTrustAiPolicy';
    if (!Token.isUnresolved(alias) && !ALIAS_PATTERN.test(alias)) {
      throw new PlatformValidationError(
        this,
        `alias must be Name1::Name2::Name3 (2 to 64 letters or digits each, not beginning with AWS), got ${describeValue(alias)}`,
      );
    }
    const exempt = props.exemptStackNames ?? [];
    for (const name of exempt) {
      if (!Token.isUnresolved(name) && !STACK_NAME_PATTERN.test(name)) {
        throw new PlatformValidationError(
          this,
          `exemptStackNames must hold CloudFormation stack names (a letter, then up to 127 letters, digits or hyphens), got ${describeValue(name)}`,
        );
      }
    }
    const failureMode = props.failureMode ?? FailureMode.FAIL;
    if (failureMode === FailureMode.WARN) {
      Annotations.of(this).addWarningV2(
        'ztai:guard-hook-warn-only',
        'failureMode is WARN: stacks that break the platform rules deploy, with a warning in their events.',
      );
    }
    if (exempt.length > 0) {
      Annotations.of(this).addWarningV2(
        'ztai:guard-hook-exempt-stacks',
        `exemptStackNames: the hook does not evaluate ${exempt.join(', ')}; those stacks can deploy anything.`,
      );
    }

    this.encryptionKey =
      props.encryptionKey ??
      new PlatformKey(this, 'Key', {
        description: `Guard rules of ${this.node.path}`,
        usageServices: [KeyUsageService.S3],
        allowCloudWatchLogs: true,
      }).key;
    const rulesBucket = new EncryptedBucket(this, 'RulesBucket', { encryptionKey: this.encryptionKey });
    this.rulesBucket = rulesBucket.bucket;

    const upload = this.uploadRules(rulesBucket, GuardHook.bundleRules(props.rules));

    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      description: 'CloudFormation Guard hook: reads the platform rules',
      assumedBy: new iam.ServicePrincipal('hooks.cloudformation.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      }),
      maxSessionDuration: MAX_SESSION,
    });
    const hookGrants = new ManagedPolicyPrincipal(this, this.executionRole, 'ExecutionRolePolicy');
    rulesBucket.grantReadPrefix(hookGrants, RULES_PREFIX);
    if (props.reportBucket) this.grantReports(hookGrants, props.reportBucket);

    this.resource = new cloudformation.CfnGuardHook(this, 'Resource', {
      alias,
      executionRole: this.executionRole.roleArn,
      failureMode: failureMode.value,
      hookStatus: 'ENABLED',
      ruleLocation: {
        uri: `s3://${this.rulesBucket.bucketName}/${RULES_OBJECT_KEY}`,
        versionId: upload.getResponseField('VersionId'),
      },
      targetOperations: ['STACK'],
      logBucket: props.reportBucket?.bucketName,
      stackFilters: exempt.length > 0 ? { filteringCriteria: 'ALL', stackNames: { exclude: exempt } } : undefined,
    });
    // The L1 types TargetFilters as its Targets variant only; the Actions variant is the documented
    // way to pick actions for STACK targets. Deletions are left out on purpose.
    this.resource.addPropertyOverride('TargetFilters', { Actions: ['CREATE', 'UPDATE'] });
    // The role and its policy must exist before the hook is activated and first reads the rules.
    this.resource.node.addDependency(this.executionRole);
    if (hookGrants.policy) this.resource.node.addDependency(hookGrants.policy);
    this.hookArn = this.resource.attrHookArn;
  }

  /**
   * The Guard document the hook evaluates: the rule files in order, each under a one-line header,
   * without comment lines and blank lines. The rules travel inline in the upload's custom-resource
   * request, which CloudFormation sends twice over on an update (old and new properties), so the
   * documentation stays in the files.
   */
  public static bundleRules(rules: readonly GuardRuleFile[]): string {
    return rules
      .map((rule) => {
        const code = rule.content.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
        return [`# ---- ${rule.name} ----`, ...code].join('\n');
      })
      .join('\n')
      .concat('\n');
  }

  /** Write the bundled rules into the bucket; the response carries the object version the hook pins. */
  private uploadRules(bucket: EncryptedBucket, body: string): cr.AwsCustomResource {
    return deployTimeCall(this, {
      call: {
        service: 'S3',
        action: 'putObject',
        parameters: {
          Bucket: bucket.bucketName,
          Key: RULES_OBJECT_KEY,
          Body: body,
          ContentType: 'text/plain; charset=utf-8',
          // The bucket denies uploads that do not name SSE-KMS with its own key.
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: this.encryptionKey.keyArn,
        },
        physicalResourceId: cr.PhysicalResourceId.fromResponse('VersionId'),
        outputPaths: ['VersionId'],
        logging: cr.Logging.withDataHidden(),
      },
      description: 'CloudFormation Guard hook: uploads the platform rules',
      logsKey: this.encryptionKey,
      ids: { logs: 'UploaderLogs', role: 'UploaderRole', policy: 'UploaderRolePolicy', resource: 'UploadRules' },
      grant: (grantee) => bucket.grantWritePrefix(grantee, RULES_PREFIX),
      reasons: {
        concurrency:
          'Runs only while this stack deploys, called by CloudFormation once per rules change; reserving concurrency would only take it from the workloads.',
        insideVpc:
          'Makes one call, s3:PutObject under the hook prefix of its own bucket, with a role scoped to that prefix; it holds no data and serves no traffic.',
        tracing:
          'AwsCustomResource offers no tracing setting; its one S3 call is recorded by CloudTrail S3 data events.',
      },
    }).resource;
  }

  /** Let the hook write its reports: any object of the report bucket, encrypted with its key if it has one. */
  private grantReports(grantee: ManagedPolicyPrincipal, bucket: s3.IBucket): void {
    iam.Grant.addToPrincipal({ grantee, actions: perms.S3_OBJECT_WRITE, resourceArns: [bucket.arnForObjects('*')] });
    if (bucket.encryptionKey) {
      iam.Grant.addToPrincipal({ grantee, actions: perms.KEY_S3_WRITE, resourceArns: [bucket.encryptionKey.keyArn] });
    }
    acknowledgeFinding(
      grantee.policy!.node.defaultChild!,
      `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(this).resolve(bucket.arnForObjects('*')))}]`,
      'The hook names its report objects itself; the report bucket is dedicated to its reports (see reportBucket).',
    );
  }

  private validateRules(rules: readonly GuardRuleFile[]): void {
    if (rules.length === 0) {
      throw new PlatformValidationError(this, 'rules must hold at least one Guard rule file, got []');
    }
    const names = new Set<string>();
    for (const rule of rules) {
      if (!/^[A-Za-z0-9._-]+\.guard$/.test(rule.name)) {
        throw new PlatformValidationError(
          this,
          `rules[].name must be a file name ending in .guard, got ${describeValue(rule.name)}`,
        );
      }
      if (names.has(rule.name)) {
        throw new PlatformValidationError(this, `rules[].name must be unique, got ${describeValue(rule.name)} twice`);
      }
      names.add(rule.name);
      if (!/^\s*rule\s+[A-Za-z0-9_]+/m.test(rule.content)) {
        throw new PlatformValidationError(
          this,
          `rules[].content of ${rule.name} must declare at least one Guard rule ('rule NAME ...'), got none`,
        );
      }
    }
  }
}
