/**
 * Model integrity by IAM policy evaluation (not string matching): the reference app with the
 * model-integrity wiring (lib/integrity.ts), its synthesized identity policies, permissions boundary,
 * signing-key policy, models-bucket policy and S3 gateway endpoint policy, evaluated with
 * @cloud-copilot/iam-simulate for the requests each role would make.
 */
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { signingKeyAlias } from '../../../lib/integrity';
import { buildPlatform } from '../../../lib/platform-app';
import {
  ACCOUNT,
  bucketPolicy,
  CfnResolver,
  Decision,
  evaluate,
  RoleUnderTest,
  roleUnderTest,
  vpcEndpointPolicy,
} from '../../helpers/iam-eval';
import { newApp } from '../../helpers/stacks';

const PLATFORM = 'ztai-platform';
const config = DEFAULT_PLATFORM_CONFIG;

describe('model integrity, by IAM policy evaluation', () => {
  let resolver: CfnResolver;
  let admission: RoleUnderTest;
  let signer: RoleUnderTest;
  let fraud: RoleUnderTest;
  let batch: RoleUnderTest;
  let modelsPolicy: unknown;
  let keyPolicy: unknown;
  let keyArn: string;
  let modelsKeyArn: string;
  let modelsKeyPolicy: unknown;
  let repositoryArn: string;
  let repositoryPolicy: unknown;
  let bucketName: string;
  let gateway: { id: string; policy: unknown };

  beforeAll(() => {
    // Bundling is not under test here (model-admission-gate.test.ts bundles): skip it for speed.
    const app = newApp({ 'aws:cdk:bundling-stacks': [] });
    buildPlatform(app, config);

    resolver = new CfnResolver(app);
    const first = (stack: string, type: string, prefix: string) => {
      const ids = resolver.find(stack, type, prefix);
      expect(ids).toHaveLength(1);
      return ids[0];
    };
    admission = roleUnderTest(resolver, PLATFORM, first(PLATFORM, 'AWS::IAM::Role', 'ModelAdmissionRole'));
    signer = roleUnderTest(resolver, PLATFORM, first(PLATFORM, 'AWS::IAM::Role', 'ModelSigner'));
    const workloadRole = (stack: string) =>
      roleUnderTest(resolver, stack, resolver.find(stack, 'AWS::IAM::Role', 'Identity')[0]);
    fraud = workloadRole('ztai-workload-fraud-scoring');
    batch = workloadRole('ztai-workload-doc-finetune');

    const bucketId = first(PLATFORM, 'AWS::S3::Bucket', 'ModelsBucket');
    modelsPolicy = bucketPolicy(resolver, PLATFORM, bucketId);
    bucketName = resolver.physicalName(PLATFORM, bucketId);
    const keyId = first(PLATFORM, 'AWS::KMS::Key', 'ModelSigningKey');
    keyPolicy = resolver.resolve(PLATFORM, resolver.template(PLATFORM).Resources[keyId].Properties.KeyPolicy);
    keyArn = resolver.resolve(PLATFORM, { 'Fn::GetAtt': [keyId, 'Arn'] });
    const modelsKeyId = first(PLATFORM, 'AWS::KMS::Key', 'KeysModels');
    modelsKeyArn = resolver.resolve(PLATFORM, { 'Fn::GetAtt': [modelsKeyId, 'Arn'] });
    modelsKeyPolicy = resolver.resolve(
      PLATFORM,
      resolver.template(PLATFORM).Resources[modelsKeyId].Properties.KeyPolicy,
    );
    const repositoryId = first(PLATFORM, 'AWS::ECR::Repository', 'WorkloadImagesfraudscoring');
    repositoryArn = resolver.resolve(PLATFORM, { 'Fn::GetAtt': [repositoryId, 'Arn'] });
    repositoryPolicy = resolver.resolve(
      PLATFORM,
      resolver.template(PLATFORM).Resources[repositoryId].Properties.RepositoryPolicyText,
    );
    const [gatewayId] = resolver
      .find(PLATFORM, 'AWS::EC2::VPCEndpoint')
      .filter((id) => resolver.template(PLATFORM).Resources[id].Properties.VpcEndpointType === 'Gateway');
    gateway = {
      id: resolver.resolve(PLATFORM, { Ref: gatewayId }),
      policy: vpcEndpointPolicy(resolver, PLATFORM, gatewayId),
    };
  });

  const object = (key: string) => `arn:aws:s3:::${bucketName}/${key}`;
  /**
   * An S3 request through the platform's gateway endpoint. Writes name SSE-KMS and the models key, as
   * the gate does (the bucket denies writes that do not).
   */
  const s3 = (role: RoleUnderTest, action: string, key: string): Promise<Decision> =>
    evaluate({
      role,
      action,
      resourceArn: object(key),
      resourcePolicy: modelsPolicy,
      viaVpcEndpoint: gateway,
      context: /^s3:(PutObject|CopyObject)$/.test(action)
        ? {
            's3:x-amz-server-side-encryption': 'aws:kms',
            's3:x-amz-server-side-encryption-aws-kms-key-id': modelsKeyArn,
          }
        : {},
    });
  /** A KMS call on the signing key as `ztai-model` makes it: ECDSA_SHA_256 over a digest. */
  const kms = (
    role: RoleUnderTest,
    action: string,
    messageType = 'DIGEST',
    aliases = [signingKeyAlias(config)],
  ): Promise<Decision> =>
    evaluate({
      role,
      action,
      resourceArn: keyArn,
      resourcePolicy: keyPolicy,
      context: {
        'kms:CallerAccount': ACCOUNT,
        'kms:ResourceAliases': aliases,
        ...(action === 'kms:GetPublicKey'
          ? {}
          : { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': messageType }),
      },
    });

  /** The deployer: CDK's CloudFormation execution role, which has AdministratorAccess (kms:* included). */
  const deployer: RoleUnderTest = {
    roleArn: `arn:aws:iam::${ACCOUNT}:role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-eu-west-1`,
    identityPolicies: [
      {
        name: 'AdministratorAccess',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
    ],
    tags: {},
  };

  describe('approved/ is written only by the admission role', () => {
    const approved = 'approved/fraud-scoring/scorer/1.0.0/files/model.bin';

    test('the admission role may copy into approved/ and clean up there', async () => {
      expect(await s3(admission, 's3:PutObject', approved)).toBe('Allowed');
      expect(await s3(admission, 's3:DeleteObject', approved)).toBe('Allowed');
      expect(await s3(admission, 's3:AbortMultipartUpload', approved)).toBe('Allowed');
    });

    test('the admission role reads incoming/ and approved bundles, writes rejection records, and nothing else', async () => {
      expect(await s3(admission, 's3:GetObjectVersion', 'incoming/fraud-scoring/scorer/1.0.0/files/model.bin')).toBe(
        'Allowed',
      );
      expect(await s3(admission, 's3:GetObject', 'approved/fraud-scoring/scorer/1.0.0/bundle.json')).toBe('Allowed');
      expect(await s3(admission, 's3:GetObject', 'approved/fraud-scoring/scorer/1.0.0/files/model.bin')).toBe(
        'ImplicitlyDenied',
      );
      expect(await s3(admission, 's3:PutObject', 'rejected/fraud-scoring/scorer/1.0.0/t.json')).toBe('Allowed');
      expect(await s3(admission, 's3:PutObject', 'incoming/fraud-scoring/scorer/1.0.0/bundle.json')).toBe(
        'ImplicitlyDenied',
      );
      expect(await s3(admission, 's3:DeleteObject', 'incoming/fraud-scoring/scorer/1.0.0/bundle.json')).toBe(
        'ImplicitlyDenied',
      );
      expect(await s3(admission, 's3:DeleteObjectVersion', approved)).toBe('ImplicitlyDenied');
    });

    test.each([
      ['s3:PutObject'],
      ['s3:DeleteObject'],
      ['s3:DeleteObjectVersion'],
      ['s3:PutObjectTagging'],
      ['s3:PutObjectRetention'],
    ])('inference (SageMaker execution) roles cannot %s under approved/, not even their own', async (action) => {
      expect(await s3(fraud, action, approved)).toBe('ExplicitlyDenied');
      expect(await s3(batch, action, 'approved/doc-finetune/m/1/files/w.bin')).toBe('ExplicitlyDenied');
    });

    test('inference roles read only approved/ of their own workload', async () => {
      expect(await s3(fraud, 's3:GetObject', approved)).toBe('Allowed');
      expect(await s3(fraud, 's3:GetObject', 'approved/doc-finetune/m/1/files/w.bin')).toBe('ImplicitlyDenied');
      expect(await s3(fraud, 's3:GetObject', 'incoming/fraud-scoring/scorer/1.0.0/files/model.bin')).toBe(
        'ImplicitlyDenied',
      );
      expect(await s3(batch, 's3:GetObject', approved)).toBe('ImplicitlyDenied');
    });

    test('even an administrator (s3:* on *) is denied approved/ writes by the bucket policy, not incoming/ ones', async () => {
      expect(await s3(deployer, 's3:PutObject', approved)).toBe('ExplicitlyDenied');
      expect(await s3(deployer, 's3:DeleteObjectVersion', approved)).toBe('ExplicitlyDenied');
      expect(await s3(deployer, 's3:PutObject', 'incoming/fraud-scoring/scorer/1.0.0/bundle.json')).toBe('Allowed');
    });
  });

  describe('only the signer signs', () => {
    test('the signer role may kms:Sign a digest with ECDSA_SHA_256 and read the public key, and do nothing else with the key', async () => {
      expect(await kms(signer, 'kms:Sign')).toBe('Allowed');
      expect(await kms(signer, 'kms:GetPublicKey')).toBe('Allowed');
      expect(await kms(signer, 'kms:Sign', 'RAW')).toBe('ImplicitlyDenied');
      expect(await kms(signer, 'kms:Verify')).toBe('ImplicitlyDenied');
      expect(await kms(signer, 'kms:CreateGrant')).toBe('ImplicitlyDenied');
    });

    test('the deployer (AdministratorAccess) cannot kms:Sign, verify or create a grant: the key policy does not delegate them to IAM', async () => {
      expect(await kms(deployer, 'kms:Sign')).toBe('ImplicitlyDenied');
      expect(await kms(deployer, 'kms:Verify')).toBe('ImplicitlyDenied');
      expect(await kms(deployer, 'kms:GetPublicKey')).toBe('ImplicitlyDenied');
      expect(await kms(deployer, 'kms:CreateGrant')).toBe('ImplicitlyDenied');
      // It can still administer the key (CloudFormation must update it): a policy change is the
      // escalation path left, recorded by CloudTrail and denied to every platform role by the boundary.
      expect(await kms(deployer, 'kms:PutKeyPolicy')).toBe('Allowed');
    });

    test('the admission role may kms:Verify and read the public key, and not sign', async () => {
      expect(await kms(admission, 'kms:Verify')).toBe('Allowed');
      expect(await kms(admission, 'kms:GetPublicKey')).toBe('Allowed');
      expect(await kms(admission, 'kms:Sign')).toBe('ImplicitlyDenied');
      // The permissions boundary denies key-policy changes to every platform role.
      expect(await kms(admission, 'kms:PutKeyPolicy')).toBe('ExplicitlyDenied');
    });

    test('the permissions boundary admits signing-key use only on the key with the model-signing alias', async () => {
      expect(await kms(admission, 'kms:Verify', 'DIGEST', ['alias/ztai/other'])).toBe('ImplicitlyDenied');
      expect(await kms(signer, 'kms:Sign', 'DIGEST', ['alias/ztai/other'])).toBe('ImplicitlyDenied');
    });

    test('inference roles can neither sign nor verify', async () => {
      for (const action of ['kms:Sign', 'kms:Verify', 'kms:GetPublicKey']) {
        expect(await kms(fraud, action)).toBe('ImplicitlyDenied');
      }
    });
  });
  describe('the release role uploads to incoming/ and pushes images, and nothing more', () => {
    const incoming = 'incoming/fraud-scoring/fraud-model/1/files/weights/model.bin';
    /** An S3 request from a CI runner outside the VPC (no aws:SourceVpce), with optional SSE headers. */
    const fromCi = (role: RoleUnderTest, action: string, key: string, sse: Record<string, string> = {}) =>
      evaluate({ role, action, resourceArn: object(key), resourcePolicy: modelsPolicy, context: sse });
    const sseWithModelsKey = () => ({
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': modelsKeyArn,
    });

    test('from CI outside the VPC: PutObject (and multipart parts, which carry no SSE headers), Abort and ListParts under incoming/', async () => {
      expect(await fromCi(signer, 's3:PutObject', incoming)).toBe('Allowed');
      expect(await fromCi(signer, 's3:PutObject', incoming, sseWithModelsKey())).toBe('Allowed');
      expect(await fromCi(signer, 's3:AbortMultipartUpload', incoming)).toBe('Allowed');
      expect(await fromCi(signer, 's3:ListMultipartUploadParts', incoming)).toBe('Allowed');
      // Through the platform's gateway endpoint too.
      expect(await s3(signer, 's3:PutObject', incoming)).toBe('Allowed');
    });

    test('an upload naming another key or SSE-S3 is denied by the bucket', async () => {
      expect(
        await fromCi(signer, 's3:PutObject', incoming, {
          's3:x-amz-server-side-encryption': 'aws:kms',
          's3:x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:eu-west-1:111122223333:key/other',
        }),
      ).toBe('ExplicitlyDenied');
      expect(await fromCi(signer, 's3:PutObject', incoming, { 's3:x-amz-server-side-encryption': 'AES256' })).toBe(
        'ExplicitlyDenied',
      );
    });

    test('no write outside incoming/, no read, no delete', async () => {
      expect(await fromCi(signer, 's3:PutObject', 'approved/fraud-scoring/fraud-model/1/files/model.bin')).toBe(
        'ExplicitlyDenied',
      );
      expect(await s3(signer, 's3:PutObject', 'approved/fraud-scoring/fraud-model/1/files/model.bin')).toBe(
        'ExplicitlyDenied',
      );
      expect(await s3(signer, 's3:PutObject', 'rejected/fraud-scoring/fraud-model/1/x.json')).toBe('ImplicitlyDenied');
      expect(await s3(signer, 's3:GetObject', incoming)).toBe('ImplicitlyDenied');
      expect(await s3(signer, 's3:DeleteObject', incoming)).toBe('ImplicitlyDenied');
      expect(await fromCi(signer, 's3:GetObject', incoming)).toBe('ExplicitlyDenied');
    });

    test('S3 may use the models key on its behalf (GenerateDataKey for the upload, Decrypt for multipart parts); directly it may not', async () => {
      const viaS3 = { 'kms:ViaService': 's3.eu-west-1.amazonaws.com', 'kms:CallerAccount': ACCOUNT };
      const key = (action: string, context: Record<string, string>) =>
        evaluate({ role: signer, action, resourceArn: modelsKeyArn, resourcePolicy: modelsKeyPolicy, context });
      expect(await key('kms:GenerateDataKey', viaS3)).toBe('Allowed');
      expect(await key('kms:Decrypt', viaS3)).toBe('Allowed');
      expect(await key('kms:Decrypt', { 'kms:CallerAccount': ACCOUNT })).toBe('ImplicitlyDenied');
      expect(await key('kms:Encrypt', viaS3)).toBe('ImplicitlyDenied');
    });

    test('docker push to a workload repository: login and every push action; another repository, or a workload role, no', async () => {
      expect(await evaluate({ role: signer, action: 'ecr:GetAuthorizationToken', resourceArn: '*' })).toBe('Allowed');
      const push = (role: RoleUnderTest, action: string, arn = repositoryArn) =>
        evaluate({ role, action, resourceArn: arn, resourcePolicy: repositoryPolicy });
      for (const action of [
        'ecr:BatchCheckLayerAvailability',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
        'ecr:PutImage',
        'ecr:BatchGetImage',
      ]) {
        expect({ action, decision: await push(signer, action) }).toEqual({ action, decision: 'Allowed' });
      }
      expect(
        await evaluate({
          role: signer,
          action: 'ecr:PutImage',
          resourceArn: 'arn:aws:ecr:eu-west-1:111122223333:repository/other/image',
        }),
      ).toBe('ImplicitlyDenied');
      expect(await push(signer, 'ecr:DeleteRepository')).toBe('ImplicitlyDenied');
      expect(await push(fraud, 'ecr:PutImage')).not.toBe('Allowed');
    });
  });
});
