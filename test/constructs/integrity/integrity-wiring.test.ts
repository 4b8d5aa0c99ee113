/**
 * lib/integrity.ts: the model-integrity wiring of the reference app, synthesized as `npx cdk synth`
 * does (every cdk-nag pack and the built-in CloudFormation validator, findings as errors), and the
 * validation of its configuration.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { PlatformConfig } from '../../../lib/config/platform-config';
import { validateModelIntegrityConfig } from '../../../lib/integrity';
import { buildPlatform } from '../../../lib/platform-app';
import { registerValidations } from '../../../lib/validation/register-validations';
import { CDK_CONTEXT } from '../../helpers/stacks';

/** The reference app (lib/platform-app.ts buildPlatform), synthesized with every validator on. */
function synthReferenceApp(config: PlatformConfig) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-integrity-'));
  const app = new App({ outdir, context: CDK_CONTEXT });
  const { integrity } = buildPlatform(app, config);
  registerValidations(app);
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'true';
  try {
    app.synth();
  } finally {
    process.env.CDK_VALIDATION = previous;
  }
  const template = (name: string) =>
    JSON.parse(fs.readFileSync(path.join(outdir, `${config.platformName}-${name}.template.json`), 'utf8'));
  const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
  return { template, report, integrity };
}

describe('addModelIntegrity in the reference app', () => {
  let platform: any;
  let audit: any;
  let report: any;

  beforeAll(() => {
    const result = synthReferenceApp(DEFAULT_PLATFORM_CONFIG);
    platform = result.template('platform');
    audit = result.template('audit');
    report = result.report;
  });

  const resources = (t: any, type: string) =>
    Object.entries(t.Resources as Record<string, any>).filter(([, r]) => r.Type === type);

  test('synthesizes with no unacknowledged finding from any pack or the CloudFormation validator', () => {
    for (const plugin of report.pluginReports) {
      expect({ plugin: plugin.pluginName, violations: plugin.violations }).toEqual({
        plugin: plugin.pluginName,
        violations: [],
      });
    }
  });

  test('adds 13 acknowledgements, each on a model-integrity construct or the boundary it raises', () => {
    const all = report.pluginReports.flatMap((p: any) => p.suppressedViolations ?? []);
    const acks = all.filter((a: any) =>
      /ModelAdmission|ModelSign|PermissionsBoundary.*(approved|key\/\*)/.test(
        `${a.acknowledgedAt} ${a.acknowledgedId}`,
      ),
    );
    const distinct = new Set(acks.map((a: any) => `${a.acknowledgedId}@${a.acknowledgedAt}`));
    expect(distinct.size).toBe(13);
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(40);
    // The trigger is EventBridge: CDK's bucket-notifications function and its acknowledgements are gone.
    expect(
      all.filter((a: any) => /BucketNotificationsHandler|Notifications\/HandlerPolicy/.test(a.acknowledgedAt)),
    ).toEqual([]);
  });

  test('the gate is triggered through EventBridge: the models bucket’s own switch, a rule, no custom resource', () => {
    expect(resources(platform, 'Custom::S3BucketNotifications')).toEqual([]);
    expect(Object.keys(platform.Resources).filter((id) => id.startsWith('BucketNotificationsHandler'))).toEqual([]);
    const [[modelsBucket, bucket]] = resources(platform, 'AWS::S3::Bucket').filter(([id]) =>
      id.startsWith('ModelsBucket'),
    );
    expect(bucket.Properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    const rules = resources(platform, 'AWS::Events::Rule').filter(([id]) => id.startsWith('ModelAdmissionTrigger'));
    expect(rules).toHaveLength(1);
    const [[ruleId, rule]] = rules;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: modelsBucket }] }, object: { key: [{ wildcard: 'incoming/*bundle.json' }] } },
    });
    const [[functionId]] = resources(platform, 'AWS::Lambda::Function').filter(([id]) =>
      id.startsWith('ModelAdmissionFunction'),
    );
    expect(
      resources(platform, 'AWS::Lambda::Permission')
        .map(([, r]) => r.Properties)
        .filter((p) => p.FunctionName['Fn::GetAtt']?.[0] === functionId),
    ).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      },
    ]);
  });

  test('the release role’s wildcards (incoming/ objects, ECR login) and the opt-in concurrency are acknowledged on exactly their constructs', () => {
    const acks = new Set(
      report.pluginReports
        .flatMap((p: any) => p.suppressedViolations ?? [])
        .filter((a: any) => /ModelSigner\/|ModelAdmission\/Function$/.test(a.acknowledgedAt))
        .map((a: any) => `${a.acknowledgedId} @ ${a.acknowledgedAt}`),
    );
    const [[modelsBucket]] = resources(platform, 'AWS::S3::Bucket').filter(([id]) => id.startsWith('ModelsBucket'));
    expect([...acks].sort()).toEqual(
      [
        `AwsSolutions::AwsSolutions-IAM5[Resource::<${modelsBucket}.Arn>/incoming/*] @ ztai-platform/ModelSigner/Policy/Resource`,
        'AwsSolutions::AwsSolutions-IAM5[Resource::*] @ ztai-platform/ModelSigner/Policy/Resource',
        'HIPAA.Security::HIPAA.Security-LambdaConcurrency @ ztai-platform/ModelAdmission/Function',
        'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency @ ztai-platform/ModelAdmission/Function',
      ].sort(),
    );
  });

  test('the release role has its fixed name and path from lib/config/names.ts', () => {
    const roles = resources(platform, 'AWS::IAM::Role').filter(([id]) => id.startsWith('ModelSigner'));
    expect(roles).toHaveLength(1);
    expect(roles[0][1].Properties).toMatchObject({ RoleName: 'ztai-model-release', Path: '/ztai/model-signer/' });
  });

  test('the signing key lives in the platform stack, with its alias', () => {
    expect(
      resources(platform, 'AWS::KMS::Key').filter(([, r]) => r.Properties.KeySpec === 'ECC_NIST_P256'),
    ).toHaveLength(1);
    expect(resources(platform, 'AWS::KMS::Alias').map(([, r]) => r.Properties.AliasName)).toContain(
      'alias/ztai/model-signing',
    );
  });

  test('the boundary admits signing-key use by alias only, approved/ deletes and the dead-letter queue', () => {
    const [[, boundary]] = resources(platform, 'AWS::IAM::ManagedPolicy').filter(
      ([, r]) => r.Properties.ManagedPolicyName === 'ztai-platform-boundary',
    );
    const bySid = (sid: string) => boundary.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === sid);
    expect(bySid('KeysByAlias')).toMatchObject({
      Action: ['kms:GetPublicKey', 'kms:Sign', 'kms:Verify'],
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/ztai/model-signing' } },
    });
    expect(bySid('ModelAdmissionCleanup')).toMatchObject({ Action: 's3:DeleteObject' });
    expect(JSON.stringify(bySid('ModelAdmissionCleanup').Resource)).toContain('/approved/*');
    expect(bySid('ModelAdmissionDeadLetters')).toMatchObject({ Action: 'sqs:SendMessage' });
  });

  test('the audit alarm on approved/ writes exempts the admission role by its name-built ARN (no cross-stack export)', () => {
    const filters = resources(audit, 'AWS::Logs::MetricFilter').map(([, r]) =>
      JSON.stringify(r.Properties.FilterPattern),
    );
    const approved = filters.find((p) => p.includes('approved/'));
    expect(approved).toContain('model-admission');
    // The admission role is never exported: the audit stack names it by its ARN.
    expect(JSON.stringify(platform.Outputs ?? {})).not.toMatch(/ModelAdmissionRole/);
  });

  test('the admission role is named per region under the platform path', () => {
    const [[, role]] = resources(platform, 'AWS::IAM::Role').filter(([id]) => id.startsWith('ModelAdmissionRole'));
    expect(role.Properties.Path).toBe('/ztai/model-admission/');
    expect(JSON.stringify(role.Properties.RoleName)).toContain('ztai-model-admission-');
    expect(JSON.stringify(role.Properties.RoleName)).toContain('AWS::Region');
  });
});

describe('validateModelIntegrityConfig', () => {
  test('absent or valid: no problem', () => {
    expect(validateModelIntegrityConfig(undefined)).toEqual([]);
    expect(
      validateModelIntegrityConfig({
        signerPrincipalArns: ['arn:aws:iam::111122223333:role/release/*'],
        verifierRoleArns: ['arn:aws:iam::111122223333:role/model-verifier'],
        allowBundlesWithoutSubject: false,
      }),
    ).toEqual([]);
  });

  test('every problem, with field, value and what is allowed', () => {
    expect(
      validateModelIntegrityConfig({
        signerPrincipalArns: ['arn:aws:iam::111122223333:role/*', 7],
        verifierRoleArns: [],
        allowBundlesWithoutSubject: 'yes',
        signers: [],
      }),
    ).toEqual([
      'modelIntegrity.signers: unknown field; allowed fields of modelIntegrity: signerPrincipalArns, verifierRoleArns, allowBundlesWithoutSubject',
      "modelIntegrity.signerPrincipalArns[0]: must be an IAM role or user ARN of the account, optionally ending in '*' after a path (e.g. 'arn:aws:iam::111122223333:role/release/*'), got 'arn:aws:iam::111122223333:role/*'",
      "modelIntegrity.signerPrincipalArns[1]: must be an IAM role or user ARN of the account, optionally ending in '*' after a path (e.g. 'arn:aws:iam::111122223333:role/release/*'), got 7",
      "modelIntegrity.verifierRoleArns: must be a non-empty list of an IAM role ARN without wildcards (e.g. 'arn:aws:iam::111122223333:role/model-verifier'), got []",
      "modelIntegrity.allowBundlesWithoutSubject: must be true or false, got 'yes'",
    ]);
  });

  test('not an object', () => {
    expect(validateModelIntegrityConfig([])).toEqual(['modelIntegrity: must be an object, got []']);
    expect(validateModelIntegrityConfig(null, 'integrity')).toEqual(['integrity: must be an object, got null']);
  });

  test('a wildcard verifier is refused', () => {
    expect(validateModelIntegrityConfig({ verifierRoleArns: ['arn:aws:iam::111122223333:role/*'] })).toHaveLength(1);
  });
});
