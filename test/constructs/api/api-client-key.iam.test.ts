/**
 * "Only the support agent can read its API key", shown by IAM policy evaluation of the synthesized
 * reference app (test/helpers/iam-eval.ts): the agent's role reads its key's secret through the
 * Secrets Manager endpoint of the VPC; every other workload role, even given an identity grant, is
 * explicitly denied by the secret's resource policy (and, without that policy, the same grant would
 * get through); an agent cannot read another client's key; the deployment role can still resolve
 * the key's dynamic reference, and administrators can still manage the secret but not read it.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { PlatformConfig } from '../../../lib/config/platform-config';
import { buildPlatform, Platform } from '../../../lib/platform-app';
import {
  ACCOUNT,
  CfnResolver,
  evaluate,
  PARTITION,
  REGION,
  RoleUnderTest,
  roleUnderTest,
  vpcEndpointPolicy,
} from '../../helpers/iam-eval';
import { newApp, resourcesOfType } from '../../helpers/stacks';

const API = 'ztai-api';
const PLATFORM = 'ztai-platform';
const DEPLOYMENT_ROLE = `arn:${PARTITION}:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-${REGION}`;

/** The reference app with a second agent that is also a metered client of the fraud model. */
const TWO_CLIENTS: PlatformConfig = {
  ...DEFAULT_PLATFORM_CONFIG,
  workloads: [
    ...DEFAULT_PLATFORM_CONFIG.workloads,
    { name: 'claims-agent', kind: 'agent', description: 'Claims agent', invokes: ['fraud-scoring'] },
  ],
  api: {
    clients: [
      ...(DEFAULT_PLATFORM_CONFIG.api?.clients ?? []),
      { caller: 'claims-agent', rateLimit: 5, burstLimit: 10, quotaLimit: 1000, quotaPeriod: 'DAY' },
    ],
  },
};

/** What a deployed reference app holds for key delivery, resolved as in ACCOUNT/REGION. */
interface KeyDelivery {
  readonly resolver: CfnResolver;
  readonly built: Platform;
  readonly role: (workload: string) => RoleUnderTest;
  readonly secretArn: (caller: string) => string;
  readonly secretPolicy: (caller: string) => any;
  readonly endpoint: { id: string; policy: any };
}

function keyDelivery(config: PlatformConfig): KeyDelivery {
  const app = newApp();
  const built = buildPlatform(app, config);
  const resolver = new CfnResolver(app);
  const secretId = (caller: string) =>
    resolver.find(API, 'AWS::SecretsManager::Secret', `ClientKey${caller.replace(/-/g, '')}`)[0];
  const [endpointId] = resolver.find(PLATFORM, 'AWS::EC2::VPCEndpoint', 'NetworkSecretsmanager');
  return {
    resolver,
    built,
    role: (workload) => {
      const stack = `ztai-workload-${workload}`;
      return roleUnderTest(resolver, stack, resolver.find(stack, 'AWS::IAM::Role', 'Identity')[0]);
    },
    secretArn: (caller) => resolver.resolve(API, { Ref: secretId(caller) }),
    secretPolicy: (caller) => {
      const [policyId] = resolver.find(
        API,
        'AWS::SecretsManager::ResourcePolicy',
        `ClientKey${caller.replace(/-/g, '')}`,
      );
      return resolver.resolve(API, resolver.template(API).Resources[policyId].Properties.ResourcePolicy);
    },
    endpoint: {
      id: resolver.resolve(PLATFORM, { Ref: endpointId }),
      policy: vpcEndpointPolicy(resolver, PLATFORM, endpointId),
    },
  };
}

/** The role, with one more identity policy that allows these Secrets Manager actions on `secretArn`. */
function withSecretGrant(
  role: RoleUnderTest,
  secretArn: string,
  actions = ['secretsmanager:GetSecretValue'],
): RoleUnderTest {
  return {
    ...role,
    identityPolicies: [
      ...role.identityPolicies,
      {
        name: 'added-secret-grant',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: secretArn }] },
      },
    ],
  };
}

/** A principal outside the platform boundary whose own policy allows everything (the secret's policy decides). */
function unbounded(roleArn: string): RoleUnderTest {
  return {
    roleArn,
    identityPolicies: [
      {
        name: 'Everything',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
    ],
    tags: {},
  };
}

describe('reference app: only the support agent can read its API key', () => {
  let k: KeyDelivery;
  let agent: RoleUnderTest;
  let secretArn: string;
  let secretPolicy: any;
  const read = (role: RoleUnderTest, options: { action?: string; policy?: any; viaEndpoint?: boolean } = {}) =>
    evaluate({
      role,
      action: options.action ?? 'secretsmanager:GetSecretValue',
      resourceArn: secretArn,
      resourcePolicy: 'policy' in options ? options.policy : secretPolicy,
      viaVpcEndpoint: options.viaEndpoint === false ? undefined : k.endpoint,
    });

  beforeAll(() => {
    k = keyDelivery(DEFAULT_PLATFORM_CONFIG);
    agent = k.role('support-agent');
    secretArn = k.secretArn('support-agent');
    secretPolicy = k.secretPolicy('support-agent');
  });

  test('the secret is named from config and its ARN is what the agent is granted', () => {
    expect(secretArn).toMatch(
      new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ztai/api-clients/support-agent-[A-Za-z0-9]{6}$`),
    );
    expect(agent.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/ztai-workload-support-agent`);
  });

  test('the agent reads its key (and the metadata caching clients check) through the Secrets Manager endpoint', async () => {
    await expect(read(agent)).resolves.toBe('Allowed');
    await expect(read(agent, { action: 'secretsmanager:DescribeSecret' })).resolves.toBe('Allowed');
  });

  test.each(['doc-finetune', 'fraud-scoring'])(
    'the %s workload role is explicitly denied the key by the secret policy, even given an identity grant on it',
    async (workload) => {
      const other = k.role(workload);
      await expect(read(other)).resolves.toBe('ExplicitlyDenied');
      await expect(read(withSecretGrant(other, secretArn))).resolves.toBe('ExplicitlyDenied');
      await expect(read(other, { action: 'secretsmanager:DescribeSecret' })).resolves.toBe('ImplicitlyDenied');
    },
  );

  test('negative control: without the secret policy, the same identity grant would be allowed', async () => {
    const batch = withSecretGrant(k.role('doc-finetune'), secretArn);
    await expect(read(batch, { policy: undefined })).resolves.toBe('Allowed');
    await expect(read(k.role('doc-finetune'), { policy: undefined })).resolves.toBe('ImplicitlyDenied');
  });

  test('the deployment role (CloudFormation resolves the dynamic reference with it) may read the key; an administrator may manage the secret but not read it', async () => {
    await expect(read(unbounded(DEPLOYMENT_ROLE), { viaEndpoint: false })).resolves.toBe('Allowed');
    const admin = unbounded(`arn:aws:iam::${ACCOUNT}:role/admin`);
    await expect(read(admin, { viaEndpoint: false })).resolves.toBe('ExplicitlyDenied');
    for (const action of [
      'secretsmanager:DescribeSecret',
      'secretsmanager:UpdateSecret',
      'secretsmanager:PutResourcePolicy',
      'secretsmanager:TagResource',
    ]) {
      await expect(read(admin, { action, viaEndpoint: false })).resolves.toBe('Allowed');
    }
  });

  test('the Secrets Manager endpoint admits reads only: a write through it is refused even with an identity grant', async () => {
    const writer = withSecretGrant(agent, secretArn, ['secretsmanager:PutSecretValue']);
    await expect(read(writer, { action: 'secretsmanager:PutSecretValue' })).resolves.toBe('ImplicitlyDenied');
    await expect(read(writer, { action: 'secretsmanager:PutSecretValue', viaEndpoint: false })).resolves.toBe(
      'ImplicitlyDenied',
    ); // and the boundary has no secret writes either
  });

  test('the platform boundary is what admits the read: without its Secrets Manager ceiling the agent is denied', async () => {
    const boundary = agent.boundary!.policy;
    const ceiling = boundary.Statement.find((s: any) => s.Sid === 'ServiceCeiling');
    expect(ceiling.Action).toEqual(
      expect.arrayContaining(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']),
    );
    const withoutCeiling: RoleUnderTest = {
      ...agent,
      boundary: {
        name: agent.boundary!.name,
        policy: {
          ...boundary,
          Statement: boundary.Statement.map((s: any) =>
            s.Sid === 'ServiceCeiling'
              ? { ...s, Action: s.Action.filter((a: string) => !a.startsWith('secretsmanager:')) }
              : s,
          ),
        },
      },
    };
    await expect(read(withoutCeiling)).resolves.toBe('ImplicitlyDenied');
  });

  test('the data key lets Secrets Manager decrypt for the agent, and only through the services it names', async () => {
    const [keyId] = k.resolver.find(PLATFORM, 'AWS::KMS::Key', 'KeysData');
    const keyPolicy = k.resolver.resolve(PLATFORM, k.resolver.template(PLATFORM).Resources[keyId].Properties.KeyPolicy);
    const keyArn = k.resolver.resolve(PLATFORM, { 'Fn::GetAtt': [keyId, 'Arn'] });
    const decrypt = (viaService: string) =>
      evaluate({
        role: agent,
        action: 'kms:Decrypt',
        resourceArn: keyArn,
        resourcePolicy: keyPolicy,
        context: {
          'kms:CallerAccount': ACCOUNT,
          'kms:ViaService': viaService,
          'kms:EncryptionContext:SecretARN': secretArn,
        },
      });
    await expect(decrypt(`secretsmanager.${REGION}.amazonaws.com`)).resolves.toBe('Allowed');
    await expect(decrypt(`sns.${REGION}.amazonaws.com`)).resolves.not.toBe('Allowed');
  });

  test('only the client workload stack grants a read of a key secret, by name, and decrypt through Secrets Manager only', () => {
    for (const [name, stack] of k.built.workloads) {
      const json = Template.fromStack(stack).toJSON();
      const statements = resourcesOfType(json, 'AWS::IAM::ManagedPolicy').flatMap(
        ([, p]) => p.Properties.PolicyDocument.Statement,
      );
      const secretReads = statements.filter((s: any) => JSON.stringify(s.Action).includes('secretsmanager:'));
      if (name !== 'support-agent') {
        expect({ name, secretReads }).toEqual({ name, secretReads: [] });
        continue;
      }
      expect(secretReads).toHaveLength(1);
      expect(secretReads[0].Action).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
      expect(JSON.stringify(secretReads[0].Resource)).toContain(':secret:ztai/api-clients/support-agent-??????');
      const decrypt = statements.find((s: any) => s.Condition?.StringLike?.['kms:EncryptionContext:SecretARN']);
      expect(decrypt.Action).toBe('kms:Decrypt');
      expect(JSON.stringify(decrypt.Condition.StringEquals['kms:ViaService'])).toContain('secretsmanager.');
    }
  });
});

describe('reference app with two metered agents: each reads its own key only', () => {
  let k: KeyDelivery;

  beforeAll(() => {
    k = keyDelivery(TWO_CLIENTS);
  });

  test('each agent reads its own key through the endpoint', async () => {
    for (const caller of ['support-agent', 'claims-agent']) {
      await expect(
        evaluate({
          role: k.role(caller),
          action: 'secretsmanager:GetSecretValue',
          resourceArn: k.secretArn(caller),
          resourcePolicy: k.secretPolicy(caller),
          viaVpcEndpoint: k.endpoint,
        }),
      ).resolves.toBe('Allowed');
    }
  });

  test("the support agent is denied the claims agent's key: by that secret's policy, and by its own grant (by name) without it", async () => {
    const request = {
      role: k.role('support-agent'),
      action: 'secretsmanager:GetSecretValue',
      resourceArn: k.secretArn('claims-agent'),
      viaVpcEndpoint: k.endpoint,
    };
    await expect(evaluate({ ...request, resourcePolicy: k.secretPolicy('claims-agent') })).resolves.toBe(
      'ExplicitlyDenied',
    );
    await expect(evaluate(request)).resolves.toBe('ImplicitlyDenied');
  });

  test('one API key per client, each valued from its own secret', () => {
    const json = Template.fromStack(k.built.api!).toJSON();
    const values = Object.fromEntries(
      resourcesOfType(json, 'AWS::ApiGateway::ApiKey').map(([, key]) => [
        key.Properties.Name,
        key.Properties.Value['Fn::Join'][1][1].Ref,
      ]),
    );
    const secrets = Object.fromEntries(
      resourcesOfType(json, 'AWS::SecretsManager::Secret').map(([id, s]) => [s.Properties.Name, id]),
    );
    expect(values).toEqual({
      'ztai-model-gateway-support-agent': secrets['ztai/api-clients/support-agent'],
      'ztai-model-gateway-claims-agent': secrets['ztai/api-clients/claims-agent'],
    });
  });
});
