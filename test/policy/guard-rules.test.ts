import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CloudFormationValidatePlugin, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  bundleGuardRules,
  GUARD_ACKNOWLEDGEMENT_PREFIX,
  GUARD_RULE_FILES,
  GUARD_RULES_DIRECTORY,
  guardRuleIds,
  guardRulesPlugin,
  loadGuardRules,
} from '../../lib/validation/guard-rules';
import { appContext, guardOnlyPlugin, runCfnGuard, writeRulesBundle } from '../helpers/guard';

/** Hand-written templates that trip every area at once, to compare engines and the hook bundle. */
const TEMPLATES: Record<string, object> = {
  mixed: {
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          MaxSessionDuration: 7200,
          AssumeRolePolicyDocument: {
            Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
          },
          Policies: [
            { PolicyName: 'p', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
          ],
        },
      },
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
      Igw: { Type: 'AWS::EC2::InternetGateway', Properties: {} },
      Route: {
        Type: 'AWS::EC2::Route',
        Properties: { RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'Igw' } },
      },
      Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
      Key: { Type: 'AWS::KMS::Key', Properties: {} },
      Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: 'abc', DeploymentId: 'def' } },
    },
  },
  compliantKey: {
    Resources: {
      Key: {
        Type: 'AWS::KMS::Key',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: { EnableKeyRotation: true },
      },
    },
  },
  hookResourceShape: {
    HookContext: { TargetType: 'RESOURCE' },
    Resources: { Bucket: { ResourceType: 'AWS::S3::Bucket', ResourceProperties: {} } },
  },
};

function writeTemplates(): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-guard-templates-'));
  return Object.entries(TEMPLATES).map(([name, body]) => {
    const file = path.join(dir, `${name}.template.json`);
    fs.writeFileSync(file, JSON.stringify(body, undefined, 2));
    return file;
  });
}

/** The rule blocks of a file: from one `rule NAME` line to the next. */
function ruleBlocks(content: string): Array<{ id: string; body: string }> {
  const starts = Array.from(content.matchAll(/^rule\s+([A-Za-z0-9_]+)/gm));
  return starts.map((m, i) => ({ id: m[1], body: content.slice(m.index, starts[i + 1]?.index ?? content.length) }));
}

describe('loadGuardRules', () => {
  test('loads the seven area files in order', () => {
    const rules = loadGuardRules();
    expect(rules.map((r) => r.name)).toEqual([
      'access.guard',
      'workload-isolation.guard',
      'encryption.guard',
      'governance.guard',
      'threat-monitoring.guard',
      'vector-store.guard',
      'genai.guard',
    ]);
    expect(rules.every((r) => r.content.includes('rule ZTAI_'))).toBe(true);
  });

  test('the directory holds no rule file the loader would skip', () => {
    const onDisk = fs.readdirSync(GUARD_RULES_DIRECTORY).filter((f) => f.endsWith('.guard'));
    expect(onDisk.sort()).toEqual([...GUARD_RULE_FILES].sort());
  });

  test('a missing rule file is an error, not a silently smaller policy', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-guard-partial-'));
    fs.copyFileSync(path.join(GUARD_RULES_DIRECTORY, 'access.guard'), path.join(dir, 'access.guard'));
    expect(() => loadGuardRules(dir)).toThrow(/workload-isolation\.guard not found/);
  });

  test('an empty rule file is an error', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-guard-empty-'));
    for (const f of GUARD_RULE_FILES)
      fs.writeFileSync(path.join(dir, f), f === 'encryption.guard' ? '\n' : 'rule X { }\n');
    expect(() => loadGuardRules(dir)).toThrow(/encryption\.guard is empty/);
  });
});

describe('rule files', () => {
  const rules = loadGuardRules();

  test('rule ids are unique and carry the ZTAI_ prefix', () => {
    const ids = guardRuleIds(rules);
    expect(ids.length).toBeGreaterThanOrEqual(36);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^ZTAI_(ACCESS|ISOLATION|ENCRYPTION|GOVERNANCE|THREAT)_[A-Z0-9_]+$/);
  });

  test.each(rules.map((r) => [r.name, r.content] as const))(
    '%s: every message names its rule and says how to fix',
    (_n, content) => {
      for (const { id, body } of ruleBlocks(content)) {
        const messages = Array.from(body.matchAll(/<<([^>]*)>>/g), (m) => m[1].trim());
        expect({ id, messages: messages.length > 0 }).toEqual({ id, messages: true });
        for (const message of messages) {
          expect(message.startsWith(`[${id}] `)).toBe(true);
          expect(message).toMatch(/ Fix: /);
        }
      }
    },
  );

  test.each(rules.map((r) => [r.name, r.content] as const))('%s: no rule names a logical ID', (_n, content) => {
    const code = content.replace(/^\s*#.*$/gm, '');
    // Resources may only be followed by a wildcard, a filter or an interpolated variable.
    expect(code).not.toMatch(/Resources\.(?![*%])/);
  });
});

describe('bundleGuardRules', () => {
  test('holds every rule of every file, each file under its header, without comments', () => {
    const bundle = bundleGuardRules();
    const headers = Array.from(bundle.matchAll(/^# ---- (.+) ----$/gm), (m) => m[1]);
    expect(headers).toEqual([...GUARD_RULE_FILES]);
    expect(guardRuleIds([{ name: 'bundle.guard', content: bundle }])).toEqual(guardRuleIds());
    expect(bundle.split('\n').filter((l) => l.trim().startsWith('#') && !l.startsWith('# ---- '))).toEqual([]);
  });
});

describe('standalone cfn-guard', () => {
  test('agrees with the in-process engine, and the hook bundle with the files', () => {
    const templates = writeTemplates();
    const files = runCfnGuard(templates);
    const bundled = runCfnGuard(templates, writeRulesBundle());
    expect(bundled).toEqual(files);

    const report = guardOnlyPlugin().validate({
      templatePaths: templates,
      stackTemplates: templates.map((t) => ({
        stackConstructPath: path.basename(t),
        templatePath: t,
        accountId: undefined,
        region: undefined,
      })),
      appConstruct: new App(),
    });
    const inProcess = new Map<string, Set<string>>(templates.map((t) => [path.basename(t), new Set<string>()]));
    for (const v of report.violations.filter((x) => x.ruleName.startsWith('ZTAI_'))) {
      for (const r of v.violatingResources) {
        const found = inProcess.get(path.basename(r.templatePath ?? '(no template)'));
        if (!found) throw new Error(`finding ${v.ruleName} names no known template: ${r.templatePath}`);
        found.add(v.ruleName);
      }
    }
    expect(inProcess).toEqual(files);

    expect([...files.get('mixed.template.json')!].sort()).toEqual(
      [
        'ZTAI_ACCESS_NO_WILDCARD_ACTION',
        'ZTAI_ACCESS_ROLE_BOUNDARY',
        'ZTAI_ACCESS_ROLE_SESSION_DURATION',
        'ZTAI_ACCESS_TRUST_SOURCE_ACCOUNT',
        'ZTAI_ENCRYPTION_KMS_ROTATION',
        'ZTAI_ENCRYPTION_S3_KMS',
        'ZTAI_ENCRYPTION_S3_TLS',
        'ZTAI_GOVERNANCE_BUCKET_RETAINED',
        'ZTAI_GOVERNANCE_KEY_RETAINED',
        'ZTAI_GOVERNANCE_VPC_FLOW_LOGS',
        'ZTAI_ISOLATION_NO_DEFAULT_ROUTE',
        'ZTAI_ISOLATION_NO_INTERNET_GATEWAY',
        'ZTAI_THREAT_API_STAGE_THROTTLING',
        'ZTAI_THREAT_API_STAGE_WAF',
      ].sort(),
    );
    expect([...files.get('compliantKey.template.json')!]).toEqual([]);
    expect([...files.get('hookResourceShape.template.json')!]).toEqual(['ZTAI_GOVERNANCE_TEMPLATE_INPUT']);
  });
});

describe('guardRulesPlugin', () => {
  function appWithOpenBucket(plugin: CloudFormationValidatePlugin): { app: App; bucket: s3.Bucket } {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-guard-app-')), context: appContext() });
    Validations.of(app).addPlugins(plugin);
    const stack = new Stack(app, 'Store');
    const bucket = new s3.Bucket(stack, 'Data', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    return { app, bucket };
  }

  test('is the built-in validator with the platform rules, default rules kept', () => {
    const plugin = guardRulesPlugin();
    expect(plugin).toBeInstanceOf(CloudFormationValidatePlugin);
    expect(plugin.name).toBe(CloudFormationValidatePlugin.PLUGIN_NAME);
  });

  test('a violated rule fails synth with the rule id and its message', () => {
    const { app } = appWithOpenBucket(guardRulesPlugin());
    expect(() => app.synth()).toThrow(/ZTAI_ENCRYPTION_S3_KMS/);
    expect(() => app.synth()).toThrow(/\[ZTAI_ENCRYPTION_S3_KMS\] Bucket is not encrypted with SSE-KMS/);
  });

  test('a finding can be acknowledged on the exact construct, by namespaced id', () => {
    const { app, bucket } = appWithOpenBucket(guardRulesPlugin({ includeDefaultRules: false }));
    Validations.of(bucket).acknowledge({
      id: `${GUARD_ACKNOWLEDGEMENT_PREFIX}ZTAI_ENCRYPTION_S3_KMS`,
      reason: 'Test: the acknowledgement id the CDK gives our rules.',
    });
    expect(() => app.synth()).not.toThrow();
  });
});
