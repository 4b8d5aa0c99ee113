/**
 * The zero-trust checklist areas, and which rule of which validator belongs to which area.
 *
 * One table: the first row whose pattern matches `<plugin>::<rule id>` wins; a rule no row matches
 * is counted under compliance validation. Rule ids are matched without cdk-nag's `[evidence]` suffix.
 */

export const AREAS = [
  'access controls',
  'workload isolation',
  'encryption',
  'governance',
  'threat monitoring',
  'compliance validation',
] as const;

export type Area = (typeof AREAS)[number];

/** Rule patterns by area, most specific first. */
export const RULE_AREAS: ReadonlyArray<readonly [RegExp, Area]> = [
  // Threat monitoring: logging, flow logs, trails, WAF, detectors. Before the broader patterns below
  // (VPC7 is flow logs, S1 is server access logs, APIG3 is WAF).
  [/::AwsSolutions-(VPC7|S1|APIG1|APIG3|APIG6|ELB5|CFR3|CFR1|CFR2|SF1|SF2|EB1|OS4|EC28)$/, 'threat monitoring'],
  [/::AwsSolutions-(L1|EC29|RDS10|AS3)$/, 'governance'],
  [/flow.?log|logging|log.?group|cloudtrail|trail|guardduty|waf|monitor|alarm|audit|detect/i, 'threat monitoring'],
  // Encryption: keys, TLS, encryption at rest.
  [/::AwsSolutions-(S10|SM2|SNS2|SNS3|SQS2|SQS3|SQS4|KMS5|EFS1|EB4|DDB3|CW17?|SMG3|SM3?|EC26)$/, 'encryption'],
  [/kms|encrypt|ssl|tls|https|secure.?transport|cmk|sse(?!s)/i, 'encryption'],
  // Access controls: IAM, authorisation, authentication.
  [/::AwsSolutions-(IAM\d+|COG\d+|APIG2|APIG4|SMG4|SM4)$/, 'access controls'],
  [
    /iam|role|polic|principal|permission|boundary|authori[sz]|authenticat|cognito|mfa|privilege|trust/i,
    'access controls',
  ],
  // Workload isolation: network placement and reachability.
  [/::AwsSolutions-(VPC\d+|EC\d+|SM1|SM5|ECS\d+|EKS\d+)$/, 'workload isolation'],
  [
    /vpc|subnet|security.?group|ingress|egress|public|internet|endpoint|isolat|network|nat.?gateway/i,
    'workload isolation',
  ],
  // Governance: lifecycle, tagging, retention, versioning, deletion protection, integrity.
  [/version|retention|retain|deletion|backup|snapshot|(?<!s)tag|lifecycle|integrity|sign|termination/i, 'governance'],
];

/** The area a validator rule belongs to. */
export function areaOfRule(pluginName: string, ruleId: string): Area {
  const key = `${pluginName}::${baseRuleId(ruleId)}`;
  for (const [pattern, area] of RULE_AREAS) {
    if (pattern.test(key)) return area;
  }
  return 'compliance validation';
}

/**
 * The rule id without cdk-nag's evidence suffix and without a `<namespace>::` prefix:
 * `AwsSolutions::AwsSolutions-IAM5[Action::s3:*]` -> `AwsSolutions-IAM5`.
 */
export function baseRuleId(ruleName: string): string {
  const noEvidence = ruleName.replace(/\[.*\]$/, '');
  const sep = noEvidence.lastIndexOf('::');
  return sep >= 0 ? noEvidence.slice(sep + 2) : noEvidence;
}
