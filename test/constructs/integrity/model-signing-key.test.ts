/**
 * The model-signing key and the signer role: key spec and usage, retention, a key policy in which
 * only the signer may sign and only granted verifiers may verify, administrators without
 * cryptographic use, the signer's trust, nag packs, and bad input.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ModelSignerRole, ModelSigningKey } from '../../../constructs/integrity';
import * as perms from '../../../constructs/integrity/integrity-perms';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newStack } from '../../helpers/stacks';
import { statementsWith } from './fixtures';

/** A stack with a signer, a verifier role, a gate-like role given grantVerify, and the key. */
function keyStack() {
  const { app, stack } = newStack();
  const signer = new ModelSignerRole(stack, 'Signer');
  const verifier = new iam.Role(stack, 'Verifier', { assumedBy: new iam.AccountRootPrincipal() });
  const gate = new iam.Role(stack, 'Gate', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const key = new ModelSigningKey(stack, 'SigningKey', {
    signers: [signer.role],
    verifiers: [verifier],
    alias: 'ztai/model-signing',
  });
  key.grantVerify(gate);
  return { app, stack, signer, verifier, gate, key };
}

function keyPolicy(stack: Stack): { Statement: any[] } {
  const keys = Template.fromStack(stack).findResources('AWS::KMS::Key');
  expect(Object.keys(keys)).toHaveLength(1);
  return Object.values(keys)[0].Properties.KeyPolicy;
}

const ref = (role: iam.IRole) => ({
  'Fn::GetAtt': [Stack.of(role).getLogicalId(role.node.defaultChild as iam.CfnRole), 'Arn'],
});

describe('ModelSigningKey', () => {
  test('is an asymmetric ECC_NIST_P256 SIGN_VERIFY key, retained, with a 30-day pending window', () => {
    const { stack } = keyStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      EnableKeyRotation: false,
      PendingWindowInDays: 30,
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/ztai/model-signing' });
  });

  test('only the signer role may kms:Sign, only ECDSA_SHA_256 over a digest', () => {
    const { stack, signer } = keyStack();
    const signing = statementsWith(keyPolicy(stack), 'kms:Sign');
    expect(signing).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'kms:Sign',
        Principal: { AWS: ref(signer.role) },
        Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' } },
      }),
    ]);
  });

  test('only granted roles and named verifiers may kms:Verify; only named verifiers may kms:GetPublicKey', () => {
    const { stack, verifier, gate } = keyStack();
    const policy = keyPolicy(stack);
    const principals = (action: string) => statementsWith(policy, action).map((s) => s.Principal);
    expect(principals('kms:Verify')).toEqual([{ AWS: ref(verifier) }, { AWS: ref(gate) }]);
    expect(principals('kms:GetPublicKey')).toEqual([{ AWS: ref(verifier) }]);
    // The grantees' own policies allow the same, so the permissions boundary applies too.
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Stack.of(gate).getLogicalId(gate.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: { Statement: [{ Action: 'kms:Verify', Effect: 'Allow' }] },
    });
  });

  test('no statement gives anyone a wildcard, and the account-level statement holds no cryptographic action', () => {
    const { stack } = keyStack();
    const policy = keyPolicy(stack);
    for (const s of policy.Statement) {
      for (const action of ([] as string[]).concat(s.Action)) expect(action).not.toContain('*');
    }
    const admin = policy.Statement.find((s) => s.Sid === 'KeyAdministrationWithoutCryptographicUse');
    expect(admin.Principal.AWS['Fn::Join'][1]).toContain(':root');
    for (const action of perms.SIGNING_KEY_CRYPTO) expect(admin.Action).not.toContain(action);
    // Every statement naming the account root is the administration statement.
    const rootStatements = policy.Statement.filter((s) => JSON.stringify(s.Principal).includes(':root'));
    expect(rootStatements).toEqual([admin]);
  });

  test('administrators can be named; they still get no cryptographic action', () => {
    const { stack } = newStack();
    const signer = new ModelSignerRole(stack, 'Signer');
    const admin = new iam.Role(stack, 'KeyAdmin', { assumedBy: new iam.AccountRootPrincipal() });
    new ModelSigningKey(stack, 'Key', { signers: [signer.role], admins: [admin] });
    const [statement] = keyPolicy(stack).Statement;
    expect(statement.Principal).toEqual({ AWS: ref(admin) });
    expect(statement.Action).toEqual(perms.SIGNING_KEY_ADMIN);
  });

  test('the cdk-nag packs find nothing unacknowledged', () => {
    const { stack } = keyStack();
    const findings = nagFindings(stack).filter((f) => f.path.includes('SigningKey') || f.path.includes('Signer'));
    expect(describeFindings(findings)).toBe('');
  });

  describe('bad input', () => {
    test('no signer', () => {
      const { stack } = newStack();
      expect(() => new ModelSigningKey(stack, 'Key', { signers: [] })).toThrow(
        /Test\/Key: signers must name at least one signer role, got \[\]/,
      );
    });

    test('an empty verifier list', () => {
      const { stack } = newStack();
      const signer = new ModelSignerRole(stack, 'Signer');
      expect(() => new ModelSigningKey(stack, 'Key', { signers: [signer.role], verifiers: [] })).toThrow(
        /verifiers must name at least one role when given, got \[\]/,
      );
    });

    test('no administrator', () => {
      const { stack } = newStack();
      const signer = new ModelSignerRole(stack, 'Signer');
      expect(() => new ModelSigningKey(stack, 'Key', { signers: [signer.role], admins: [] })).toThrow(
        /admins must name at least one principal, got \[\]/,
      );
    });

    test('a role that both signs and verifies', () => {
      const { stack } = newStack();
      const signer = new ModelSignerRole(stack, 'Signer');
      expect(() => new ModelSigningKey(stack, 'Key', { signers: [signer.role], verifiers: [signer.role] })).toThrow(
        /cannot be both signer and verifier.*Test\/Signer/,
      );
    });

    test.each([['aws/mine'], ['bad alias!'], ['']])('alias %p', (alias) => {
      const { stack } = newStack();
      const signer = new ModelSignerRole(stack, 'Signer');
      expect(() => new ModelSigningKey(stack, 'Key', { signers: [signer.role], alias })).toThrow(
        /alias must be 1-250 letters, digits, '\/', '_' or '-', not starting with 'aws\/'/,
      );
    });

    test.each([
      ['the account', new iam.AccountRootPrincipal()],
      ['anyone', new iam.AnyPrincipal()],
      ['a service', new iam.ServicePrincipal('lambda.amazonaws.com')],
    ])('grantVerify to %s', (_name, principal) => {
      const { key } = keyStack();
      expect(() => key.grantVerify(principal)).toThrow(/grantVerify: the grantee must be an IAM role or user/);
    });
  });
});

describe('ModelSignerRole', () => {
  test('by default trusts the account root only for roles under /release/, with one-hour sessions', () => {
    const { stack } = newStack();
    new ModelSignerRole(stack, 'Signer');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      Path: '/ztai/model-signer/',
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Principal: {
              AWS: {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
              },
            },
            Condition: {
              ArnLike: {
                'aws:PrincipalArn': [
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/release/*'],
                    ],
                  },
                ],
              },
            },
          },
        ],
      },
    });
  });

  test('holds no policy of its own: the key policy is where it may sign', () => {
    const { stack } = newStack();
    new ModelSignerRole(stack, 'Signer');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
  });

  test('trusts a named principal instead, e.g. a CI role', () => {
    const { stack } = newStack();
    const ci = 'arn:aws:iam::111122223333:role/ci/release-pipeline';
    new ModelSignerRole(stack, 'Signer', { assumedBy: new iam.ArnPrincipal(ci) });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Principal: { AWS: ci } }] },
    });
  });

  test('explicit release principal ARNs replace the default condition', () => {
    const { stack } = newStack();
    const arns = ['arn:aws:iam::111122223333:role/github/release-*'];
    new ModelSignerRole(stack, 'Signer', { releasePrincipalArns: arns });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Condition: { ArnLike: { 'aws:PrincipalArn': arns } } }] },
    });
    expect(Annotations.fromStack(stack).findError('*', /.*/)).toEqual([]);
  });

  describe('bad input', () => {
    test('assumedBy and releasePrincipalArns together', () => {
      const { stack } = newStack();
      expect(
        () =>
          new ModelSignerRole(stack, 'Signer', {
            assumedBy: new iam.AccountRootPrincipal(),
            releasePrincipalArns: ['arn:aws:iam::111122223333:role/release/*'],
          }),
      ).toThrow(/assumedBy and releasePrincipalArns are exclusive/);
    });

    test('no release principal', () => {
      const { stack } = newStack();
      expect(() => new ModelSignerRole(stack, 'Signer', { releasePrincipalArns: [] })).toThrow(
        /releasePrincipalArns must name at least one principal ARN or pattern, got \[\]/,
      );
    });

    test.each([
      ['*'],
      ['arn:aws:iam::111122223333:role/*'],
      ['arn:aws:iam::111122223333:*'],
      ['arn:aws:sts::111122223333:assumed-role/x/y'],
      ['arn:aws:iam::*:role/release/*'],
    ])('release principal %p (matches too much, or is not an IAM principal ARN)', (arn) => {
      const { stack } = newStack();
      expect(() => new ModelSignerRole(stack, 'Signer', { releasePrincipalArns: [arn] })).toThrow(
        new RegExp(
          `releasePrincipalArns must hold IAM role or user ARNs of one account.*got '${arn.replace(/[*]/g, '\\*')}'`,
        ),
      );
    });

    test('a malformed path', () => {
      const { stack } = newStack();
      expect(() => new ModelSignerRole(stack, 'Signer', { path: 'release' })).toThrow(
        /path must be '\/' or '\/segment\/...\/'.*got 'release'/,
      );
    });
  });
});
