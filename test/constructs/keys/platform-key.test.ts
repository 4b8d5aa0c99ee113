import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { KeyUsageService, PlatformKey, PlatformKeys } from '../../../constructs';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newStack, resourcesOfType } from '../../helpers/stacks';

const ADMIN_ONLY = ['kms:Create*', 'kms:ScheduleKeyDeletion', 'kms:Put*'];
const USE = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*'];

describe('PlatformKey with no props', () => {
  const { stack } = newStack();
  new PlatformKey(stack, 'Key');
  const template = Template.fromStack(stack);
  const [, key] = resourcesOfType(template.toJSON(), 'AWS::KMS::Key')[0];
  const statements: any[] = key.Properties!.KeyPolicy.Statement;

  test('rotates, waits the longest pending window and is retained', () => {
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true, PendingWindowInDays: 30 });
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.UpdateReplacePolicy).toBe('Retain');
  });

  test('separates administration from use', () => {
    const admin = statements.find((s) => s.Sid === 'KeyAdministration');
    const use = statements.find((s) => s.Sid === 'KeyUseThroughNamedServices');
    for (const action of USE) expect(admin.Action).not.toContain(action);
    for (const action of ADMIN_ONLY) expect(use.Action).not.toContain(action);
    expect(admin.Action).toEqual(expect.arrayContaining(ADMIN_ONLY));
  });

  test('narrows use to this account, through S3 only', () => {
    const use = statements.find((s) => s.Sid === 'KeyUseThroughNamedServices');
    expect(use.Condition.StringEquals['kms:CallerAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(use.Condition.StringEquals['kms:ViaService']).toEqual([
      { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
    ]);
    const grants = statements.find((s) => s.Sid === 'GrantsForAwsManagedResources');
    expect(grants.Condition.Bool).toEqual({ 'kms:GrantIsForAWSResource': 'true' });
  });

  test('gives no statement to any principal outside this account, and none to CloudWatch Logs unless asked', () => {
    for (const s of statements) {
      expect(JSON.stringify(s.Principal)).not.toContain('"*"');
    }
    expect(statements.find((s) => s.Sid === 'CloudWatchLogsForThisAccount')).toBeUndefined();
  });

  test('passes every cdk-nag pack', () => {
    expect(describeFindings(nagFindings(stack))).toBe('');
  });
});

describe('PlatformKey options', () => {
  test('CloudWatch Logs use is scoped by the log-group encryption context of this account and region', () => {
    const { stack } = newStack();
    new PlatformKey(stack, 'Key', { allowCloudWatchLogs: true, usageServices: [] });
    const statements: any[] = resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::KMS::Key')[0][1].Properties!
      .KeyPolicy.Statement;
    const logs = statements.find((s) => s.Sid === 'CloudWatchLogsForThisAccount');
    expect(JSON.stringify(logs.Principal)).toContain('logs.');
    expect(JSON.stringify(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toContain(':log-group:*');
    expect(statements.find((s) => s.Sid === 'KeyUseThroughNamedServices')).toBeUndefined();
  });

  test('named admins replace the account as administrators', () => {
    const { stack } = newStack();
    const admin = new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() });
    new PlatformKey(stack, 'Key', { admins: [admin] });
    const statements: any[] = resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::KMS::Key')[0][1].Properties!
      .KeyPolicy.Statement;
    expect(statements.find((s) => s.Sid === 'KeyAdministration').Principal.AWS).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^Admin/), 'Arn'],
    });
  });

  test('PlatformKeys creates one key per domain with its alias', () => {
    const { stack } = newStack();
    const keys = new PlatformKeys(stack, 'Keys', { aliasPrefix: 'acme' });
    expect(keys.all).toHaveLength(4);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 4);
    for (const domain of ['data', 'models', 'logs', 'audit']) {
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/acme/${domain}` });
    }
  });

  test('negative control: turning rotation off through the L1 makes the nag packs fire', () => {
    const { stack } = newStack();
    const key = new PlatformKey(stack, 'Key');
    (key.key.node.defaultChild as kms.CfnKey).enableKeyRotation = false;
    const rules = nagFindings(stack).map((f) => f.rule);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-KMS5', 'NIST.800.53.R5-KMSBackingKeyRotationEnabled']));
  });
});

describe('PlatformKey rejects bad input', () => {
  test('a key nobody may use', () => {
    const { stack } = newStack();
    expect(() => new PlatformKey(stack, 'Key', { usageServices: [] })).toThrow(
      /usageServices must name at least one service .* got \[\]/,
    );
  });
  test('no administrators', () => {
    const { stack } = newStack();
    expect(() => new PlatformKey(stack, 'Key', { admins: [] })).toThrow(
      /admins must name at least one principal, got \[\]/,
    );
  });
  test('a malformed service prefix', () => {
    expect(() => KeyUsageService.of('S3 bucket')).toThrow(
      /servicePrefix must be an AWS service endpoint prefix .* got 'S3 bucket'/,
    );
  });
  test('a service principal statement without conditions', () => {
    const { stack } = newStack();
    const key = new PlatformKey(stack, 'Key');
    expect(() => key.allowServicePrincipal('cloudtrail.amazonaws.com', ['kms:GenerateDataKey*'], {})).toThrow(
      /conditions must narrow the service to this platform/,
    );
  });
});
