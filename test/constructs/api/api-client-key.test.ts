import { App, CliCredentialsStackSynthesizer, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { API_KEY_LENGTH, ApiClientKey, ModelGatewayApi } from '../../../constructs/api';
import {
  ACCOUNT,
  CfnResolver,
  evaluate,
  PARTITION,
  REGION,
  RoleUnderTest,
  roleUnderTest,
} from '../../helpers/iam-eval';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newApp, resourcesOfType } from '../../helpers/stacks';
import { fixture, Fixture, gateway } from './fixtures';

const ROTATION_RULES = [
  'AwsSolutions-SMG4',
  'NIST.800.53.R5-SecretsManagerRotationEnabled',
  'HIPAA.Security-SecretsManagerRotationEnabled',
];
const CUSTOMER_KEY_RULES = [
  'NIST.800.53.R5-SecretsManagerUsingKMSKey',
  'HIPAA.Security-SecretsManagerUsingKMSKey',
  'PCI.DSS.321-SecretsManagerUsingKMSKey',
];

const client = (key?: ApiClientKey) => ({
  name: 'support-agent',
  throttle: { rateLimit: 10, burstLimit: 20 },
  quota: { limit: 10000, period: apigateway.Period.DAY },
  key,
});

/** The reference shape: the agent's key, encrypted with a key of the API's stack, and the gateway it opens. */
function keyedGateway(keyVersion?: number): { f: Fixture; key: ApiClientKey; dataKey: kms.Key; api: ModelGatewayApi } {
  const f = fixture();
  const dataKey = new kms.Key(f.stack, 'DataKey', { enableKeyRotation: true });
  const key = new ApiClientKey(f.stack, 'AgentKey', {
    secretName: 'ztai/api-clients/support-agent',
    encryptionKey: dataKey,
    clientRoles: [f.agent],
    keyVersion,
  });
  const api = gateway(f, { clients: [client(key)] });
  return { f, key, dataKey, api };
}

describe('ApiClientKey', () => {
  let f: Fixture;
  let key: ApiClientKey;
  let json: any;

  beforeAll(() => {
    ({ f, key } = keyedGateway());
    json = Template.fromStack(f.stack).toJSON();
  });

  test('a secret with a fixed name, a generated 40-character alphanumeric value in its apiKey field, the given key, retained', () => {
    const secrets = resourcesOfType(json, 'AWS::SecretsManager::Secret');
    expect(secrets).toHaveLength(1);
    const [id, secret] = secrets[0];
    expect(secret.Properties).toEqual({
      Name: 'ztai/api-clients/support-agent',
      Description: 'API key of an API client (x-api-key), version 1',
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] },
      GenerateSecretString: {
        SecretStringTemplate: '{"keyVersion":1}',
        GenerateStringKey: 'apiKey',
        PasswordLength: API_KEY_LENGTH,
        ExcludePunctuation: true,
        IncludeSpace: false,
      },
    });
    expect(API_KEY_LENGTH).toBeGreaterThanOrEqual(20); // API Gateway's minimum
    expect(secret.DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(secret.UpdateReplacePolicy).toBe('Retain');
    expect(Stack.of(key).resolve(key.secret.secretArn)).toEqual({ Ref: id });
  });

  test("the API key's value is the dynamic reference to the secret's apiKey field, never a literal", () => {
    const keys = resourcesOfType(json, 'AWS::ApiGateway::ApiKey');
    expect(keys).toHaveLength(1);
    const [secretId] = resourcesOfType(json, 'AWS::SecretsManager::Secret')[0];
    expect(keys[0][1].Properties.Value).toEqual({
      'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:apiKey::}}']],
    });
    expect(keys[0][1].Properties.Name).toBe('model-gateway-support-agent');
    // The usage plan holds that key.
    const [planKey] = resourcesOfType(json, 'AWS::ApiGateway::UsagePlanKey');
    expect(planKey[1].Properties.KeyId).toEqual({ Ref: keys[0][0] });
  });

  test('the resource policy denies reading the value to every principal but the client role and the CloudFormation execution role, and nothing else', () => {
    const policies = resourcesOfType(json, 'AWS::SecretsManager::ResourcePolicy');
    expect(policies).toHaveLength(1);
    const [secretId] = resourcesOfType(json, 'AWS::SecretsManager::Secret')[0];
    expect(policies[0][1].Properties.SecretId).toEqual({ Ref: secretId });
    const agentArn = f.stack.resolve(f.agent.roleArn);
    expect(policies[0][1].Properties.ResourcePolicy.Statement).toEqual([
      {
        Sid: 'DenyReadingTheKeyButByTheClientAndTheDeployment',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        // Only the value read: deploying, describing, updating and re-encrypting the secret stay open.
        Action: 'secretsmanager:GetSecretValue',
        Resource: '*',
        Condition: {
          StringNotEquals: {
            'aws:PrincipalArn': [
              agentArn,
              {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':iam::',
                    { Ref: 'AWS::AccountId' },
                    ':role/cdk-hnb659fds-cfn-exec-role-',
                    { Ref: 'AWS::AccountId' },
                    '-',
                    { Ref: 'AWS::Region' },
                  ],
                ],
              },
            ],
          },
        },
      },
    ]);
  });

  test("leaves the encryption key's policy alone (no account-wide use, no kms:CreateGrant added by the CDK Secret)", () => {
    const [[, dataKey]] = resourcesOfType(json, 'AWS::KMS::Key').filter(([id]) => id.startsWith('DataKey'));
    expect(JSON.stringify(dataKey.Properties.KeyPolicy)).not.toContain('secretsmanager');
    expect(JSON.stringify(dataKey.Properties.KeyPolicy)).not.toContain('kms:CreateGrant');
    // Negative control: the CDK Secret, given the key itself, writes both into the key's policy.
    const stack = new Stack(newApp(), 'Plain');
    const plainKey = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
    new secretsmanager.Secret(stack, 'Plain', { encryptionKey: plainKey });
    const plainPolicy = JSON.stringify(resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::KMS::Key')[0][1]);
    expect(plainPolicy).toContain('secretsmanager');
    expect(plainPolicy).toContain('kms:CreateGrant');
  });

  test('the rotation findings are acknowledged on the secret, for the documented reason, and nothing else is found', () => {
    expect(describeFindings(nagFindings(f.stack))).toBe('');
    const acknowledged = key.secret.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.map(([id]) => id).sort()).toEqual(ROTATION_RULES.map((r) => `${r.split('-')[0]}::${r}`).sort());
    for (const [, reason] of acknowledged) expect(reason).toMatch(/keyVersion/);
  });

  test('negative control: a secret without rotation and without the acknowledgement fires the rotation rule of every pack that has one; without a customer key, the key rules', () => {
    const app = newApp();
    const stack = new Stack(app, 'Bare');
    const bareKey = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    new secretsmanager.Secret(stack, 'Bare', { encryptionKey: bareKey });
    new secretsmanager.Secret(stack, 'NoCustomerKey');
    const findings = nagFindings(stack);
    const at = (id: string) => findings.filter((x) => x.path.startsWith(`Bare/${id}`)).map((x) => x.rule);
    for (const rule of ROTATION_RULES) expect(at('Bare')).toContain(rule);
    expect(at('Bare').filter((r) => CUSTOMER_KEY_RULES.includes(r))).toEqual([]);
    for (const rule of CUSTOMER_KEY_RULES) expect(at('NoCustomerKey')).toContain(rule);
  });
});

describe('ApiClientKey key versions', () => {
  test('version 2: the secret regenerates (its template carries the version) and the API key is replaced (a new name)', () => {
    const { f } = keyedGateway(2);
    const json = Template.fromStack(f.stack).toJSON();
    const [[, secret]] = resourcesOfType(json, 'AWS::SecretsManager::Secret');
    expect(secret.Properties.GenerateSecretString.SecretStringTemplate).toBe('{"keyVersion":2}');
    const [[, apiKey]] = resourcesOfType(json, 'AWS::ApiGateway::ApiKey');
    expect(apiKey.Properties.Name).toBe('model-gateway-support-agent-v2');
  });

  test('a client without a key keeps the value API Gateway generates (no Value, no secret)', () => {
    const f = fixture();
    gateway(f, { clients: [client()] });
    const json = Template.fromStack(f.stack).toJSON();
    const [[, apiKey]] = resourcesOfType(json, 'AWS::ApiGateway::ApiKey');
    expect(apiKey.Properties.Value).toBeUndefined();
    expect(resourcesOfType(json, 'AWS::SecretsManager::Secret')).toHaveLength(0);
  });

  test.each<[string, number]>([
    ['zero', 0],
    ['a fraction', 1.5],
    ['negative', -1],
    ['too large', 1_000_001],
  ])('keyVersion %s is refused', (_name, keyVersion) => {
    const f = fixture();
    const dataKey = new kms.Key(f.stack, 'DataKey');
    expect(
      () =>
        new ApiClientKey(f.stack, 'AgentKey', {
          secretName: 'ztai/api-clients/support-agent',
          encryptionKey: dataKey,
          clientRoles: [f.agent],
          keyVersion,
        }),
    ).toThrow(new RegExp(`keyVersion must be a literal integer from 1 to 1000000, got ${String(keyVersion)}`));
  });
});

describe('ApiClientKey validation', () => {
  const make = (stack: Stack, props: Partial<ConstructorParameters<typeof ApiClientKey>[2]> = {}) => {
    const role = iam.Role.fromRoleArn(stack, 'Client', `arn:aws:iam::${ACCOUNT}:role/client`);
    return new ApiClientKey(stack, 'Key', {
      secretName: 'ztai/api-clients/client',
      encryptionKey: new kms.Key(stack, 'DataKey'),
      clientRoles: [role],
      ...props,
    });
  };

  test('a secret name Secrets Manager refuses is refused at synth', () => {
    expect(() => make(new Stack(newApp(), 'S'), { secretName: 'api clients/x' })).toThrow(
      /secretName must be 1-512 letters, digits and \/_\+=\.@-, got 'api clients\/x'/,
    );
    expect(() =>
      ApiClientKey.grantReadByName(new iam.AccountRootPrincipal(), 'a b', new kms.Key(new Stack(newApp(), 'T'), 'K')),
    ).toThrow(/secretName must be/);
  });

  test('no client role is refused', () => {
    expect(() => make(new Stack(newApp(), 'S'), { clientRoles: [] })).toThrow(
      /clientRoles must name at least one role, got \[\]/,
    );
  });

  test('a synthesizer with no execution role needs the deployment role named; with it, that role is admitted', () => {
    const app = new App();
    const stack = new Stack(app, 'Cli', { synthesizer: new CliCredentialsStackSynthesizer() });
    expect(() => make(stack)).toThrow(/deploymentRoleArn is required with a CliCredentialsStackSynthesizer/);
    const other = new Stack(new App(), 'Cli2', { synthesizer: new CliCredentialsStackSynthesizer() });
    const deployer = `arn:aws:iam::${ACCOUNT}:role/deployer`;
    const key = make(other, { deploymentRoleArn: deployer });
    expect(key.valueReaderArns).toEqual([`arn:aws:iam::${ACCOUNT}:role/client`, deployer]);
  });
});

describe('ApiClientKey.grantReadByName, evaluated', () => {
  let reader: RoleUnderTest;
  let keyArn: string;
  let keyPolicy: unknown;
  const secret = (name: string) => `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
  const own = secret('ztai/api-clients/support-agent');
  const other = secret('ztai/api-clients/claims-agent');
  const viaSecretsManager = `secretsmanager.${REGION}.amazonaws.com`;
  const decrypt = (context: Record<string, string>) =>
    evaluate({
      role: reader,
      action: 'kms:Decrypt',
      resourceArn: keyArn,
      resourcePolicy: keyPolicy,
      context: { 'kms:CallerAccount': ACCOUNT, ...context },
    });

  beforeAll(() => {
    const app = newApp();
    const stack = new Stack(app, 'Reader');
    // A key whose policy leaves every use to IAM: the grant is what is evaluated.
    const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    ApiClientKey.grantReadByName(role, 'ztai/api-clients/support-agent', key);
    const resolver = new CfnResolver(app);
    reader = roleUnderTest(resolver, 'Reader', resolver.find('Reader', 'AWS::IAM::Role', 'Role')[0]);
    const [keyId] = resolver.find('Reader', 'AWS::KMS::Key', 'DataKey');
    keyPolicy = resolver.resolve('Reader', resolver.template('Reader').Resources[keyId].Properties.KeyPolicy);
    keyArn = resolver.resolve('Reader', { 'Fn::GetAtt': [keyId, 'Arn'] });
  });

  test('reads its own secret by name (value and metadata), and no other secret', async () => {
    await expect(evaluate({ role: reader, action: 'secretsmanager:GetSecretValue', resourceArn: own })).resolves.toBe(
      'Allowed',
    );
    await expect(evaluate({ role: reader, action: 'secretsmanager:DescribeSecret', resourceArn: own })).resolves.toBe(
      'Allowed',
    );
    await expect(evaluate({ role: reader, action: 'secretsmanager:GetSecretValue', resourceArn: other })).resolves.toBe(
      'ImplicitlyDenied',
    );
    await expect(evaluate({ role: reader, action: 'secretsmanager:PutSecretValue', resourceArn: own })).resolves.toBe(
      'ImplicitlyDenied',
    );
  });

  test('decrypts with the key only through Secrets Manager, and only for its own secret', async () => {
    await expect(
      decrypt({ 'kms:ViaService': viaSecretsManager, 'kms:EncryptionContext:SecretARN': own }),
    ).resolves.toBe('Allowed');
    await expect(
      decrypt({ 'kms:ViaService': viaSecretsManager, 'kms:EncryptionContext:SecretARN': other }),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(
      decrypt({ 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:EncryptionContext:SecretARN': own }),
    ).resolves.toBe('ImplicitlyDenied');
    await expect(decrypt({})).resolves.toBe('ImplicitlyDenied');
  });
});
