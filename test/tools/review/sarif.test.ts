import * as path from 'path';
import { CloudFormationValidatePlugin, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadAssembly } from '../../../tools/review/assembly';
import { SarifLog, toSarif } from '../../../tools/review/sarif';
import { ENV, synthApp } from './helpers';
import { sarifSchemaPath, sarifValidator } from './sarif-schema';

const GUARD_RULES = `
let buckets = Resources.*[ Type == 'AWS::S3::Bucket' ]
rule zt_bucket_versioned when %buckets !empty {
  %buckets.Properties.VersioningConfiguration exists
  <<Buckets keep every version (zero-trust governance)>>
}
`;

/** An app with one cdk-nag pack, the CloudFormation validator with a Guard rule, and one acknowledgement. */
function assemblyWithFindings(): string {
  return synthApp((app) => {
    Validations.of(app).addPlugins(
      new AwsSolutionsChecks(app),
      new CloudFormationValidatePlugin({
        guardRules: [{ name: 'zero-trust', content: GUARD_RULES }],
        includeDefaultRules: false,
      }),
    );
    const stack = new Stack(app, 'Data', { env: ENV });
    const bucket = new s3.Bucket(stack, 'Bucket');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    bucket.grantRead(role, 'a/*');
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'Access logs go to the audit account.',
    });
  });
}

describe('toSarif', () => {
  let log: SarifLog;
  let previousValidation: string | undefined;
  beforeAll(() => {
    // The explicitly registered CloudFormation validator is what the test is about.
    previousValidation = process.env.CDK_VALIDATION;
    delete process.env.CDK_VALIDATION;
    try {
      log = toSarif(loadAssembly(assemblyWithFindings()));
    } finally {
      if (previousValidation !== undefined) process.env.CDK_VALIDATION = previousValidation;
    }
  });

  test('validates against the SARIF 2.1.0 schema', () => {
    const validate = sarifValidator(sarifSchemaPath());
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('negative control: the schema validator rejects a malformed log', () => {
    const validate = sarifValidator(sarifSchemaPath());
    const broken = JSON.parse(JSON.stringify(log)) as { runs: Array<{ results: Array<Record<string, unknown>> }> };
    broken.runs[0].results[0].level = 'fatal';
    expect(validate(broken)).toBe(false);
    expect(validate({ version: '2.0.0', runs: [] })).toBe(false);
  });

  test('one run per plugin: the nag pack and the CloudFormation validator with its Guard rule', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.runs.map((r) => r.tool.driver.name)).toEqual(['AwsSolutions', 'CloudFormation Validate']);
    const guard = log.runs[1];
    expect(guard.tool.driver.rules.map((r) => r.id)).toEqual(['zt_bucket_versioned']);
    expect(guard.tool.driver.rules[0]).toMatchObject({
      fullDescription: { text: 'Buckets keep every version (zero-trust governance)' },
      help: { text: expect.stringContaining("rule set 'zero_trust'") },
      defaultConfiguration: { level: 'warning' },
      properties: { area: 'governance' },
    });
    expect(guard.results).toHaveLength(1);
    expect(guard.results[0]).toMatchObject({ ruleId: 'zt_bucket_versioned', ruleIndex: 0, level: 'warning' });
  });

  test('rule metadata: ids without the evidence suffix, descriptions, help and default level', () => {
    const nag = log.runs[0];
    const ids = nag.tool.driver.rules.map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['AwsSolutions-IAM5', 'AwsSolutions-S1', 'AwsSolutions-S10']));
    expect(ids.every((id) => !id.includes('['))).toBe(true);
    const iam5 = nag.tool.driver.rules.find((r) => r.id === 'AwsSolutions-IAM5')!;
    expect(iam5).toMatchObject({
      shortDescription: { text: expect.stringContaining('wildcard permissions') },
      helpUri: 'https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#awssolutions',
      defaultConfiguration: { level: 'error' },
      properties: { area: 'access controls' },
    });
    for (const result of nag.results) expect(nag.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
  });

  test('results carry the construct path and the file and line of the code that created the construct', () => {
    const s10 = log.runs[0].results.find((r) => r.ruleId === 'AwsSolutions-S10')!;
    expect(s10.level).toBe('error');
    expect(s10.locations[0].logicalLocations).toEqual([
      { fullyQualifiedName: 'Data/Bucket/Resource', name: 'Resource', kind: 'resource' },
    ]);
    expect(s10.locations[0].physicalLocation).toEqual({
      artifactLocation: {
        uri: path.relative(process.cwd(), __filename).split(path.sep).join('/'),
        uriBaseId: '%SRCROOT%',
      },
      region: { startLine: expect.any(Number), startColumn: expect.any(Number) },
    });
    const iam5 = log.runs[0].results.filter((r) => r.ruleId === 'AwsSolutions-IAM5');
    expect(iam5.length).toBeGreaterThan(1);
    expect(new Set(iam5.map((r) => r.partialFingerprints['ztaiFinding/v1'])).size).toBe(iam5.length);
    expect(iam5.map((r) => r.properties.findingId)).toContain('AwsSolutions-IAM5[Resource::<Bucket83908E77.Arn>/a/*]');
  });

  test('acknowledged findings are results with an inSource suppression and the reason', () => {
    const s1 = log.runs[0].results.filter((r) => r.ruleId === 'AwsSolutions-S1');
    expect(s1).toHaveLength(1);
    expect(s1[0].suppressions).toEqual([
      expect.objectContaining({
        kind: 'inSource',
        status: 'accepted',
        justification: 'Access logs go to the audit account.',
      }),
    ]);
    expect(s1[0].suppressions![0].location?.logicalLocations?.[0].fullyQualifiedName).toBe('Data/Bucket');
    const open = log.runs[0].results.filter((r) => r.ruleId !== 'AwsSolutions-S1');
    expect(open.every((r) => r.suppressions === undefined)).toBe(true);
  });

  test('an assembly without a validation report gives a valid log with no runs', () => {
    const dir = synthApp((app) => {
      new s3.Bucket(new Stack(app, 'Plain', { env: ENV }), 'B');
    });
    const empty = toSarif(loadAssembly(dir));
    expect(empty.runs).toEqual([]);
    expect(sarifValidator(sarifSchemaPath())(empty)).toBe(true);
  });
});
