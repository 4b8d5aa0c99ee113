import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { CDK_CONTEXT } from './stacks';
import * as os from 'os';
import * as path from 'path';
import { App, CfnElement, CloudFormationValidatePlugin, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { bundleGuardRules, GUARD_RULES_DIRECTORY, loadGuardRules } from '../../lib/validation/guard-rules';

/** The repository root (holds cdk.json and policy/). */

/** One finding of our Guard rules, as the in-process validator reports it. */
export interface GuardViolation {
  /** Rule id, e.g. ZTAI_ENCRYPTION_S3_KMS. */
  readonly ruleId: string;
  /** The CDK's description: `<property path>: <rule message>`. */
  readonly description: string;
  /** Template file name, e.g. `Case3.template.json`. */
  readonly template: string;
  /** Logical ID of the violating resource, when the engine attributes the finding to one. */
  readonly logicalId?: string;
  /** Construct path of the violating resource (or of the stack, for unattributed findings). */
  readonly constructPath?: string;
}

/**
 * The app context the reference app synthesizes with (cdk.json), so fragments render as they do
 * in the app, including `@aws-cdk/core:validateAgainstDefaultRules: true`, which makes the
 * validator's findings errors.
 */
export function appContext(): Record<string, unknown> {
  return { ...CDK_CONTEXT, '@aws-cdk/core:validateAgainstDefaultRules': true };
}

let sharedPlugin: CloudFormationValidatePlugin | undefined;

/**
 * One validator per test process, with only our Guard rules (the CDK's default Rego rules off).
 * Reusing it across Apps keeps its engine, which costs about 1.5 s to start.
 */
export function guardOnlyPlugin(): CloudFormationValidatePlugin {
  sharedPlugin ??= new CloudFormationValidatePlugin({ guardRules: loadGuardRules(), includeDefaultRules: false });
  return sharedPlugin;
}

/** A fresh App in a temporary outdir, with the app's context and only our Guard plugin registered. */
export function newGuardApp(): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-guard-'));
  const app = new App({ outdir, context: appContext() });
  Validations.of(app).addPlugins(guardOnlyPlugin());
  return app;
}

/**
 * Synthesize the app and return our rules' findings (ZTAI_*) from its validation report.
 * Synth throws when a rule is violated; the report is read either way. Findings of the
 * engine's built-in schema checks are left out: fragments are not meant to be deployable.
 */
export function synthGuardViolations(app: App): GuardViolation[] {
  let synthError: unknown;
  try {
    app.synth();
  } catch (e) {
    synthError = e;
  }
  const reportFile = path.join(app.outdir, 'validation-report.json');
  if (!fs.existsSync(reportFile)) {
    if (synthError) throw synthError;
    return [];
  }
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf-8'));
  const violations: GuardViolation[] = [];
  for (const pluginReport of report.pluginReports ?? []) {
    if (pluginReport.pluginName !== CloudFormationValidatePlugin.PLUGIN_NAME) continue;
    for (const v of pluginReport.violations ?? []) {
      if (!String(v.ruleName).startsWith('ZTAI_')) continue;
      for (const c of v.violatingConstructs ?? []) {
        violations.push({
          ruleId: v.ruleName,
          description: v.description,
          template: path.basename(c.cloudFormationResource?.templatePath ?? ''),
          logicalId: c.cloudFormationResource?.logicalId,
          constructPath: c.constructPath,
        });
      }
    }
  }
  if (synthError && violations.length === 0) throw synthError;
  return violations;
}

/** The cfn-guard 3 binary shipped with @cdklabs/cdk-validator-cfnguard, for this platform. */
export function cfnGuardBinary(): string {
  const platform = process.platform === 'darwin' ? 'macos' : 'ubuntu';
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const binary = path.join(
    path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')),
    'bin',
    platform,
    arch,
    'cfn-guard',
  );
  if (!fs.existsSync(binary)) throw new Error(`cfn-guard binary not found at ${binary}`);
  return binary;
}

/**
 * Run `cfn-guard validate --rules <rules> --data <each template>` once, and return the failing
 * rule ids per template file name. Throws when cfn-guard cannot parse the rules or the data.
 */
export function runCfnGuard(templates: string[], rules: string = GUARD_RULES_DIRECTORY): Map<string, Set<string>> {
  const args = [
    'validate',
    '--rules',
    rules,
    ...templates.flatMap((t) => ['--data', t]),
    '-o',
    'json',
    '-z',
    '-S',
    'none',
  ];
  const result = spawnSync(cfnGuardBinary(), args, { encoding: 'utf-8', maxBuffer: 256 * 1024 * 1024 });
  // Exit codes: 0 every rule passed or skipped, 19 some rule failed; anything else is an error.
  if (result.status !== 0 && result.status !== 19) {
    throw new Error(`cfn-guard exited with ${result.status}: ${result.stderr || result.stdout}`);
  }
  const documents: Array<{ name: string; not_compliant: Array<{ Rule: { name: string } }> }> = JSON.parse(
    result.stdout,
  );
  const failures = new Map<string, Set<string>>();
  for (const doc of documents) {
    failures.set(path.basename(doc.name), new Set(doc.not_compliant.map((n) => n.Rule.name)));
  }
  return failures;
}

/** One template fragment: a stack built to pass or to violate one rule. */
export interface GuardFragment {
  /** The rule under test. */
  readonly rule: string;
  /** What the fragment shows. */
  readonly title: string;
  /** Whether the rule must pass or fail on the fragment. */
  readonly expect: 'pass' | 'fail';
  /**
   * Build the fragment in its own stack. For a failing fragment, return the construct whose
   * CloudFormation resource the rule must name (its default child is used when it is an L2).
   */
  readonly build: (stack: Stack) => IConstruct | void;
}

/** A compliant fragment. */
export function passes(rule: string, title: string, build: GuardFragment['build']): GuardFragment {
  return { rule, title, expect: 'pass', build };
}

/** A non-compliant fragment; `build` returns the construct the rule must flag. */
export function fails(rule: string, title: string, build: GuardFragment['build']): GuardFragment {
  return { rule, title, expect: 'fail', build };
}

/** The outcome of one fragment in both engines. */
export interface FragmentOutcome {
  readonly fragment: GuardFragment;
  /** Template file name of the fragment's stack. */
  readonly template: string;
  /** Logical ID of the resource a failing fragment must be flagged on. */
  readonly expectedLogicalId?: string;
  /** In-process findings of the rule under test on this stack. */
  readonly inProcess: GuardViolation[];
  /** Rule ids cfn-guard reports failing on this stack's template. */
  readonly cli: Set<string>;
  /** The same, evaluated with the single-document bundle the Guard hook uploads. */
  readonly cliBundle: Set<string>;
}

/** The Guard hook's bundle of the platform rules, written to a temporary file. */
export function writeRulesBundle(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-guard-bundle-')), 'ztai-policy.guard');
  fs.writeFileSync(file, bundleGuardRules());
  return file;
}

/**
 * Build every fragment in its own stack of ONE app, synthesize once with the in-process
 * validator, then run the standalone cfn-guard over all templates, once with the rule files and
 * once with the Guard hook's bundle.
 */
export function evaluateFragments(fragments: readonly GuardFragment[]): FragmentOutcome[] {
  const app = newGuardApp();
  const built = fragments.map((fragment, i) => {
    const stack = new Stack(app, `Case${i}`);
    const target = fragment.build(stack);
    let element: CfnElement | undefined;
    if (target) {
      element = (target instanceof CfnElement ? target : target.node.defaultChild) as CfnElement | undefined;
      if (!element) throw new Error(`fragment "${fragment.title}": returned construct has no CloudFormation resource`);
    }
    return { fragment, stack, element };
  });
  const violations = synthGuardViolations(app);
  const templates = built.map(({ stack }) => path.join(app.outdir, stack.templateFile));
  const cli = runCfnGuard(templates);
  const cliBundle = runCfnGuard(templates, writeRulesBundle());
  return built.map(({ fragment, stack, element }) => ({
    fragment,
    template: stack.templateFile,
    // Resolved after synthesis: some logical IDs (API Gateway deployments) hash the final properties.
    expectedLogicalId: element ? stack.resolve(element.logicalId) : undefined,
    inProcess: violations.filter((v) => v.template === stack.templateFile && v.ruleId === fragment.rule),
    cli: cli.get(stack.templateFile) ?? new Set(),
    cliBundle: cliBundle.get(stack.templateFile) ?? new Set(),
  }));
}

/**
 * Assert a fragment's outcome: a failing fragment is flagged in-process on the expected resource
 * with the rule's id and message, and by cfn-guard; a passing one is flagged by neither. The Guard
 * hook's bundle must judge the template exactly as the rule files do.
 */
export function expectFragmentOutcome(outcome: FragmentOutcome): void {
  const { fragment } = outcome;
  expect([...outcome.cliBundle].sort()).toEqual([...outcome.cli].sort());
  if (fragment.expect === 'fail') {
    expect(outcome.inProcess.length).toBeGreaterThan(0);
    if (outcome.expectedLogicalId) {
      expect(outcome.inProcess.map((v) => v.logicalId)).toContain(outcome.expectedLogicalId);
    }
    for (const v of outcome.inProcess) {
      expect(v.description).toContain(`[${fragment.rule}]`);
      expect(v.description).toMatch(/Fix: /);
    }
    expect([...outcome.cli]).toContain(fragment.rule);
  } else {
    expect(outcome.inProcess).toEqual([]);
    expect([...outcome.cli]).not.toContain(fragment.rule);
  }
}

/** Every rule the fragments test must have a passing and a failing fragment. */
export function expectEveryRuleCovered(fragments: readonly GuardFragment[], rules: readonly string[]): void {
  for (const rule of rules) {
    const own = fragments.filter((f) => f.rule === rule);
    expect({ rule, pass: own.some((f) => f.expect === 'pass') }).toEqual({ rule, pass: true });
    expect({ rule, fail: own.some((f) => f.expect === 'fail') }).toEqual({ rule, fail: true });
  }
}

/** The ids of the rules declared in one rule file, e.g. `access.guard`. */
export function ruleIdsOf(file: string): string[] {
  const rule = loadGuardRules().find((r) => r.name === file);
  if (!rule) throw new Error(`no rule file ${file}`);
  return Array.from(rule.content.matchAll(/^rule\s+([A-Za-z0-9_]+)/gm), (m) => m[1]);
}

/**
 * The test suite of one rule file: every rule has a compliant and a non-compliant fragment, and
 * every fragment passes or fails as declared (all fragments synthesized in one batch).
 */
export function describeRuleFile(file: string, fragments: readonly GuardFragment[]): void {
  describe(file, () => {
    let outcomes: FragmentOutcome[];
    beforeAll(() => {
      outcomes = evaluateFragments(fragments);
    });

    test('every rule has a compliant and a non-compliant fragment', () => {
      expectEveryRuleCovered(fragments, ruleIdsOf(file));
    });

    test.each(fragments.map((f, i) => [f.rule, f.expect, f.title, i] as const))(
      '%s %s: %s',
      (_rule, _expect, _title, i) => {
        expectFragmentOutcome(outcomes[i]);
      },
    );
  });
}
