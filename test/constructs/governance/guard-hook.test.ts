import * as path from 'path';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { FailureMode, GuardHook, GuardHookProps } from '../../../constructs/governance';
import { guardRuleIds, loadGuardRules } from '../../../lib/validation/guard-rules';
import { newGuardApp, runCfnGuard, synthGuardViolations } from '../../helpers/guard';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp } from '../../helpers/stacks';

const RULES = loadGuardRules();
const BOUNDARY_ARN = 'arn:aws:iam::111122223333:policy/ztai-permissions-boundary';

function hookStack(props: Partial<GuardHookProps> = {}, app: App = newApp()): { stack: Stack; hook: GuardHook } {
  const stack = new Stack(app, 'Governance');
  const hook = new GuardHook(stack, 'GuardHook', { rules: RULES, ...props });
  return { stack, hook };
}

/** What the platform's aspect does to every role: the permissions boundary. */
function applyBoundary(stack: Stack): void {
  iam.PermissionsBoundary.of(stack).apply(iam.ManagedPolicy.fromManagedPolicyArn(stack, 'Boundary', BOUNDARY_ARN));
}

function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

/** The statements of the managed policy attached to a role. */
function managedPolicyStatements(template: Template, roleLogicalId: string): any[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy', {
    Properties: { Roles: [{ Ref: roleLogicalId }] },
  });
  expect(Object.keys(policies)).toHaveLength(1);
  return Object.values<any>(policies)[0].Properties.PolicyDocument.Statement;
}

/** The putObject call of the upload custom resource, with every token replaced by a placeholder. */
function uploadCall(template: Template): any {
  const uploads = Object.values<any>(template.findResources('Custom::AWS'));
  expect(uploads).toHaveLength(1);
  expect(uploads[0].Properties.Update).toEqual(uploads[0].Properties.Create);
  const call = uploads[0].Properties.Create;
  const text =
    typeof call === 'string'
      ? call
      : call['Fn::Join'][1].map((part: unknown) => (typeof part === 'string' ? part : '<token>')).join('');
  return JSON.parse(text);
}

describe('GuardHook', () => {
  describe('defaults', () => {
    const { stack, hook } = hookStack();
    const template = Template.fromStack(stack);
    const roleId = logicalIdOf(stack, hook.executionRole);
    const bucketId = stack.getLogicalId(hook.rulesBucket.node.defaultChild as never);
    const keyId = stack.getLogicalId(hook.encryptionKey.node.defaultChild as never);

    test('one Guard hook on STACK create and update, failing closed', () => {
      template.resourceCountIs('AWS::CloudFormation::GuardHook', 1);
      template.hasResourceProperties('AWS::CloudFormation::GuardHook', {
        Alias: 'Private::Guard::ZeroTrustAiPolicy',
        FailureMode: 'FAIL',
        HookStatus: 'ENABLED',
        TargetOperations: ['STACK'],
        TargetFilters: { Actions: ['CREATE', 'UPDATE'] },
        ExecutionRole: { 'Fn::GetAtt': [roleId, 'Arn'] },
        LogBucket: Match.absent(),
        StackFilters: Match.absent(),
      });
    });

    test('reads the uploaded rules object at the version the upload wrote', () => {
      const uploadId = Object.keys(template.findResources('Custom::AWS'))[0];
      template.hasResourceProperties('AWS::CloudFormation::GuardHook', {
        RuleLocation: {
          Uri: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, `/${hook.rulesObjectKey}`]] },
          VersionId: { 'Fn::GetAtt': [uploadId, 'VersionId'] },
        },
      });
      expect(hook.rulesObjectKey).toMatch(/^guard-rules\/.+\.guard$/);
    });

    test('uploads the bundled platform rules, SSE-KMS with the bucket key', () => {
      const call = uploadCall(template);
      expect(call).toMatchObject({
        service: 'S3',
        action: 'putObject',
        parameters: {
          Bucket: '<token>',
          Key: hook.rulesObjectKey,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: '<token>',
        },
        physicalResourceId: { responsePath: 'VersionId' },
      });
      expect(call.parameters.Body).toBe(GuardHook.bundleRules(RULES));
      for (const id of guardRuleIds(RULES)) expect(call.parameters.Body).toContain(`rule ${id}`);
    });

    test('the upload request stays well under the 256 KB a custom-resource request may carry', () => {
      // An update carries the old and the new properties: both copies of Create and Update.
      const upload = Object.values<any>(template.findResources('Custom::AWS'))[0];
      expect(2 * JSON.stringify(upload.Properties).length).toBeLessThan(192 * 1024);
    });

    test('rules bucket: customer key, versioned, retained, TLS-only, public access blocked, access logs', () => {
      template.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'RetainExceptOnCreate',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              {
                ServerSideEncryptionByDefault: {
                  SSEAlgorithm: 'aws:kms',
                  KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
                },
              },
            ],
          },
          VersioningConfiguration: { Status: 'Enabled' },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    test('a new retained key with rotation', () => {
      template.hasResource('AWS::KMS::Key', {
        DeletionPolicy: 'RetainExceptOnCreate',
        Properties: { EnableKeyRotation: true },
      });
    });

    test('execution role: trusted by the hooks service of this account only, one-hour sessions', () => {
      template.hasResourceProperties('AWS::IAM::Role', {
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Principal: { Service: 'hooks.cloudformation.amazonaws.com' },
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
      });
    });

    test('execution role: reads the rules prefix and decrypts with the key, nothing more', () => {
      const statements = managedPolicyStatements(template, roleId);
      const actions = statements.flatMap((s) => [].concat(s.Action)).sort();
      expect(actions).toEqual(['kms:Decrypt', 's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket']);
      expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/guard-rules/*']] },
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: 's3:ListBucket',
          Condition: { StringLike: { 's3:prefix': ['guard-rules/*'] } },
        }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } }),
      );
    });

    test('uploader role: writes the rules prefix only, trusted by Lambda of this account, one-hour sessions', () => {
      const roles = template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
          },
        },
      });
      expect(Object.keys(roles)).toHaveLength(1);
      const [uploaderId, uploader] = Object.entries<any>(roles)[0];
      expect(uploader.Properties.MaxSessionDuration).toBe(3600);
      expect(uploader.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      });
      const statements = managedPolicyStatements(template, uploaderId);
      const s3Actions = statements.flatMap((s) => [].concat(s.Action)).filter((a: string) => a.startsWith('s3:'));
      expect(s3Actions.sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/guard-rules/*']] },
        }),
      );
      template.hasResourceProperties('AWS::Lambda::Function', {
        Role: { 'Fn::GetAtt': [uploaderId, 'Arn'] },
        LoggingConfig: { LogGroup: Match.anyValue() },
      });
      template.hasResource('AWS::Logs::LogGroup', {
        DeletionPolicy: 'RetainExceptOnCreate',
        Properties: { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      });
    });

    test('the hook waits for its role and the role policy', () => {
      const hooks = Object.values<any>(template.findResources('AWS::CloudFormation::GuardHook'));
      const policyId = Object.keys(
        template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: roleId }] } }),
      )[0];
      expect(hooks[0].DependsOn).toEqual(expect.arrayContaining([roleId, policyId]));
    });
  });

  describe('options', () => {
    test('FailureMode.WARN is rendered and warned about', () => {
      const { stack } = hookStack({ failureMode: FailureMode.WARN });
      Template.fromStack(stack).hasResourceProperties('AWS::CloudFormation::GuardHook', { FailureMode: 'WARN' });
      Annotations.fromStack(stack).hasWarning('/Governance/GuardHook', Match.stringLikeRegexp('failureMode is WARN'));
    });

    test('FailureMode.FAIL (the default) raises no warning', () => {
      const { stack } = hookStack({ failureMode: FailureMode.FAIL });
      Annotations.fromStack(stack).hasNoWarning('/Governance/GuardHook', Match.anyValue());
    });

    test('a given key encrypts the bucket and the logs; no key is created', () => {
      const app = newApp();
      const stack = new Stack(app, 'Governance');
      const key = new kms.Key(stack, 'PlatformKey', { enableKeyRotation: true });
      const hook = new GuardHook(stack, 'GuardHook', { rules: RULES, encryptionKey: key });
      const template = Template.fromStack(stack);
      const keyArn = { 'Fn::GetAtt': [logicalIdOf(stack, key), 'Arn'] };
      template.resourceCountIs('AWS::KMS::Key', 1);
      expect(hook.encryptionKey).toBe(key);
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } },
          ],
        },
      });
      template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: keyArn });
    });

    test('a report bucket becomes the LogBucket, and the role may write there', () => {
      const app = newApp();
      const stack = new Stack(app, 'Governance');
      const reports = new s3.Bucket(stack, 'Reports', { encryption: s3.BucketEncryption.S3_MANAGED });
      const hook = new GuardHook(stack, 'GuardHook', { rules: RULES, reportBucket: reports });
      const template = Template.fromStack(stack);
      const reportsId = logicalIdOf(stack, reports);
      template.hasResourceProperties('AWS::CloudFormation::GuardHook', { LogBucket: { Ref: reportsId } });
      expect(managedPolicyStatements(template, logicalIdOf(stack, hook.executionRole))).toContainEqual(
        expect.objectContaining({
          Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [reportsId, 'Arn'] }, '/*']] },
        }),
      );
    });

    test('exempt stacks become a stack filter, with a warning', () => {
      const { stack } = hookStack({ exemptStackNames: ['CDKToolkit'], alias: 'Acme::Guard::Policy' });
      Template.fromStack(stack).hasResourceProperties('AWS::CloudFormation::GuardHook', {
        Alias: 'Acme::Guard::Policy',
        StackFilters: { FilteringCriteria: 'ALL', StackNames: { Exclude: ['CDKToolkit'] } },
      });
      Annotations.fromStack(stack).hasWarning('/Governance/GuardHook', Match.stringLikeRegexp('CDKToolkit'));
    });
  });

  describe('validation', () => {
    test.each([
      ['AWS::Guard::Policy', /alias must be Name1::Name2::Name3.*got 'AWS::Guard::Policy'/],
      ['Private::Guard', /alias must be .*got 'Private::Guard'/],
      ['Private::Guard::my-hook', /alias must be .*got 'Private::Guard::my-hook'/],
    ])('alias %s is rejected', (alias, message) => {
      expect(() => hookStack({ alias })).toThrow(message);
    });

    test('no rules is rejected', () => {
      expect(() => hookStack({ rules: [] })).toThrow(/rules must hold at least one Guard rule file, got \[\]/);
    });

    test('a rule file name without .guard is rejected', () => {
      expect(() => hookStack({ rules: [{ name: 'access.txt', content: 'rule A { }' }] })).toThrow(
        /rules\[\]\.name must be a file name ending in \.guard, got 'access\.txt'/,
      );
    });

    test('duplicate rule files are rejected', () => {
      expect(() => hookStack({ rules: [RULES[0], RULES[0]] })).toThrow(/must be unique, got 'access\.guard' twice/);
    });

    test('a rule file without a rule is rejected', () => {
      expect(() => hookStack({ rules: [{ name: 'empty.guard', content: '# nothing\n' }] })).toThrow(
        /content of empty\.guard must declare at least one Guard rule/,
      );
    });

    test('an exempt stack name that is not a stack name is rejected', () => {
      expect(() => hookStack({ exemptStackNames: ['my stack'] })).toThrow(
        /exemptStackNames must hold .*got 'my stack'/,
      );
    });
  });

  describe('compliance', () => {
    test('its own stack passes every platform Guard rule, in-process and in cfn-guard', () => {
      const app = newGuardApp();
      const { stack } = hookStack({}, app);
      applyBoundary(stack);
      expect(synthGuardViolations(app)).toEqual([]);
      const failures = runCfnGuard([path.join(app.outdir, stack.templateFile)]);
      expect([...failures.get(stack.templateFile)!]).toEqual([]);
    });

    test('negative control: without the app boundary the access rule names both roles', () => {
      const app = newGuardApp();
      const { stack, hook } = hookStack({}, app);
      const violations = synthGuardViolations(app);
      const flagged = violations.filter((v) => v.ruleId === 'ZTAI_ACCESS_ROLE_BOUNDARY').map((v) => v.logicalId);
      expect(flagged).toContain(logicalIdOf(stack, hook.executionRole));
      expect(flagged).toHaveLength(2);
      expect(violations.filter((v) => v.ruleId !== 'ZTAI_ACCESS_ROLE_BOUNDARY')).toEqual([]);
    });

    test('no unacknowledged cdk-nag finding in any pack', () => {
      const { stack } = hookStack();
      applyBoundary(stack);
      const findings = nagFindings(stack);
      expect(describeFindings(findings)).toBe('');
    });
  });
});
