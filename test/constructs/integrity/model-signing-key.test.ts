/**
 * The model-signing key and the signer (release) role: key spec and usage, retention, a key policy in
 * which only the signer may sign, only granted verifiers may verify and only signers and granted
 * verifiers may read the public key (by template and by IAM policy evaluation), administrators without
 * cryptographic use, the signer's trust, its upload and image-push grants, nag packs, and bad input.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { EncryptedBucket, ModelImageRepository, PlatformKeys } from '../../../constructs';
import { ModelSignerRole, ModelSigningKey } from '../../../constructs/integrity';
import * as perms from '../../../constructs/integrity/integrity-perms';
import { ACCOUNT, CfnResolver, Decision, evaluate, RoleUnderTest, roleUnderTest } from '../../helpers/iam-eval';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newStack } from '../../helpers/stacks';
import { statementsWith } from './fixtures';

/** A stack with a signer, a verifier role, a gate-like role given grantVerify and grantPublicKey, and the key. */
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
  key.grantPublicKey(gate);
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
  test('is an asymmetric ECC_NIST_P256 SIGN_VERIFY key, retained (except when its own create rolls back), with a 30-day pending window', () => {
    const { stack } = keyStack();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      EnableKeyRotation: false,
      PendingWindowInDays: 30,
    });
    // D9: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, so a rolled-back first deploy leaves no key behind.
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
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

  test('only granted roles and named verifiers may kms:Verify; only signers, named verifiers and granted roles may kms:GetPublicKey', () => {
    const { stack, signer, verifier, gate } = keyStack();
    const policy = keyPolicy(stack);
    const principals = (action: string) => statementsWith(policy, action).map((s) => s.Principal);
    expect(principals('kms:Verify')).toEqual([{ AWS: ref(verifier) }, { AWS: ref(gate) }]);
    expect(principals('kms:GetPublicKey')).toEqual([
      { AWS: ref(signer.role) },
      { AWS: ref(verifier) },
      { AWS: ref(gate) },
    ]);
    // GetPublicKey is granted alone, without conditions (the public key is not a signing operation).
    for (const s of statementsWith(policy, 'kms:GetPublicKey')) {
      expect(s).toEqual(expect.objectContaining({ Effect: 'Allow', Action: 'kms:GetPublicKey' }));
      expect(s.Condition).toBeUndefined();
    }
    // The grantees' own policies allow the same, so the permissions boundary applies too.
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Stack.of(gate).getLogicalId(gate.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: { Statement: [{ Action: ['kms:GetPublicKey', 'kms:Verify'], Effect: 'Allow' }] },
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

  test('the administration statement is an explicit list: no wildcard (kms:Create*, kms:Get*), no grant creation', () => {
    expect(perms.SIGNING_KEY_ADMIN.filter((a) => a.includes('*'))).toEqual([]);
    for (const action of [
      ...perms.SIGNING_KEY_CRYPTO,
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'kms:ReEncryptFrom',
    ]) {
      expect(perms.SIGNING_KEY_ADMIN).not.toContain(action);
    }
    // What CloudFormation needs to create, update and delete the key stays (PutKeyPolicy, tags, description, deletion).
    expect(perms.SIGNING_KEY_ADMIN).toEqual(
      expect.arrayContaining([
        'kms:DescribeKey',
        'kms:GetKeyPolicy',
        'kms:PutKeyPolicy',
        'kms:TagResource',
        'kms:UntagResource',
        'kms:ListResourceTags',
        'kms:UpdateKeyDescription',
        'kms:EnableKey',
        'kms:DisableKey',
        'kms:ScheduleKeyDeletion',
        'kms:CreateAlias',
        'kms:DeleteAlias',
      ]),
    );
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

describe('ModelSigningKey: kms:GetPublicKey by IAM policy evaluation of the key policy', () => {
  let resolver: CfnResolver;
  let keyPolicyDocument: unknown;
  let keyArn: string;
  const roles: Record<string, RoleUnderTest> = {};

  beforeAll(() => {
    const { app, stack, signer, verifier, gate } = keyStack();
    // Another role of the account, with every KMS action in its own policy (an administrator).
    const other = new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    new iam.ManagedPolicy(stack, 'OtherPolicy', {
      roles: [other],
      statements: [new iam.PolicyStatement({ actions: ['kms:*'], resources: ['*'] })],
    });
    resolver = new CfnResolver(app);
    const id = (c: iam.IRole) => stack.getLogicalId(c.node.defaultChild as iam.CfnRole);
    const [keyId] = resolver.find('Test', 'AWS::KMS::Key');
    keyPolicyDocument = resolver.resolve('Test', resolver.template('Test').Resources[keyId].Properties.KeyPolicy);
    keyArn = resolver.resolve('Test', { 'Fn::GetAtt': [keyId, 'Arn'] });
    for (const [name, role] of Object.entries({ signer: signer.role, verifier, gate, other })) {
      roles[name] = roleUnderTest(resolver, 'Test', id(role));
    }
  });

  const getPublicKey = (role: RoleUnderTest): Promise<Decision> =>
    evaluate({
      role,
      action: 'kms:GetPublicKey',
      resourceArn: keyArn,
      resourcePolicy: keyPolicyDocument,
      context: { 'kms:CallerAccount': ACCOUNT },
    });

  test.each([['signer'], ['verifier'], ['gate']])('the %s may read the public key', async (name) => {
    expect(await getPublicKey(roles[name])).toBe('Allowed');
  });

  test('another role of the account may not, even with kms:* in its own policy (the key policy delegates nothing to IAM)', async () => {
    expect(await getPublicKey(roles.other)).toBe('ImplicitlyDenied');
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

  describe('as the release role: uploads to incoming/ and image pushes, in one managed policy', () => {
    function releaseStack() {
      const { app, stack } = newStack();
      const keys = new PlatformKeys(stack, 'Keys');
      const bucket = new EncryptedBucket(stack, 'Models', { encryptionKey: keys.models.key });
      const signer = new ModelSignerRole(stack, 'Signer', {
        roleName: 'ztai-model-release',
        path: '/ztai/model-signer/',
      });
      signer.grantUploadTo(bucket, 'incoming/');
      signer.grantPushToRepositories('ztai-platform');
      return { app, stack, keys, bucket, signer };
    }

    test('a fixed name: the role ARN is built from path and name, so policies name it without a reference', () => {
      const { stack, signer } = releaseStack();
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'ztai-model-release',
        Path: '/ztai/model-signer/',
      });
      expect(stack.resolve(signer.roleArn)).toEqual({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':iam::',
            { Ref: 'AWS::AccountId' },
            ':role/ztai/model-signer/ztai-model-release',
          ],
        ],
      });
    });

    test('the grants are exactly the upload and push needs, in one customer-managed policy (no inline policy)', () => {
      const { stack, keys, bucket, signer } = releaseStack();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::IAM::Policy', 0);
      const policies = template.findResources('AWS::IAM::ManagedPolicy', {
        Properties: { Roles: [{ Ref: stack.getLogicalId(signer.role.node.defaultChild as iam.CfnRole) }] },
      });
      expect(Object.keys(policies)).toHaveLength(1);
      const statements = Object.values(policies)[0].Properties.PolicyDocument.Statement;
      const bucketId = stack.getLogicalId(bucket.bucket.node.defaultChild as any);
      const keyId = stack.getLogicalId(keys.models.key.node.defaultChild as any);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/incoming/*']] },
        },
        { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        {
          Effect: 'Allow',
          Action: [
            'ecr:BatchCheckLayerAvailability',
            'ecr:BatchGetImage',
            'ecr:CompleteLayerUpload',
            'ecr:InitiateLayerUpload',
            'ecr:PutImage',
            'ecr:UploadLayerPart',
          ],
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':ecr:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                ':repository/ztai-platform/*',
              ],
            ],
          },
        },
      ]);
      // No read, no delete, no listing of the bucket; no signing-key use through IAM.
      const actions = statements.flatMap((st: any) => [].concat(st.Action));
      for (const a of ['s3:GetObject', 's3:DeleteObject', 's3:ListBucket', 'kms:Sign', 'ecr:DeleteRepository']) {
        expect(actions).not.toContain(a);
      }
    });

    test('the wildcard resources are acknowledged narrowly on the policy; the nag packs find nothing else', () => {
      const { stack, bucket, signer } = releaseStack();
      expect(describeFindings(nagFindings(stack).filter((f) => f.path.includes('Signer')))).toBe('');
      const bucketId = stack.getLogicalId(bucket.bucket.node.defaultChild as any);
      const acknowledged = signer.grantPrincipal
        .policy!.node.defaultChild!.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules')
        .flatMap((m) => Object.keys(m.data as object))
        .sort();
      expect(acknowledged).toEqual(
        [
          'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
          `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/incoming/*]`,
          'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/ztai-platform/*]',
        ].sort(),
      );
    });

    test('without a grant the role has no policy at all', () => {
      const { stack } = newStack();
      new ModelSignerRole(stack, 'Signer', { roleName: 'r' });
      Template.fromStack(stack).resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    });

    test.each([['incoming'], ['incoming/*'], ['../incoming/'], ['incoming/../approved/'], ['']])(
      'grantUploadTo prefix %p',
      (prefix) => {
        const { stack } = newStack();
        const keys = new PlatformKeys(stack, 'Keys');
        const bucket = new EncryptedBucket(stack, 'Models', { encryptionKey: keys.models.key });
        const signer = new ModelSignerRole(stack, 'Signer');
        expect(() => signer.grantUploadTo(bucket, prefix)).toThrow(
          /grantUploadTo: prefix must be one or more path segments ending in '\/', without wildcards or '\.\.'/,
        );
      },
    );

    describe('grantPushTo: exact repositories known at synth, no wildcard but the registry login', () => {
      function exactStack() {
        const { app, stack } = newStack();
        const keys = new PlatformKeys(stack, 'Keys');
        const signer = new ModelSignerRole(stack, 'Signer', {
          roleName: 'ztai-model-release',
          path: '/ztai/model-signer/',
        });
        const repo = (name: string) =>
          new ModelImageRepository(stack, name, {
            encryptionKey: keys.models.key,
            repositoryName: `ztai-platform/${name}`,
          });
        const fraud = repo('fraud');
        const chat = repo('chat');
        // As lib/workloads/compute.ts does: the repository policy names the role, imported by its ARN.
        const reference = iam.Role.fromRoleArn(stack, 'ReleaseRoleRef', signer.roleArn, { mutable: false });
        fraud.grantPush(reference);
        chat.grantPush(reference);
        signer.grantPushTo(fraud);
        signer.grantPushTo(chat); // a second call: one push statement, both repositories
        return { app, stack, signer, fraud, chat };
      }

      test('the push actions on exactly the repositories’ ARNs, in one statement; the login on *', () => {
        const { stack, signer, fraud, chat } = exactStack();
        const template = Template.fromStack(stack);
        template.resourceCountIs('AWS::IAM::Policy', 0);
        const policies = template.findResources('AWS::IAM::ManagedPolicy', {
          Properties: { Roles: [{ Ref: stack.getLogicalId(signer.role.node.defaultChild as iam.CfnRole) }] },
        });
        const statements = Object.values(policies)[0].Properties.PolicyDocument.Statement;
        const arn = (r: ModelImageRepository) => ({
          'Fn::GetAtt': [stack.getLogicalId(r.repository.node.defaultChild as ecr.CfnRepository), 'Arn'],
        });
        expect(statements).toEqual([
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
          {
            Effect: 'Allow',
            Action: [...perms.RELEASE_ECR_PUSH].sort(),
            Resource: expect.arrayContaining([arn(fraud), arn(chat)]),
          },
        ]);
        expect(statements[1].Resource).toHaveLength(2);
        expect(JSON.stringify(statements)).not.toContain('repository/');
      });

      test('only the registry login is acknowledged; the nag packs find nothing on the role', () => {
        const { stack, signer } = exactStack();
        expect(describeFindings(nagFindings(stack).filter((f) => f.path.includes('Signer')))).toBe('');
        const acknowledged = signer.grantPrincipal
          .policy!.node.defaultChild!.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules')
          .flatMap((m) => Object.keys(m.data as object));
        expect(acknowledged).toEqual(['AwsSolutions::AwsSolutions-IAM5[Resource::*]']);
      });

      test('a repository imported into the role’s stack by name is named by its name-built ARN', () => {
        const { stack } = newStack();
        const signer = new ModelSignerRole(stack, 'Signer');
        signer.grantPushTo(ecr.Repository.fromRepositoryName(stack, 'Repo', 'ztai-platform/fraud'));
        const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
        expect(JSON.stringify(policy.Properties.PolicyDocument.Statement[1].Resource)).toContain(
          ':repository/ztai-platform/fraud',
        );
      });

      test('no repository: no grant and no policy at all', () => {
        const { stack } = newStack();
        const signer = new ModelSignerRole(stack, 'Signer');
        signer.grantPushTo();
        Template.fromStack(stack).resourceCountIs('AWS::IAM::ManagedPolicy', 0);
      });

      test('a repository of another stack, or an ARN with a wildcard, is refused', () => {
        const { app, stack } = newStack();
        const signer = new ModelSignerRole(stack, 'Signer');
        const other = new Stack(app, 'Other');
        const keys = new PlatformKeys(other, 'Keys');
        const elsewhere = new ModelImageRepository(other, 'Repo', { encryptionKey: keys.models.key });
        expect(() => signer.grantPushTo(elsewhere)).toThrow(
          /grantPushTo: Other\/Repo is in stack Other, not .*: import it into this stack by name/,
        );
        const wildcard = ecr.Repository.fromRepositoryArn(
          stack,
          'Any',
          'arn:aws:ecr:eu-west-1:111122223333:repository/ztai-platform/*',
        );
        expect(() => signer.grantPushTo(wildcard)).toThrow(/grantPushTo: .*Any must have an exact ECR repository ARN/);
      });
    });

    test.each([['Ztai-Platform'], ['ztai-platform/'], ['*'], ['ztai-platform/*'], ['']])(
      'grantPushToRepositories prefix %p',
      (prefix) => {
        const { stack } = newStack();
        const signer = new ModelSignerRole(stack, 'Signer');
        expect(() => signer.grantPushToRepositories(prefix)).toThrow(
          /grantPushToRepositories: repositoryNamePrefix must be lower-case letters, digits and '\._-'/,
        );
      },
    );
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

    test('a malformed role name', () => {
      const { stack } = newStack();
      expect(() => new ModelSignerRole(stack, 'Signer', { roleName: 'has space' })).toThrow(
        /roleName must be 1-64 letters, digits and \+=,\.@_-, got 'has space'/,
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
