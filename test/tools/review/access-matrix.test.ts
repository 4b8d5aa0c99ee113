import { Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AccessMatrix, buildAccessMatrix, MatrixCell } from '../../../tools/review/access-matrix';
import { loadAssembly } from '../../../tools/review/assembly';
import { EncryptedBucket, WorkloadIdentity, WorkloadPrincipal } from '../../../constructs';
import { CDK_CONTEXT } from '../../helpers/stacks';
import { ENV, synthApp } from './helpers';

const OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'];

/**
 * Known answer: one bucket with prefixes a/ and b/ in a Data stack (behind an S3 gateway endpoint the
 * bucket policy requires), two workload roles in another stack (cross-stack references are weak
 * `Fn::GetStackOutput`s), and:
 * - role A: identity grants Get/Put/Delete on a/* and Get on b/*; the bucket policy denies it Get on b/*;
 * - role B: identity grants Get/Put/Delete on b/*; its permissions boundary denies s3:DeleteObject.
 */
function knownAnswerAssembly(options: { withBucketDeny?: boolean } = {}): string {
  return synthApp((app) => {
    const data = new Stack(app, 'Data', { env: ENV });
    const vpc = new ec2.Vpc(data, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'workload', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const s3Endpoint = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const bucket = new s3.Bucket(data, 'Bucket', { enforceSSL: true });
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyThroughTheEndpoint',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:*'],
        resources: [bucket.bucketArn, bucket.arnForObjects('*')],
        conditions: { StringNotEquals: { 'aws:SourceVpce': s3Endpoint.vpcEndpointId } },
      }),
    );
    if (options.withBucketDeny !== false) {
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'NotBsDataForA',
          effect: iam.Effect.DENY,
          principals: [new iam.ArnPrincipal(`arn:aws:iam::${ENV.account}:role/workload-a`)],
          actions: ['s3:GetObject'],
          resources: [bucket.arnForObjects('b/*')],
        }),
      );
    }

    const workloads = new Stack(app, 'Workloads', { env: ENV });
    const allowS3 = new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] });
    const boundaryA = new iam.ManagedPolicy(workloads, 'BoundaryA', { statements: [allowS3] });
    const boundaryB = new iam.ManagedPolicy(workloads, 'BoundaryB', {
      statements: [
        allowS3,
        new iam.PolicyStatement({
          sid: 'NoDeletes',
          effect: iam.Effect.DENY,
          actions: ['s3:DeleteObject'],
          resources: ['*'],
        }),
      ],
    });
    const roleA = new iam.Role(workloads, 'RoleA', {
      roleName: 'workload-a',
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      permissionsBoundary: boundaryA,
    });
    roleA.addToPolicy(new iam.PolicyStatement({ actions: OBJECT_ACTIONS, resources: [bucket.arnForObjects('a/*')] }));
    roleA.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('b/*')] }));
    const roleB = new iam.Role(workloads, 'RoleB', {
      roleName: 'workload-b',
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      permissionsBoundary: boundaryB,
    });
    roleB.addToPolicy(new iam.PolicyStatement({ actions: OBJECT_ACTIONS, resources: [bucket.arnForObjects('b/*')] }));
    Tags.of(roleA).add('ai-platform:workload', 'a');
    Tags.of(roleB).add('ai-platform:workload', 'b');
  });
}

function cell(matrix: AccessMatrix, principal: string, resource: string, action: string): MatrixCell {
  const found = matrix.cells.find((c) => c.principal === principal && c.resource === resource && c.action === action);
  if (!found) throw new Error(`no cell ${principal} ${resource} ${action}`);
  return found;
}

describe('buildAccessMatrix on a known stack', () => {
  let matrix: AccessMatrix;
  beforeAll(async () => {
    matrix = await buildAccessMatrix(loadAssembly(knownAnswerAssembly()));
  });

  test('every role is a principal, with its boundary and workload; every prefix a policy names is a resource', () => {
    expect(matrix.principals.map((p) => [p.id, p.arn, p.workload, p.permissionsBoundary !== undefined])).toEqual([
      ['Workloads/RoleA', 'arn:aws:iam::111111111111:role/workload-a', 'a', true],
      ['Workloads/RoleB', 'arn:aws:iam::111111111111:role/workload-b', 'b', true],
    ]);
    expect(matrix.resources.map((r) => [r.id, r.kind, r.keyPattern])).toEqual([
      ['Data/Bucket', 'bucket', undefined],
      ['Data/Bucket#*', 'object', '*'],
      ['Data/Bucket#a/*', 'object', 'a/*'],
      ['Data/Bucket#b/*', 'object', 'b/*'],
    ]);
    expect(matrix.resources[0].vpcEndpoint).toMatch(/^vpce-/);
    expect(matrix.unresolved).toEqual([]);
    expect(matrix.cells.filter((c) => c.decision === 'Error')).toEqual([]);
  });

  test('exact decisions for every object cell', () => {
    const table = Object.fromEntries(
      ['Workloads/RoleA', 'Workloads/RoleB'].flatMap((p) =>
        ['Data/Bucket#a/*', 'Data/Bucket#b/*', 'Data/Bucket#*'].map((r) => [
          `${p.split('/')[1]} ${r.split('#')[1]}`,
          OBJECT_ACTIONS.map((a) => cell(matrix, p, r, a).decision),
        ]),
      ),
    );
    expect(table).toEqual({
      'RoleA a/*': ['Allowed', 'Allowed', 'Allowed'],
      'RoleA b/*': ['ExplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied'],
      'RoleA *': ['ImplicitlyDenied', 'ImplicitlyDenied', 'ImplicitlyDenied'],
      // The boundary's Deny on s3:DeleteObject is explicit wherever role B asks.
      'RoleB a/*': ['ImplicitlyDenied', 'ImplicitlyDenied', 'ExplicitlyDenied'],
      'RoleB b/*': ['Allowed', 'Allowed', 'ExplicitlyDenied'],
      'RoleB *': ['ImplicitlyDenied', 'ImplicitlyDenied', 'ExplicitlyDenied'],
    });
  });

  test('a Deny that comes only from the bucket policy is attributed to it', () => {
    expect(cell(matrix, 'Workloads/RoleA', 'Data/Bucket#b/*', 's3:GetObject').deniedBy).toEqual([
      'resource:explicit(NotBsDataForA)',
    ]);
  });

  test('a Deny that comes only from the permissions boundary is attributed to it', () => {
    expect(cell(matrix, 'Workloads/RoleB', 'Data/Bucket#b/*', 's3:DeleteObject').deniedBy).toEqual([
      expect.stringMatching(/^boundary:explicit\(arn:aws:iam::111111111111:policy\/.+ NoDeletes\)$/),
    ]);
  });

  test('allowed cells name the identity statement that grants them', () => {
    expect(cell(matrix, 'Workloads/RoleA', 'Data/Bucket#a/*', 's3:GetObject').allowedBy).toEqual(
      expect.arrayContaining([expect.stringMatching(/^identity:Workloads\/RoleA\/DefaultPolicy\/Resource #1$/)]),
    );
  });

  test('bucket-level actions are denied to both roles (no identity grant)', () => {
    for (const p of ['Workloads/RoleA', 'Workloads/RoleB']) {
      for (const a of ['s3:ListBucket', 's3:PutBucketPolicy', 's3:DeleteBucket']) {
        expect(cell(matrix, p, 'Data/Bucket', a).decision).toBe('ImplicitlyDenied');
      }
    }
  });

  test('no cross-workload access: the grant to b/* of role A is denied by the bucket policy', () => {
    expect(matrix.crossWorkloadAllowed).toEqual([]);
  });

  test('negative control: without the bucket policy Deny, role A reads b/* and that is cross-workload', async () => {
    const open = await buildAccessMatrix(loadAssembly(knownAnswerAssembly({ withBucketDeny: false })));
    expect(cell(open, 'Workloads/RoleA', 'Data/Bucket#b/*', 's3:GetObject').decision).toBe('Allowed');
    expect(open.crossWorkloadAllowed).toEqual([
      { principal: 'Workloads/RoleA', resource: 'Data/Bucket#b/*', action: 's3:GetObject' },
    ]);
  });

  test('the output is stable: a second run gives the same JSON', async () => {
    const again = await buildAccessMatrix(loadAssembly(knownAnswerAssembly()));
    expect(JSON.stringify(again)).toBe(JSON.stringify(matrix));
  });
});

describe('buildAccessMatrix: KMS keys and kms:ViaService', () => {
  test('a key policy that requires kms:ViaService allows decrypt via S3 and denies it direct', async () => {
    const dir = synthApp((app) => {
      const stack = new Stack(app, 'Keys', { env: ENV });
      const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true, policy: new iam.PolicyDocument() });
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'ViaS3Only',
          principals: [role],
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${ENV.region}.amazonaws.com` } },
        }),
      );
      new s3.Bucket(stack, 'Encrypted', {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: key,
        bucketKeyEnabled: true,
      });
    });
    const matrix = await buildAccessMatrix(loadAssembly(dir));
    const keyResource = matrix.resources.find((r) => r.kind === 'kms-key')!;
    expect(keyResource.usedVia).toEqual(['s3.us-east-1.amazonaws.com']);
    expect(matrix.resources.find((r) => r.id === 'Keys/Encrypted')?.encryptionKey).toBe(keyResource.id);
    const decrypt = matrix.cells.filter(
      (c) => c.principal === 'Keys/Reader' && c.resource === keyResource.id && c.action === 'kms:Decrypt',
    );
    expect(decrypt.map((c) => [c.via, c.decision])).toEqual([
      ['direct', 'ImplicitlyDenied'],
      ['s3.us-east-1.amazonaws.com', 'Allowed'],
    ]);
    expect(
      matrix.cells.find(
        (c) => c.principal === 'Keys/Reader' && c.resource === keyResource.id && c.action === 'kms:PutKeyPolicy',
      )?.decision,
    ).toBe('ImplicitlyDenied');
  });
});

describe('buildAccessMatrix on a platform bucket (SSE-KMS required on upload)', () => {
  test("a workload's write grant is Allowed for a compliant upload (SSE-KMS with the bucket's key), another prefix is not", async () => {
    const dir = synthApp(
      (app) => {
        const stack = new Stack(app, 'Platform', { env: ENV });
        const bucket = new EncryptedBucket(stack, 'Data');
        const fraud = new WorkloadIdentity(stack, 'Fraud', {
          workloadName: 'fraud',
          runsAs: WorkloadPrincipal.SAGEMAKER,
        });
        bucket.grantReadWritePrefix(fraud, 'workloads/fraud/');
        const other = new WorkloadIdentity(stack, 'Other', {
          workloadName: 'other',
          runsAs: WorkloadPrincipal.SAGEMAKER,
        });
        bucket.grantReadWritePrefix(other, 'workloads/other/');
      },
      { context: CDK_CONTEXT },
    );
    const matrix = await buildAccessMatrix(loadAssembly(dir));
    expect(cell(matrix, 'Platform/Fraud', 'Platform/Data#workloads/fraud/*', 's3:PutObject').decision).toBe('Allowed');
    expect(cell(matrix, 'Platform/Fraud', 'Platform/Data#workloads/other/*', 's3:PutObject').decision).not.toBe(
      'Allowed',
    );
    expect(matrix.requestContext.join(' ')).toContain('SSE-KMS headers');
  });
});
