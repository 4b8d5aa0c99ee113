import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { KeyUsageService, PlatformKey, PlatformKeys } from '../../../constructs';
import * as perms from '../../../constructs/private/perms';
import { ACCOUNT, CfnResolver, evaluate, REGION, RoleUnderTest } from '../../helpers/iam-eval';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newStack, resourcesOfType } from '../../helpers/stacks';

const ADMIN_ONLY = ['kms:CreateAlias', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy'];
const USE = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*'];

describe('PlatformKey with no props', () => {
  const { stack } = newStack();
  new PlatformKey(stack, 'Key');
  const template = Template.fromStack(stack);
  const [, key] = resourcesOfType(template.toJSON(), 'AWS::KMS::Key')[0];
  const statements: any[] = key.Properties!.KeyPolicy.Statement;

  test('rotates, waits the longest pending window and is retained (except when its own create rolls back)', () => {
    expect(key.Properties).toMatchObject({ EnableKeyRotation: true, PendingWindowInDays: 30 });
    expect(key.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(key.UpdateReplacePolicy).toBe('Retain');
  });

  test('administration is an explicit list: no wildcard, no grant, no cryptographic use', () => {
    const admin = statements.find((s) => s.Sid === 'KeyAdministration');
    expect(admin.Action).toEqual(perms.KEY_ADMIN);
    for (const action of admin.Action) expect(action).toMatch(/^kms:[A-Za-z]+$/);
    for (const forbidden of ['kms:CreateGrant', 'kms:GetPublicKey', 'kms:Decrypt', 'kms:Sign', 'kms:ReplicateKey']) {
      expect(admin.Action).not.toContain(forbidden);
    }
    // Nowhere in the key policy: kms:Create*, kms:Get*, kms:* or any other administration wildcard.
    const all = statements.flatMap((s) => [s.Action].flat());
    expect(
      all.filter((a: string) => a.endsWith('*') && !['kms:ReEncrypt*', 'kms:GenerateDataKey*'].includes(a)),
    ).toEqual([]);
    // CreateGrant appears once: for AWS resources only.
    const grants = statements.filter((s) => [s.Action].flat().includes('kms:CreateGrant'));
    expect(grants.map((s) => s.Sid)).toEqual(['GrantsForAwsManagedResources']);
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

describe('PlatformKey policy, evaluated as KMS evaluates it', () => {
  let keyPolicy: unknown;
  let keyArn: string;
  // An administrator of the account whose own policy allows every KMS action: the key policy decides.
  const admin: RoleUnderTest = {
    roleArn: `arn:aws:iam::${ACCOUNT}:role/key-admin`,
    identityPolicies: [
      {
        name: 'AllKms',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] },
      },
    ],
    tags: {},
  };
  const s3 = `s3.${REGION}.amazonaws.com`;
  const call = (action: string, context: Record<string, string> = {}) =>
    evaluate({
      role: admin,
      action,
      resourceArn: keyArn,
      resourcePolicy: keyPolicy,
      context: { 'kms:CallerAccount': ACCOUNT, ...context },
    });

  beforeAll(() => {
    const { app, stack } = newStack();
    new PlatformKey(stack, 'Key');
    const resolver = new CfnResolver(app);
    const [keyId] = resolver.find('Test', 'AWS::KMS::Key', 'Key');
    keyPolicy = resolver.resolve('Test', resolver.template('Test').Resources[keyId].Properties!.KeyPolicy);
    keyArn = resolver.resolve('Test', { 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  test('an account principal cannot create a grant for itself (no kms:GrantIsForAWSResource)', async () => {
    await expect(call('kms:CreateGrant')).resolves.not.toBe('Allowed');
    await expect(
      call('kms:CreateGrant', { 'kms:GrantIsForAWSResource': 'false', 'kms:ViaService': s3 }),
    ).resolves.not.toBe('Allowed');
  });

  test('an AWS service creates a grant for a resource it manages for the account, through a named service', async () => {
    await expect(call('kms:CreateGrant', { 'kms:GrantIsForAWSResource': 'true', 'kms:ViaService': s3 })).resolves.toBe(
      'Allowed',
    );
    await expect(
      call('kms:CreateGrant', { 'kms:GrantIsForAWSResource': 'true', 'kms:ViaService': `ec2.${REGION}.amazonaws.com` }),
    ).resolves.not.toBe('Allowed');
  });

  test('administration stays with the account (IAM decides who): policy, tags, rotation, deletion', async () => {
    for (const action of ['kms:PutKeyPolicy', 'kms:TagResource', 'kms:EnableKeyRotation', 'kms:ScheduleKeyDeletion']) {
      await expect(call(action)).resolves.toBe('Allowed');
    }
  });

  test('administration is not use: no decrypt or public key outside a named service', async () => {
    await expect(call('kms:Decrypt')).resolves.not.toBe('Allowed');
    await expect(call('kms:GetPublicKey')).resolves.not.toBe('Allowed');
    await expect(call('kms:Decrypt', { 'kms:ViaService': s3 })).resolves.toBe('Allowed');
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
