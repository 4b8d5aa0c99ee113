/**
 * Model-data isolation between workloads, shown by IAM policy evaluation (not string matching):
 * the synthesized identity policies, permissions boundary, models-bucket policy and S3 gateway
 * endpoint policy of the reference app, evaluated for the requests SageMaker makes with an
 * execution role to load an uncompressed (S3Prefix) model: ListBucket on the version's files/
 * prefix, then GetObject on each object (from inside the VPC, or from SageMaker's own network).
 */
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { PlatformConfig } from '../../../lib/config/platform-config';
import { buildPlatform } from '../../../lib/platform-app';
import {
  bucketPolicy,
  CfnResolver,
  evaluate,
  RoleUnderTest,
  roleUnderTest,
  vpcEndpointPolicy,
} from '../../helpers/iam-eval';
import { newApp } from '../../helpers/stacks';

const DIGEST = `sha256:${'1'.repeat(64)}`;
const MODEL = { name: 'fraud-model', version: '1' };
/** An object the admission gate writes for a version: approved/<workload>/<model>/<version>/files/<path>. */
const FILE = (workload: string) => `approved/${workload}/fraud-model/1/files/model.safetensors`;

describe('SageMaker execution roles read only their own approved models', () => {
  let resolver: CfnResolver;
  let fraud: RoleUnderTest;
  let claims: RoleUnderTest;
  let batch: RoleUnderTest;
  let modelsPolicy: unknown;
  let modelsBucketName: string;
  let gateway: { id: string; policy: unknown };

  beforeAll(() => {
    const app = newApp();
    const config = {
      ...DEFAULT_PLATFORM_CONFIG,
      workloads: [
        {
          name: 'fraud-scoring',
          kind: 'realtime-inference',
          instanceType: 'ml.g5.xlarge',
          compute: { imageDigest: DIGEST, model: MODEL },
        },
        {
          name: 'claims-triage',
          kind: 'realtime-inference',
          instanceType: 'ml.g5.xlarge',
          compute: { imageDigest: DIGEST, model: MODEL },
        },
        { name: 'doc-finetune', kind: 'batch', instanceType: 'g5.2xlarge' },
      ],
    } as unknown as PlatformConfig;
    buildPlatform(app, config);

    resolver = new CfnResolver(app);
    const role = (stackName: string) =>
      roleUnderTest(resolver, stackName, resolver.find(stackName, 'AWS::IAM::Role', 'Identity')[0]);
    fraud = role('ztai-workload-fraud-scoring');
    claims = role('ztai-workload-claims-triage');
    batch = role('ztai-workload-doc-finetune');

    const [modelsBucketId] = resolver.find('ztai-platform', 'AWS::S3::Bucket', 'ModelsBucket');
    modelsPolicy = bucketPolicy(resolver, 'ztai-platform', modelsBucketId);
    modelsBucketName = resolver.physicalName('ztai-platform', modelsBucketId);
    const [gatewayId] = resolver
      .find('ztai-platform', 'AWS::EC2::VPCEndpoint')
      .filter((id) => resolver.template('ztai-platform').Resources[id].Properties.VpcEndpointType === 'Gateway');
    gateway = {
      id: resolver.resolve('ztai-platform', { Ref: gatewayId }),
      policy: vpcEndpointPolicy(resolver, 'ztai-platform', gatewayId),
    };
  });

  const object = (key: string) => `arn:aws:s3:::${modelsBucketName}/${key}`;
  const getModel = (role: RoleUnderTest, key: string, viaGateway: boolean) =>
    evaluate({
      role,
      action: 's3:GetObject',
      resourceArn: object(key),
      resourcePolicy: modelsPolicy,
      viaVpcEndpoint: viaGateway ? gateway : undefined,
    });
  const listModels = (role: RoleUnderTest, prefix: string, viaGateway = true) =>
    evaluate({
      role,
      action: 's3:ListBucket',
      resourceArn: `arn:aws:s3:::${modelsBucketName}`,
      resourcePolicy: modelsPolicy,
      viaVpcEndpoint: viaGateway ? gateway : undefined,
      context: { 's3:prefix': prefix },
    });

  test('the roles under test are the SageMaker execution roles, named and bounded and tagged', () => {
    expect(fraud.roleArn).toBe('arn:aws:iam::111122223333:role/ztai/sagemaker-execution/ztai-workload-fraud-scoring');
    // The platform's boundary (named by its logical path or its ARN, depending on the resolver).
    expect(fraud.boundary?.name).toMatch(/^ztai-platform\/PermissionsBoundary|:policy\/ztai-platform-boundary$/);
    expect(fraud.tags['ai-platform:workload']).toBe('fraud-scoring');
    expect(claims.tags['ai-platform:workload']).toBe('claims-triage');
  });

  test.each([
    ['through the S3 gateway endpoint', true],
    ['from the SageMaker service network (no aws:SourceVpce)', false],
  ])('fraud-scoring reads the files of its own approved model version %s', async (_how, viaGateway) => {
    await expect(getModel(fraud, FILE('fraud-scoring'), viaGateway)).resolves.toBe('Allowed');
  });

  test.each([
    ['through the S3 gateway endpoint', true],
    ['from the SageMaker service network (no aws:SourceVpce)', false],
  ])('fraud-scoring lists the S3Prefix of its model version %s', async (_how, viaGateway) => {
    await expect(listModels(fraud, 'approved/fraud-scoring/fraud-model/1/files/', viaGateway)).resolves.toBe('Allowed');
  });

  test("fraud-scoring cannot read claims-triage's approved model, inside or outside the VPC", async () => {
    await expect(getModel(fraud, FILE('claims-triage'), true)).resolves.toBe('ImplicitlyDenied');
    // Outside the VPC its named exemption covers its own prefix only: the bucket's deny applies.
    await expect(getModel(fraud, FILE('claims-triage'), false)).resolves.toBe('ExplicitlyDenied');
  });

  test("claims-triage reads its own model and not fraud-scoring's", async () => {
    await expect(getModel(claims, FILE('claims-triage'), true)).resolves.toBe('Allowed');
    await expect(getModel(claims, FILE('fraud-scoring'), true)).resolves.toBe('ImplicitlyDenied');
  });

  test('a name that extends another workload name is another prefix (approved/fraud-scoring-v2/)', async () => {
    await expect(getModel(fraud, FILE('fraud-scoring-v2'), true)).resolves.toBe('ImplicitlyDenied');
  });

  test('unapproved models of its own workload are out of reach (only approved/<workload>/, never incoming/)', async () => {
    await expect(getModel(fraud, 'incoming/fraud-scoring/fraud-model/2/files/model.safetensors', true)).resolves.toBe(
      'ImplicitlyDenied',
    );
  });

  test('listing is limited to its own approved prefix', async () => {
    await expect(listModels(fraud, 'approved/fraud-scoring/')).resolves.toBe('Allowed');
    await expect(listModels(fraud, 'approved/claims-triage/fraud-model/1/files/')).resolves.toBe('ImplicitlyDenied');
    await expect(listModels(fraud, 'approved/')).resolves.toBe('ImplicitlyDenied');
  });

  test('the network exemption is only for named real-time roles: the batch fleet role is denied outside the endpoint', async () => {
    await expect(getModel(batch, 'approved/doc-finetune/m/1/files/model.bin', true)).resolves.toBe('Allowed');
    await expect(getModel(batch, 'approved/doc-finetune/m/1/files/model.bin', false)).resolves.toBe('ExplicitlyDenied');
  });

  // The exemption is one statement for the real-time execution roles (role/<path>/<platform>-workload-*), each
  // confined to the prefix its own ai-platform:workload tag names (the bucket policy stays under S3's 20 KB
  // at 300 workloads). Only IAM administrators can name and tag a role so: the boundary denies iam:* to
  // every platform role.
  test('a role outside the real-time family, with the same grants and tag, is not exempt', async () => {
    const outsider = { ...fraud, roleArn: 'arn:aws:iam::111122223333:role/ztai/sagemaker-execution/other-role' };
    await expect(getModel(outsider, FILE('fraud-scoring'), true)).resolves.toBe('Allowed');
    await expect(getModel(outsider, FILE('fraud-scoring'), false)).resolves.toBe('ExplicitlyDenied');
  });

  test('a role of the family is exempt only for the workload its tag names, and not at all untagged', async () => {
    const other = {
      ...fraud,
      roleArn: 'arn:aws:iam::111122223333:role/ztai/sagemaker-execution/ztai-workload-other',
      tags: { ...fraud.tags, 'ai-platform:workload': 'other' },
    };
    await expect(getModel(other, FILE('fraud-scoring'), false)).resolves.toBe('ExplicitlyDenied');
    const untagged = { ...other, tags: {} };
    await expect(getModel(untagged, FILE('fraud-scoring'), false)).resolves.toBe('ExplicitlyDenied');
  });
});

describe("without the workload role's named exemption (negative control)", () => {
  test('SageMaker could not download its model from its own network: the bucket denies requests outside the endpoint', async () => {
    const app = newApp();
    const config = {
      ...DEFAULT_PLATFORM_CONFIG,
      adminPrincipalArns: [],
      workloads: [
        {
          name: 'fraud-scoring',
          kind: 'realtime-inference',
          instanceType: 'ml.g5.xlarge',
          compute: { imageDigest: DIGEST, model: MODEL },
        },
      ],
    } as unknown as PlatformConfig;
    buildPlatform(app, config);
    const resolver = new CfnResolver(app);
    const stack = 'ztai-workload-fraud-scoring';
    const fraud = roleUnderTest(resolver, stack, resolver.find(stack, 'AWS::IAM::Role', 'Identity')[0]);
    const [bucketId] = resolver.find('ztai-platform', 'AWS::S3::Bucket', 'ModelsBucket');
    const request = {
      role: fraud,
      action: 's3:GetObject',
      resourceArn: `arn:aws:s3:::${resolver.physicalName('ztai-platform', bucketId)}/${FILE('fraud-scoring')}`,
      resourcePolicy: withoutExecutionRoleExemption(bucketPolicy(resolver, 'ztai-platform', bucketId)),
    };
    await expect(evaluate(request)).resolves.toBe('ExplicitlyDenied');
    // ...and with the exemption as synthesized, the same request is allowed.
    await expect(
      evaluate({ ...request, resourcePolicy: bucketPolicy(resolver, 'ztai-platform', bucketId) }),
    ).resolves.toBe('Allowed');
  });
});

/** The bucket policy with the SageMaker execution roles removed from every `aws:PrincipalArn` exemption. */
function withoutExecutionRoleExemption(policy: any): any {
  const copy = JSON.parse(JSON.stringify(policy));
  for (const statement of copy.Statement) {
    const arns = statement.Condition?.ArnNotLike?.['aws:PrincipalArn'];
    if (!arns) continue;
    const kept = [arns].flat().filter((a: string) => !a.includes('/ztai/sagemaker-execution/'));
    if (kept.length > 0) statement.Condition.ArnNotLike['aws:PrincipalArn'] = kept;
    else delete statement.Condition.ArnNotLike;
  }
  return copy;
}
