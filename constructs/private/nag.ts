import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The cdk-nag v3 packs the platform runs, by their plugin names. */
export const NagPackName = {
  AWS_SOLUTIONS: 'AwsSolutions',
  NIST_800_53_R5: 'NIST.800.53.R5',
  HIPAA_SECURITY: 'HIPAA.Security',
  PCI_DSS_321: 'PCI.DSS.321',
  SERVERLESS: 'Serverless',
} as const;
export type NagPackName = (typeof NagPackName)[keyof typeof NagPackName];

/**
 * Acknowledge one finding, in the `Pack::RuleId[finding]` form that keeps it in the validation
 * report as acknowledged, on exactly the construct that causes it.
 *
 * @param rule e.g. `AwsSolutions-S1` or `AwsSolutions-IAM5[Resource::*]`; the pack is read from its prefix.
 */
export function acknowledgeFinding(construct: IConstruct, rule: string, reason: string): void {
  const pack = Object.values(NagPackName).find((p) => rule.startsWith(`${p}-`));
  if (!pack) {
    throw new Error(
      `acknowledgeFinding: '${rule}' does not start with a known pack name (${Object.values(NagPackName).join(', ')})`,
    );
  }
  Validations.of(construct).acknowledge({ id: `${pack}::${rule}`, reason });
}

/** Acknowledge the same finding, for the same reason, in several packs (the packs share rules under different ids). */
export function acknowledgeFindings(construct: IConstruct, rules: string[], reason: string): void {
  for (const rule of rules) acknowledgeFinding(construct, rule, reason);
}
