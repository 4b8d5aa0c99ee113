import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  NagPack,
  NIST80053R5Checks,
  PCIDSS321Checks,
  ServerlessChecks,
} from 'cdk-nag';
import { Stage, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One unacknowledged finding: `<rule>` at `<construct path>`. */
export interface NagFinding {
  readonly rule: string;
  readonly path: string;
}

/** Every pack the platform is held to. */
export function allPacks(): NagPack[] {
  return [
    new AwsSolutionsChecks(),
    new NIST80053R5Checks(),
    new HIPAASecurityChecks(),
    new PCIDSS321Checks(),
    new ServerlessChecks(),
  ];
}

/**
 * The unacknowledged findings of every pack under `scope`, as `cdk synth` would report them.
 *
 * Aspects (the permissions boundary, tags) are applied first, as synthesis would. `validateScope`
 * honours only plain rule ids; the `Pack::RuleId` acknowledgements the platform writes are applied
 * by the CDK validation framework at synth, so they are applied here the same way: the closest
 * acknowledgement on the violating construct or one of its ancestors.
 */
export function nagFindings(scope: IConstruct): NagFinding[] {
  invokeAspects(scope);
  const byPath = new Map(scope.node.root.node.findAll().map((c) => [c.node.path, c]));
  return allPacks().flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.flatMap((v) =>
        v.violatingResources
          .map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' }))
          .filter((f) => !isAcknowledged(byPath.get(f.path), `${pack.name}::${f.rule}`)),
      ),
  );
}

/** Whether `id` (`Pack::RuleId[finding]`) is acknowledged on the construct or an ancestor. */
export function isAcknowledged(construct: IConstruct | undefined, id: string): boolean {
  for (let c = construct; c; c = c.node.scope) {
    for (const entry of c.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && id in (entry.data as object)) return true;
    }
  }
  return false;
}

/** Render findings one per line, for readable test failures. */
export function describeFindings(findings: NagFinding[]): string {
  return findings.map((f) => `${f.rule} at ${f.path}`).join('\n');
}

function invokeAspects(scope: IConstruct): void {
  // Synthesizing runs every Aspect exactly once (later calls return the same assembly).
  const root = scope.node.root;
  if (Stage.isStage(root)) root.synth();
}
