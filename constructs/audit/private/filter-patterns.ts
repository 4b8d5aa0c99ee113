/**
 * The CloudWatch Logs metric filter patterns of the security alarms, as pure functions, so every
 * pattern can be read, reviewed and asserted in one place.
 *
 * Patterns use only what the CloudWatch Logs JSON filter syntax documents: `=` / `!=` on string
 * values with a `*` wildcard at the start or end of a value, `NOT EXISTS`, `&&`, `||` and
 * parentheses. No regular expressions (a log group takes at most five regex filters), no wildcard
 * inside a value (it would be matched literally).
 */

/** The most characters CloudWatch Logs accepts in one filter pattern. */
export const MAX_FILTER_PATTERN_LENGTH = 1024;

/** One alarm of the security set: a metric filter on the trail's log group and an alarm on its metric. */
export interface SecurityAlarmDefinition {
  /** Stable id: the metric name and the construct id (so also the logical id). */
  readonly id: string;
  /** Stable, kebab-case suffix of the alarm name. */
  readonly slug: string;
  /** What the alarm means, for the alarm description. */
  readonly description: string;
  /** The control it implements (CIS AWS Foundations Benchmark and Security Hub ids, or 'platform'). */
  readonly control: string;
  /** The metric filter pattern. */
  readonly pattern: string;
  /** Matching events in five minutes that raise the alarm. */
  readonly threshold: number;
}

/** `(($.eventName = A) || ($.eventName = B) ...)` */
export function anyEventName(names: readonly string[]): string {
  return `(${names.map((n) => `($.eventName = "${n}")`).join(' || ')})`;
}

/** `($.eventSource = "x") && (any of the event names)` */
export function eventsOf(source: string, names: readonly string[]): string {
  return `($.eventSource = "${source}") && ${anyEventName(names)}`;
}

/**
 * True when the caller is NOT one of the given IAM roles: any caller that did not assume a role
 * (root, IAM users, AWS services), or a role session whose issuing role matches none of the
 * patterns. Each pattern is an IAM role ARN, optionally ending in `*`. Needs at least one pattern.
 */
export function callerIsNotOneOf(roleArnPatterns: readonly string[]): string {
  const issuer = roleArnPatterns.map((p) => `($.userIdentity.sessionContext.sessionIssuer.arn != "${p}")`).join(' && ');
  return `(($.userIdentity.type != "AssumedRole") || (${issuer}))`;
}

/** `{ a && b && c }` */
export function allOf(...conditions: string[]): string {
  return `{ ${conditions.join(' && ')} }`;
}

const ORGANIZATIONS_CHANGES = [
  'AcceptHandshake',
  'AttachPolicy',
  'CreateAccount',
  'CreateOrganizationalUnit',
  'CreatePolicy',
  'DeclineHandshake',
  'DeleteOrganization',
  'DeleteOrganizationalUnit',
  'DeletePolicy',
  'DetachPolicy',
  'DisablePolicyType',
  'EnablePolicyType',
  'InviteAccountToOrganization',
  'LeaveOrganization',
  'MoveAccount',
  'RemoveAccountFromOrganization',
  'UpdatePolicy',
  'UpdateOrganizationalUnit',
];

/**
 * The CIS AWS Foundations Benchmark monitoring set (v1.4.0 section 4 / Security Hub CloudWatch.1-14),
 * plus the AWS Organizations changes of CIS 4.15.
 */
export const CIS_ALARMS: readonly SecurityAlarmDefinition[] = [
  {
    id: 'UnauthorizedApiCalls',
    slug: 'cis-unauthorized-api-calls',
    description: 'API calls denied for lack of authorization (a probe, or a role reaching past its grants)',
    control: 'CIS 4.1 / Security Hub CloudWatch.2',
    pattern:
      '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ' +
      '($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }',
    threshold: 1,
  },
  {
    id: 'ConsoleSignInWithoutMfa',
    slug: 'cis-console-signin-without-mfa',
    description: 'An IAM user signed in to the console without MFA',
    control: 'CIS 4.2 / Security Hub CloudWatch.3',
    pattern:
      '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ' +
      '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    threshold: 1,
  },
  {
    id: 'RootAccountUsage',
    slug: 'cis-root-account-usage',
    description: 'The root user acted in the account',
    control: 'CIS 4.3 / Security Hub CloudWatch.1',
    pattern:
      '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }',
    threshold: 1,
  },
  {
    id: 'IamPolicyChanges',
    slug: 'cis-iam-policy-changes',
    description: 'An IAM policy was created, changed, attached or detached',
    control: 'CIS 4.4 / Security Hub CloudWatch.4',
    pattern: allOf(
      eventsOf('iam.amazonaws.com', [
        'DeleteGroupPolicy',
        'DeleteRolePolicy',
        'DeleteUserPolicy',
        'PutGroupPolicy',
        'PutRolePolicy',
        'PutUserPolicy',
        'CreatePolicy',
        'DeletePolicy',
        'CreatePolicyVersion',
        'DeletePolicyVersion',
        'AttachRolePolicy',
        'DetachRolePolicy',
        'AttachUserPolicy',
        'DetachUserPolicy',
        'AttachGroupPolicy',
        'DetachGroupPolicy',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'CloudTrailConfigurationChanges',
    slug: 'cis-cloudtrail-configuration-changes',
    description: 'A trail was created, changed, deleted, started or stopped',
    control: 'CIS 4.5 / Security Hub CloudWatch.5',
    pattern: allOf(
      eventsOf('cloudtrail.amazonaws.com', [
        'CreateTrail',
        'UpdateTrail',
        'DeleteTrail',
        'StartLogging',
        'StopLogging',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'ConsoleSignInFailures',
    slug: 'cis-console-signin-failures',
    description: 'Console sign-in failed authentication',
    control: 'CIS 4.6 / Security Hub CloudWatch.6',
    pattern: '{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
    threshold: 1,
  },
  {
    id: 'KeyDisabledOrScheduledForDeletion',
    slug: 'cis-kms-key-disabled-or-deleted',
    description: 'A customer managed KMS key was disabled or scheduled for deletion',
    control: 'CIS 4.7 / Security Hub CloudWatch.7',
    pattern: allOf(eventsOf('kms.amazonaws.com', ['DisableKey', 'ScheduleKeyDeletion'])),
    threshold: 1,
  },
  {
    id: 'S3BucketPolicyChanges',
    slug: 'cis-s3-bucket-policy-changes',
    description: 'An S3 bucket policy, ACL, CORS, lifecycle or replication configuration changed',
    control: 'CIS 4.8 / Security Hub CloudWatch.8',
    pattern: allOf(
      eventsOf('s3.amazonaws.com', [
        'PutBucketAcl',
        'PutBucketPolicy',
        'PutBucketCors',
        'PutBucketLifecycle',
        'PutBucketReplication',
        'DeleteBucketPolicy',
        'DeleteBucketCors',
        'DeleteBucketLifecycle',
        'DeleteBucketReplication',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'ConfigChanges',
    slug: 'cis-config-changes',
    description: 'AWS Config recording or delivery was changed or stopped',
    control: 'CIS 4.9 / Security Hub CloudWatch.9',
    pattern: allOf(
      eventsOf('config.amazonaws.com', [
        'StopConfigurationRecorder',
        'DeleteDeliveryChannel',
        'PutDeliveryChannel',
        'PutConfigurationRecorder',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'SecurityGroupChanges',
    slug: 'cis-security-group-changes',
    description: 'A security group or one of its rules was created, changed or deleted',
    control: 'CIS 4.10 / Security Hub CloudWatch.10',
    pattern: allOf(
      anyEventName([
        'AuthorizeSecurityGroupIngress',
        'AuthorizeSecurityGroupEgress',
        'RevokeSecurityGroupIngress',
        'RevokeSecurityGroupEgress',
        'CreateSecurityGroup',
        'DeleteSecurityGroup',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'NetworkAclChanges',
    slug: 'cis-nacl-changes',
    description: 'A network ACL or one of its entries was created, changed or deleted',
    control: 'CIS 4.11 / Security Hub CloudWatch.11',
    pattern: allOf(
      anyEventName([
        'CreateNetworkAcl',
        'CreateNetworkAclEntry',
        'DeleteNetworkAcl',
        'DeleteNetworkAclEntry',
        'ReplaceNetworkAclEntry',
        'ReplaceNetworkAclAssociation',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'NetworkGatewayChanges',
    slug: 'cis-network-gateway-changes',
    description: 'An internet or customer gateway was created, attached, detached or deleted',
    control: 'CIS 4.12 / Security Hub CloudWatch.12',
    pattern: allOf(
      anyEventName([
        'CreateCustomerGateway',
        'DeleteCustomerGateway',
        'AttachInternetGateway',
        'CreateInternetGateway',
        'DeleteInternetGateway',
        'DetachInternetGateway',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'RouteTableChanges',
    slug: 'cis-route-table-changes',
    description: 'A route or route table was created, changed, deleted or re-associated',
    control: 'CIS 4.13 / Security Hub CloudWatch.13',
    pattern: allOf(
      eventsOf('ec2.amazonaws.com', [
        'CreateRoute',
        'CreateRouteTable',
        'ReplaceRoute',
        'ReplaceRouteTableAssociation',
        'DeleteRouteTable',
        'DeleteRoute',
        'DisassociateRouteTable',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'VpcChanges',
    slug: 'cis-vpc-changes',
    description: 'A VPC or a VPC peering connection was created, changed or deleted',
    control: 'CIS 4.14 / Security Hub CloudWatch.14',
    pattern: allOf(
      anyEventName([
        'CreateVpc',
        'DeleteVpc',
        'ModifyVpcAttribute',
        'AcceptVpcPeeringConnection',
        'CreateVpcPeeringConnection',
        'DeleteVpcPeeringConnection',
        'RejectVpcPeeringConnection',
        'AttachClassicLinkVpc',
        'DetachClassicLinkVpc',
        'DisableVpcClassicLink',
        'EnableVpcClassicLink',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'OrganizationsChanges',
    slug: 'cis-organizations-changes',
    description: 'The AWS Organization, its accounts, units or policies changed',
    control: 'CIS 4.15',
    pattern: allOf(eventsOf('organizations.amazonaws.com', ORGANIZATIONS_CHANGES)),
    threshold: 1,
  },
];

/** Platform controls that are not AI-specific but guard the zero-trust model itself. */
export const PLATFORM_ALARMS: readonly SecurityAlarmDefinition[] = [
  {
    id: 'PermissionsBoundaryChanges',
    slug: 'platform-permissions-boundary-changes',
    description: 'A permissions boundary was put on or removed from a role or user',
    control: 'platform',
    pattern: allOf(
      eventsOf('iam.amazonaws.com', [
        'PutRolePermissionsBoundary',
        'DeleteRolePermissionsBoundary',
        'PutUserPermissionsBoundary',
        'DeleteUserPermissionsBoundary',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'KeyPolicyChanges',
    slug: 'platform-kms-key-policy-changes',
    description: 'A KMS key policy, rotation, alias or imported key material changed',
    control: 'platform',
    pattern: allOf(
      eventsOf('kms.amazonaws.com', [
        'PutKeyPolicy',
        'DisableKeyRotation',
        'DeleteAlias',
        'UpdateAlias',
        'DeleteImportedKeyMaterial',
      ]),
    ),
    threshold: 1,
  },
  {
    id: 'AuditLogTampering',
    slug: 'platform-audit-log-tampering',
    description: 'A log group, metric filter or log key association was removed, or trail event selectors changed',
    control: 'platform',
    pattern:
      `{ (($.eventSource = "logs.amazonaws.com") && ${anyEventName([
        'DeleteLogGroup',
        'DeleteLogStream',
        'DeleteMetricFilter',
        'DisassociateKmsKey',
      ])}) || ` +
      `(($.eventSource = "cloudtrail.amazonaws.com") && ${anyEventName(['PutEventSelectors', 'PutInsightSelectors'])}) }`,
    threshold: 1,
  },
  {
    id: 'ThreatDetectionDisabled',
    slug: 'platform-threat-detection-disabled',
    description: 'GuardDuty, a malware protection plan or Security Hub was deleted or disabled',
    control: 'platform',
    pattern:
      `{ (($.eventSource = "guardduty.amazonaws.com") && ${anyEventName([
        'DeleteDetector',
        'DeleteMalwareProtectionPlan',
        'DisassociateFromMasterAccount',
      ])}) || ` +
      `(($.eventSource = "securityhub.amazonaws.com") && ${anyEventName(['DisableSecurityHub', 'BatchDisableStandards'])}) }`,
    threshold: 1,
  },
];

/** The SageMaker calls that change what a model endpoint serves. */
export const SAGEMAKER_DEPLOYMENT_EVENTS = [
  'CreateModel',
  'CreateEndpointConfig',
  'CreateEndpoint',
  'UpdateEndpoint',
  'DeleteEndpoint',
];

/** S3 calls that write or remove one object, named by `requestParameters.key`. */
export const S3_OBJECT_WRITE_EVENTS = [
  'PutObject',
  'CopyObject',
  'CompleteMultipartUpload',
  'DeleteObject',
  'PutObjectRetention',
  'PutObjectLegalHold',
];

/** Model deployment changes by anyone but the deployment role(s). */
export function sageMakerDeploymentPattern(deployerRoleArnPatterns: readonly string[]): string {
  const conditions = [eventsOf('sagemaker.amazonaws.com', SAGEMAKER_DEPLOYMENT_EVENTS)];
  if (deployerRoleArnPatterns.length > 0) conditions.push(callerIsNotOneOf(deployerRoleArnPatterns));
  return allOf(...conditions);
}

/**
 * Writes under the approved-model prefix of the models bucket (and multi-object deletes, whose keys
 * CloudTrail does not name) by anyone but the admission role(s).
 */
export function approvedModelWritePattern(
  bucketName: string,
  approvedPrefix: string,
  admissionRoleArnPatterns: readonly string[],
): string {
  const conditions = [
    '($.eventSource = "s3.amazonaws.com")',
    `($.requestParameters.bucketName = "${bucketName}")`,
    `((${anyEventName(S3_OBJECT_WRITE_EVENTS)} && ($.requestParameters.key = "${approvedPrefix}*")) || ($.eventName = "DeleteObjects"))`,
  ];
  if (admissionRoleArnPatterns.length > 0) conditions.push(callerIsNotOneOf(admissionRoleArnPatterns));
  return allOf(...conditions);
}

/** KMS calls on the platform's keys denied for lack of authorization. */
export function keyAccessDeniedPattern(keyArns: readonly string[]): string {
  return allOf(
    '($.eventSource = "kms.amazonaws.com")',
    '($.errorCode = "AccessDenied*")',
    `(${keyArns.map((k) => `($.resources[0].ARN = "${k}")`).join(' || ')})`,
  );
}

/** SageMaker endpoint invocations (data events) by principals outside the platform's roles. */
export function endpointInvocationPattern(invokerRoleArnPatterns: readonly string[]): string {
  const conditions = ['($.eventName = "InvokeEndpoint*")'];
  if (invokerRoleArnPatterns.length > 0) conditions.push(callerIsNotOneOf(invokerRoleArnPatterns));
  return allOf(...conditions);
}

/**
 * The Bedrock runtime calls that run a model, as CloudTrail names them: InvokeModel,
 * InvokeModelWithResponseStream, Converse and ConverseStream are management events; InvokeModelWithBidirectionalStream
 * and StartAsyncInvoke are data events of `AWS::Bedrock::Model`
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/logging-using-cloudtrail.html).
 */
export const BEDROCK_INVOCATION_EVENTS = ['InvokeModel*', 'Converse*', 'StartAsyncInvoke'] as const;

/** Bedrock model invocations (allowed or denied) by principals outside the platform's roles. */
export function bedrockInvocationPattern(invokerRoleArnPatterns: readonly string[]): string {
  const conditions = [eventsOf('bedrock.amazonaws.com', BEDROCK_INVOCATION_EVENTS)];
  if (invokerRoleArnPatterns.length > 0) conditions.push(callerIsNotOneOf(invokerRoleArnPatterns));
  return allOf(...conditions);
}
