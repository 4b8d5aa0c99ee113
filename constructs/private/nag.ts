import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
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

/**
 * Acknowledge `AwsSolutions-IAM5[Resource::<resource>]` on `cfnPolicy`, with the resource written
 * as it is in the synthesized template.
 *
 * A resource of another stack only becomes a cross-stack reference (`Fn::GetStackOutput` /
 * `Fn::ImportValue`) once the app is prepared, so the finding is computed then (in a construct
 * validation, which runs after references are resolved and before the nag packs).
 */
export function acknowledgeWildcardResource(cfnPolicy: IConstruct, resource: string, reason: string): void {
  cfnPolicy.node.addValidation({
    validate: () => {
      const finding = flattenCfnReference(Stack.of(cfnPolicy).resolve(resource));
      acknowledgeFinding(cfnPolicy, `AwsSolutions-IAM5[Resource::${finding}]`, reason);
      return [];
    },
  });
}
