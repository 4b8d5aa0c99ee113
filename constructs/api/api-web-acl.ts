import { Names, RemovalPolicy, Stack, Token, ArnFormat } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { describeValue, PlatformValidationError, validateIntegerRange } from '../private/validation';

/** The largest body WAF can inspect in front of API Gateway (64 KB), and so the largest limit it can enforce. */
export const MAX_INSPECTABLE_BODY_BYTES = 65536;
/** The body size above which the common rule set's own `SizeRestrictions_BODY` blocks (8 KB). */
const COMMON_RULE_SET_BODY_LIMIT = 8192;
/** Evaluation windows WAF accepts for a rate-based rule, seconds. */
export const RATE_LIMIT_WINDOWS = [60, 120, 300, 600] as const;

/** The AWS managed rule groups every API web ACL runs, in priority order after the platform's own rules. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesAnonymousIpList',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesCommonRuleSet',
] as const;

/** What can be tuned on an API's web ACL. */
export interface ApiWebAclOptions {
  /** Requests one client IP may make in one evaluation window before it is blocked. 10 to 2,000,000,000. @default 1000 */
  readonly rateLimitPerIp?: number;
  /** Evaluation window of the per-IP rate-based rule, seconds: 60, 120, 300 or 600. @default 300 */
  readonly rateLimitWindowSeconds?: number;
  /** Retention of the WAF log group. @default logs.RetentionDays.ONE_YEAR */
  readonly logRetention?: logs.RetentionDays;
}

export interface ApiWebAclProps extends ApiWebAclOptions {
  /**
   * Largest request body admitted, in bytes (1 to 65,536: WAF inspects at most 64 KB of an API
   * Gateway request, and a larger body always counts as too large).
   */
  readonly maxBodyBytes: number;
  /** Key of the WAF log group. */
  readonly logEncryptionKey: kms.IKey;
  /** Name of the web ACL; its log group is `aws-waf-logs-<name>`. @default - derived from the construct path */
  readonly webAclName?: string;
}

/**
 * A regional WAFv2 web ACL for an API Gateway stage (REGIONAL scope, which serves regional and
 * private REST APIs alike): a body size limit, a blocking rate-based rule per client IP, and the
 * AWS managed IP reputation, anonymous IP, known bad inputs and common rule groups; every request
 * logged (Authorization, session token and API key headers redacted) to a KMS-encrypted log group.
 */
export class ApiWebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;
  public readonly webAclArn: string;
  public readonly webAclName: string;
  /** The WAF log group (`aws-waf-logs-*`, encrypted, retained). */
  public readonly logGroup: logs.LogGroup;
  public readonly loggingConfiguration: wafv2.CfnLoggingConfiguration;
  public readonly maxBodyBytes: number;

  constructor(scope: Construct, id: string, props: ApiWebAclProps) {
    super(scope, id);
    const rateLimit = props.rateLimitPerIp ?? 1000;
    const window = props.rateLimitWindowSeconds ?? 300;
    this.validate(props, rateLimit, window);
    this.maxBodyBytes = props.maxBodyBytes;
    this.webAclName = props.webAclName ?? Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });

    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      name: this.webAclName,
      scope: 'REGIONAL',
      description: 'Model gateway: body size limit, per-IP rate limit, AWS managed rule groups',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${this.webAclName}`),
      associationConfig: {
        requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: inspectionLimit(props.maxBodyBytes) } },
      },
      rules: [
        {
          name: 'BodySizeLimit',
          priority: 0,
          action: { block: {} },
          statement: {
            sizeConstraintStatement: {
              // A body WAF cannot inspect in full is larger than the limit: it matches, and is blocked.
              fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
              comparisonOperator: 'GT',
              size: props.maxBodyBytes,
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: visibility('BodySizeLimit'),
        },
        {
          name: 'RateLimitPerIp',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: { aggregateKeyType: 'IP', limit: rateLimit, evaluationWindowSec: window },
          },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        ...MANAGED_RULE_GROUPS.map((name, i) => managedRuleGroup(name, i + 2, props.maxBodyBytes)),
      ],
    });
    this.webAclArn = this.webAcl.attrArn;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `aws-waf-logs-${this.webAclName}`,
      encryptionKey: props.logEncryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.loggingConfiguration = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the `:*` suffix.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      // Credentials never reach the log: the SigV4 or bearer Authorization header, the session token,
      // and the usage-plan API key a machine client sends (x-api-key: a long-lived secret).
      redactedFields: [
        { singleHeader: { Name: 'authorization' } },
        { singleHeader: { Name: 'x-amz-security-token' } },
        { singleHeader: { Name: 'x-api-key' } },
      ],
    });
    this.loggingConfiguration.node.addDependency(this.logGroup);
  }

  /** Associate the web ACL with an API Gateway stage (in the same stack, so the association is checkable). */
  public associate(id: string, stage: apigateway.Stage): wafv2.CfnWebACLAssociation {
    return new wafv2.CfnWebACLAssociation(this, id, {
      resourceArn: stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }

  private validate(props: ApiWebAclProps, rateLimit: number, window: number): void {
    const body = props.maxBodyBytes;
    if (!Token.isUnresolved(body) && !(Number.isInteger(body) && body > 0 && body <= MAX_INSPECTABLE_BODY_BYTES)) {
      throw new PlatformValidationError(
        this,
        `maxBodyBytes must be an integer from 1 to ${MAX_INSPECTABLE_BODY_BYTES} (WAF inspects at most 64 KB of an API Gateway body), got ${describeValue(body)}`,
      );
    }
    validateIntegerRange(this, 'rateLimitPerIp', rateLimit, 10, 2_000_000_000);
    if (!(RATE_LIMIT_WINDOWS as readonly number[]).includes(window)) {
      throw new PlatformValidationError(
        this,
        `rateLimitWindowSeconds must be one of ${RATE_LIMIT_WINDOWS.join(', ')}, got ${describeValue(window)}`,
      );
    }
  }
}

function visibility(metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return {
    cloudWatchMetricsEnabled: true,
    sampledRequestsEnabled: true,
    metricName: metricName.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 128),
  };
}

/** The smallest body inspection limit API Gateway's WAF offers that covers `bytes`. */
function inspectionLimit(bytes: number): string {
  if (Token.isUnresolved(bytes)) return 'KB_64';
  const kb = [16, 32, 48, 64].find((k) => bytes <= k * 1024) ?? 64;
  return `KB_${kb}`;
}

function managedRuleGroup(name: string, priority: number, maxBodyBytes: number): wafv2.CfnWebACL.RuleProperty {
  // The common rule set blocks bodies over 8 KB on its own; where the model admits larger prompts,
  // that rule only counts and the BodySizeLimit rule (sized to the model) decides.
  const relaxBody =
    name === 'AWSManagedRulesCommonRuleSet' &&
    (Token.isUnresolved(maxBodyBytes) || maxBodyBytes > COMMON_RULE_SET_BODY_LIMIT);
  return {
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ruleActionOverrides: relaxBody ? [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }] : undefined,
      },
    },
    visibilityConfig: visibility(name),
  };
}
