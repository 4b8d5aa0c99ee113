import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { guardRulesPlugin } from './guard-rules';

/**
 * Register every cdk-nag v3 pack the platform is held to, and CloudFormation's built-in validator
 * with the platform's own Guard rules (policy/guard) on top of its default rules. The Guard rules
 * read the final templates, so an escape-hatch override cannot slip past them.
 *
 * Register them on the App only, also when the platform is built inside `Stage`s (delivery
 * pipeline): they reach every stage's stacks from there, unlike Aspects. The CDK runs the App's
 * plugins on every nested assembly's stacks (`stacksRecursively`), and cdk-nag walks the whole
 * construct tree (`appConstruct` is the root). Registering on a Stage would not work either way:
 * `CloudFormationValidatePlugin` throws outside the App, and a nag pack would check the whole app
 * again. test/lib/delivery.test.ts proves both reach a Stage.
 */
export function registerValidations(app: App): void {
  Validations.of(app).addPlugins(
    guardRulesPlugin(),
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new HIPAASecurityChecks(app),
    new PCIDSS321Checks(app),
    new ServerlessChecks(app),
  );
}
