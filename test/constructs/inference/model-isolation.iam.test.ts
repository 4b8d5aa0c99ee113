/**
 * Model-data isolation between workloads, shown by IAM policy evaluation (not string matching):
 * the synthesized identity policies, permissions boundary, models-bucket policy and S3 gateway
 * endpoint policy of the reference app, evaluated for requests a SageMaker execution role makes.
 */
import { GpuModelEndpoint } from '../../../constructs/inference';
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
      // The platform-stack change this piece asks for: the buckets exempt the SageMaker
      // execution-role path (and only it) from their VPC-endpoint condition.
      adminPrincipalArns: [GpuModelEndpoint.executionRoleArnPattern()],
      workloads: [
        {
          name: 'fraud-scoring',
          kind: 'realtime-inference',
          instanceType: 'ml.g5.xlarge',
          compute: { imageDigest: DIGEST },
        },
        {
          name: 'claims-triage',
          kind: 'realtime-inference',
          instanceType: 'ml.g5.xlarge',
          compute: { imageDigest: DIGEST },
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
  const listModels = (role: RoleUnderTest, prefix: string) =>
    evaluate({
      role,
      action: 's3:ListBucket',
      resourceArn: `arn:aws:s3:::${modelsBucketName}`,
      resourcePolicy: modelsPolicy,
      viaVpcEndpoint: gateway,
      context: { 's3:prefix': prefix },
    });

  test('the roles under test are the SageMaker execution roles, bounded and tagged', () => {
    expect(fraud.roleArn).toMatch(/^arn:aws:iam::111122223333:role\/ztai\/sagemaker-execution\//);
    expect(fraud.boundary?.name).toMatch(/^ztai-platform\/PermissionsBoundary/);
    expect(fraud.tags['ai-platform:workload']).toBe('fraud-scoring');
    expect(claims.tags['ai-platform:workload']).toBe('claims-triage');
  });

  test.each([
    ['through the S3 gateway endpoint', true],
    ['from the SageMaker service network (no aws:SourceVpce)', false],
  ])('fraud-scoring reads its own approved model %s', async (_how, viaGateway) => {
    await expect(getModel(fraud, 'approved/fraud-scoring/v1/model.tar.gz', viaGateway)).resolves.toBe('Allowed');
  });

  test.each([
    ['through the S3 gateway endpoint', true],
    ['from the SageMaker service network (no aws:SourceVpce)', false],
  ])("fraud-scoring cannot read claims-triage's approved model %s", async (_how, viaGateway) => {
    await expect(getModel(fraud, 'approved/claims-triage/v1/model.tar.gz', viaGateway)).resolves.toBe(
      'ImplicitlyDenied',
    );
  });

  test("claims-triage reads its own model and not fraud-scoring's", async () => {
    await expect(getModel(claims, 'approved/claims-triage/v1/model.tar.gz', true)).resolves.toBe('Allowed');
    await expect(getModel(claims, 'approved/fraud-scoring/v1/model.tar.gz', true)).resolves.toBe('ImplicitlyDenied');
  });

  test('a name that extends another workload name is another prefix (approved/fraud-scoring-v2/)', async () => {
    await expect(getModel(fraud, 'approved/fraud-scoring-v2/model.tar.gz', true)).resolves.toBe('ImplicitlyDenied');
  });

  test('unapproved models of its own workload are out of reach (only approved/<workload>/)', async () => {
    await expect(getModel(fraud, 'candidates/fraud-scoring/v2/model.tar.gz', true)).resolves.toBe('ImplicitlyDenied');
  });

  test('listing is limited to its own approved prefix', async () => {
    await expect(listModels(fraud, 'approved/fraud-scoring/')).resolves.toBe('Allowed');
    await expect(listModels(fraud, 'approved/claims-triage/')).resolves.toBe('ImplicitlyDenied');
    await expect(listModels(fraud, 'approved/')).resolves.toBe('ImplicitlyDenied');
  });

  test('the path exemption is only for SageMaker execution roles: the batch fleet role is denied outside the endpoint', async () => {
    await expect(getModel(batch, 'approved/doc-finetune/v1/model.bin', true)).resolves.toBe('Allowed');
    await expect(getModel(batch, 'approved/doc-finetune/v1/model.bin', false)).resolves.toBe('ExplicitlyDenied');
  });
});

describe('without the execution-role path exemption (negative control)', () => {
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
          compute: { imageDigest: DIGEST },
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
      resourceArn: `arn:aws:s3:::${resolver.physicalName('ztai-platform', bucketId)}/approved/fraud-scoring/v1/model.tar.gz`,
      resourcePolicy: withoutExecutionRoleExemption(bucketPolicy(resolver, 'ztai-platform', bucketId)),
    };
    await expect(evaluate(request)).resolves.toBe('ExplicitlyDenied');
    // ...and with the exemption as synthesized, the same request is allowed.
    await expect(
      evaluate({ ...request, resourcePolicy: bucketPolicy(resolver, 'ztai-platform', bucketId) }),
    ).resolves.toBe('Allowed');
  });
});

/** The bucket policy with the SageMaker execution-role path removed from every `aws:PrincipalArn` exemption. */
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
