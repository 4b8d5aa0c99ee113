import * as fs from 'fs';
import * as path from 'path';
import { CloudFormationValidatePlugin } from 'aws-cdk-lib';
import { GuardHook, GuardRuleFile } from '../../constructs/governance/guard-hook';

/**
 * The platform's zero-trust rules, in AWS CloudFormation Guard 3 syntax, one file per area.
 *
 * The same files serve three engines: the CDK's in-process validator at synth
 * ({@link guardRulesPlugin}), the standalone `cfn-guard validate --rules policy/guard` and the
 * deploy-time `AWS::CloudFormation::GuardHook` (constructs/governance/guard-hook.ts).
 */
export const GUARD_RULES_DIRECTORY = path.resolve(__dirname, '..', '..', 'policy', 'guard');

/** The rule files the platform ships, in evaluation order. A missing one is an error. */
export const GUARD_RULE_FILES: readonly string[] = [
  'access.guard',
  'workload-isolation.guard',
  'encryption.guard',
  'governance.guard',
  'threat-monitoring.guard',
  // OpenSearch Serverless (retrieval's vector store): no public collection; customer-key encryption.
  'vector-store.guard',
  // Bedrock: guardrails encrypted with a customer key and filtering prompt attacks; endpoint policies on Bedrock endpoints.
  'genai.guard',
];

/**
 * The id the CDK gives our rules in validation reports and acknowledgements: the plugin name
 * `CloudFormation Validate` becomes the namespace, e.g.
 * `Validations.of(bucket).acknowledge({ id: 'CloudFormation-Validate::ZTAI_ENCRYPTION_S3_KMS', reason })`.
 */
export const GUARD_ACKNOWLEDGEMENT_PREFIX = 'CloudFormation-Validate::';

/** One Guard rule file: `name` is the file name, `content` its text (the hook construct's type). */
export type GuardRuleSource = GuardRuleFile;

/** Options for {@link guardRulesPlugin}. */
export interface GuardRulesPluginOptions {
  /**
   * Also evaluate the CDK's default CloudFormation rules (schema and best-practice checks).
   * Registering a `CloudFormationValidatePlugin` replaces the default instance, so turning this
   * off drops those checks for the whole app.
   * @default true
   */
  readonly includeDefaultRules?: boolean;
  /**
   * Directory holding the rule files.
   * @default GUARD_RULES_DIRECTORY
   */
  readonly rulesDirectory?: string;
}

/**
 * Read the platform's Guard rule files as `{ name, content }`, in {@link GUARD_RULE_FILES} order.
 *
 * @throws Error when a file is missing or empty, so a packaging mistake cannot silently drop a
 *   whole area of the policy.
 */
export function loadGuardRules(rulesDirectory: string = GUARD_RULES_DIRECTORY): GuardRuleSource[] {
  return GUARD_RULE_FILES.map((name) => {
    const file = path.join(rulesDirectory, name);
    if (!fs.existsSync(file)) {
      throw new Error(
        `Guard rule file ${name} not found in ${rulesDirectory}; expected ${GUARD_RULE_FILES.join(', ')}`,
      );
    }
    const content = fs.readFileSync(file, 'utf-8');
    if (content.trim().length === 0) {
      throw new Error(`Guard rule file ${file} is empty`);
    }
    return { name, content };
  });
}

/** The rule ids (`rule NAME ...`) declared in the given rule files, in order. */
export function guardRuleIds(rules: readonly GuardRuleSource[] = loadGuardRules()): string[] {
  return rules.flatMap((rule) => Array.from(rule.content.matchAll(/^rule\s+([A-Za-z0-9_]+)/gm), (m) => m[1]));
}

/**
 * All rule files as one Guard document, as the Guard hook uploads it (its rule location is a
 * single `.guard` object): the rules of every file, without comment and blank lines. File-level
 * variable names are unique across files, so one scope holds them all (a test checks the bundle
 * evaluates like the files).
 */
export function bundleGuardRules(rules: readonly GuardRuleSource[] = loadGuardRules()): string {
  return GuardHook.bundleRules(rules);
}

/**
 * The built-in CloudFormation validator configured with the platform's Guard rules. Register it
 * on the App: `Validations.of(app).addPlugins(guardRulesPlugin())`. With the context flag
 * `@aws-cdk/core:validateAgainstDefaultRules` true, a violated rule fails `cdk synth` with the
 * rule id and message; without it the CDK reports the findings as warnings.
 */
export function guardRulesPlugin(options: GuardRulesPluginOptions = {}): CloudFormationValidatePlugin {
  return new CloudFormationValidatePlugin({
    guardRules: loadGuardRules(options.rulesDirectory),
    includeDefaultRules: options.includeDefaultRules ?? true,
  });
}
