/**
 * The platform permissions boundary: the ceiling it sets (release-role pushes and multipart uploads
 * included) and the model-invocation deny, shown on the template and by IAM policy evaluation
 * (@cloud-copilot/iam-simulate through test/helpers/iam-eval.ts).
 */
import { Aws, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PlatformPermissionsBoundary } from '../../../constructs/identity/platform-permissions-boundary';
import {
  ACCOUNT,
  CfnResolver,
  evaluate,
  PARTITION,
  REGION,
  RoleUnderTest,
  roleUnderTest,
} from '../../helpers/iam-eval';
import { newApp } from '../../helpers/stacks';

const ROUTE_PATTERN = `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/ztai/api-route/*`;
const INVOKE_ACTIONS = [
  'sagemaker:InvokeEndpoint',
  'sagemaker:InvokeEndpointAsync',
  'sagemaker:InvokeEndpointWithResponseStream',
];
const ECR_PUSH = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:CompleteLayerUpload',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
];
const ENDPOINT = `arn:${PARTITION}:sagemaker:${REGION}:${ACCOUNT}:endpoint/fraud-scoring`;
const REPOSITORY = `arn:${PARTITION}:ecr:${REGION}:${ACCOUNT}:repository/ztai/fraud-scoring`;

function boundaryStatements(stack: Stack): any[] {
  const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')) as any[];
  return policy.Properties.PolicyDocument.Statement;
}

describe('PlatformPermissionsBoundary: the ceiling', () => {
  let statements: any[];

  beforeAll(() => {
    const app = newApp();
    const stack = new Stack(app, 'Platform');
    const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
    boundary.capToBuckets(new s3.Bucket(stack, 'Models'));
    statements = boundaryStatements(stack);
  });

  test('ECR: pull and every action docker push needs (the release role pushes model-server images)', () => {
    const ceiling = statements.find((s) => s.Sid === 'ServiceCeiling');
    expect(ceiling.Action).toEqual(
      expect.arrayContaining([...ECR_PUSH, 'ecr:GetAuthorizationToken', 'ecr:GetDownloadUrlForLayer']),
    );
    expect(ceiling.Action.filter((a: string) => a.includes('*'))).toEqual([]);
  });

  test('EC2: the CloudWatch agent of GPU fleet instances may read the Auto Scaling group tag (ec2:DescribeTags)', () => {
    expect(statements.find((s) => s.Sid === 'ServiceCeiling').Action).toContain('ec2:DescribeTags');
  });

  test('S3 on the platform buckets: multipart uploads (ListMultipartUploadParts, AbortMultipartUpload)', () => {
    const buckets = statements.find((s) => s.Sid === 'PlatformBucketsOnly');
    expect(buckets.Action).toEqual(
      expect.arrayContaining(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']),
    );
  });

  test('without restrictModelInvocationTo there is no invocation deny', () => {
    expect(statements.find((s) => s.Sid === 'OnlyApiRoutesInvokeModels')).toBeUndefined();
  });
});

describe('PlatformPermissionsBoundary.restrictModelInvocationTo', () => {
  test('denies the three invoke actions to every principal whose ARN is not under the given role paths', () => {
    const app = newApp();
    const stack = new Stack(app, 'Platform');
    new PlatformPermissionsBoundary(stack, 'Boundary').restrictModelInvocationTo(ROUTE_PATTERN);
    const deny = boundaryStatements(stack).find((s) => s.Sid === 'OnlyApiRoutesInvokeModels');
    expect(deny.Effect).toBe('Deny');
    expect(deny.Action).toEqual(INVOKE_ACTIONS);
    expect(deny.Resource).toBe('*');
    expect(Object.keys(deny.Condition)).toEqual(['ArnNotLike']);
    expect(JSON.stringify(deny.Condition.ArnNotLike['aws:PrincipalArn'])).toContain(':role/ztai/api-route/*');
  });

  test.each<[string, string[], RegExp]>([
    ['no pattern', [], /each pattern must be a role path ARN pattern/],
    ['a role ARN, not a path pattern', ['arn:aws:iam::111122223333:role/ztai/api-route/r1'], /role path ARN pattern/],
    ['a wildcard account', ['arn:aws:iam::*:role/*'], /role path ARN pattern/],
    ['a user path', ['arn:aws:iam::111122223333:user/ztai/*'], /role path ARN pattern/],
    ['a wildcard inside the path', ['arn:aws:iam::111122223333:role/*/api-route/*'], /role path ARN pattern/],
  ])('refuses %s', (_name, patterns, message) => {
    const app = newApp();
    const boundary = new PlatformPermissionsBoundary(new Stack(app, 'Platform'), 'Boundary');
    expect(() => boundary.restrictModelInvocationTo(...patterns)).toThrow(message);
  });

  test('is called once: a second call is refused, naming the first', () => {
    const app = newApp();
    const boundary = new PlatformPermissionsBoundary(new Stack(app, 'Platform'), 'Boundary');
    boundary.restrictModelInvocationTo('arn:aws:iam::111122223333:role/ztai/api-route/*');
    expect(() => boundary.restrictModelInvocationTo('arn:aws:iam::111122223333:role/other/*')).toThrow(
      /already restricted to \["arn:aws:iam::111122223333:role\/ztai\/api-route\/\*"\]/,
    );
  });
});

describe('PlatformPermissionsBoundary: IAM evaluation of bounded roles', () => {
  let resolver: CfnResolver;
  const roles: Record<string, RoleUnderTest> = {};

  beforeAll(() => {
    const app = newApp();
    const platform = new Stack(app, 'Platform');
    const boundary = new PlatformPermissionsBoundary(platform, 'Boundary');
    boundary.restrictModelInvocationTo(ROUTE_PATTERN);
    const workloads = new Stack(app, 'Workloads');
    const grantAll = (id: string, path: string) => {
      const role = new iam.Role(workloads, id, { assumedBy: new iam.AccountRootPrincipal(), path });
      new iam.ManagedPolicy(workloads, `${id}Grants`, {
        roles: [role],
        statements: [
          new iam.PolicyStatement({ actions: INVOKE_ACTIONS, resources: [ENDPOINT] }),
          new iam.PolicyStatement({ actions: ECR_PUSH, resources: [REPOSITORY] }),
        ],
      });
      return role;
    };
    grantAll('RouteRole', '/ztai/api-route/');
    grantAll('WorkloadRole', '/ztai/sagemaker-execution/');
    grantAll('LookAlikeRole', '/ztai/api-route-x/');
    grantAll('RootPathRole', '/');
    boundary.applyTo(app);
    resolver = new CfnResolver(app);
    for (const id of ['RouteRole', 'WorkloadRole', 'LookAlikeRole', 'RootPathRole']) {
      roles[id] = roleUnderTest(resolver, 'Workloads', resolver.find('Workloads', 'AWS::IAM::Role', id)[0]);
    }
  });

  test('a role under the route path is allowed to invoke the endpoint it is granted', async () => {
    for (const action of INVOKE_ACTIONS) {
      expect(await evaluate({ role: roles.RouteRole, action, resourceArn: ENDPOINT })).toBe('Allowed');
    }
  });

  test.each(['WorkloadRole', 'LookAlikeRole', 'RootPathRole'])(
    '%s, with the same identity grant, is explicitly denied by the boundary',
    async (id) => {
      for (const action of INVOKE_ACTIONS) {
        expect(await evaluate({ role: roles[id], action, resourceArn: ENDPOINT })).toBe('ExplicitlyDenied');
      }
    },
  );

  test('the boundary lets a bounded role push an image it is granted (every docker push action)', async () => {
    for (const action of ECR_PUSH) {
      expect(await evaluate({ role: roles.WorkloadRole, action, resourceArn: REPOSITORY })).toBe('Allowed');
    }
  });

  test('negative control: a boundary without the push actions would stop the push', async () => {
    const role = roles.WorkloadRole;
    const policy = role.boundary!.policy;
    const pullOnly = {
      ...role,
      boundary: {
        name: 'pull-only',
        policy: {
          ...policy,
          Statement: policy.Statement.map((s: any) =>
            s.Sid === 'ServiceCeiling'
              ? { ...s, Action: s.Action.filter((a: string) => !/Upload|PutImage/.test(a)) }
              : s,
          ),
        },
      },
    };
    expect(await evaluate({ role: pullOnly, action: 'ecr:PutImage', resourceArn: REPOSITORY })).toBe(
      'ImplicitlyDenied',
    );
  });
});

describe('PlatformPermissionsBoundary: escalation and tampering, evaluated', () => {
  const KEY = `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
  const BUCKET = `arn:${PARTITION}:s3:::platform-data`;
  const TRAIL = `arn:${PARTITION}:cloudtrail:${REGION}:${ACCOUNT}:trail/ztai`;
  const ROLE = `arn:${PARTITION}:iam::${ACCOUNT}:role/anything`;
  // [action, resource]: each a write no platform role may make, whatever its own policy grants.
  const ABUSE: [string, string][] = [
    ['iam:CreateRole', ROLE],
    ['iam:PutRolePolicy', ROLE],
    ['iam:AttachRolePolicy', ROLE],
    ['iam:DeleteRolePermissionsBoundary', ROLE],
    ['iam:PassRole', ROLE],
    ['iam:TagRole', ROLE],
    ['kms:ScheduleKeyDeletion', KEY],
    ['kms:PutKeyPolicy', KEY],
    ['kms:DisableKeyRotation', KEY],
    ['s3:PutBucketPolicy', BUCKET],
    ['s3:DeleteBucketPolicy', BUCKET],
    ['s3:PutBucketAcl', BUCKET],
    ['cloudtrail:StopLogging', TRAIL],
    ['cloudtrail:PutEventSelectors', TRAIL],
  ];
  let role: RoleUnderTest;

  beforeAll(() => {
    const app = newApp();
    const stack = new Stack(app, 'Escalation');
    const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
    const r = new iam.Role(stack, 'Greedy', { assumedBy: new iam.AccountRootPrincipal() });
    new iam.ManagedPolicy(stack, 'GreedyGrants', {
      roles: [r],
      statements: [new iam.PolicyStatement({ actions: ABUSE.map(([a]) => a), resources: ['*'] })],
    });
    boundary.applyTo(app);
    const resolver = new CfnResolver(app);
    role = roleUnderTest(resolver, 'Escalation', resolver.find('Escalation', 'AWS::IAM::Role', 'Greedy')[0]);
  });

  test.each(ABUSE)(
    '%s, granted by the role’s own policy, is explicitly denied by the boundary',
    async (action, arn) => {
      expect(await evaluate({ role, action, resourceArn: arn })).toBe('ExplicitlyDenied');
    },
  );

  test('negative control: without the deny statement these fall to the ceiling (implicit), not to an explicit deny', async () => {
    const policy = role.boundary!.policy;
    const withoutDeny = {
      ...role,
      boundary: {
        name: 'no-deny',
        policy: { ...policy, Statement: policy.Statement.filter((s: any) => s.Sid !== 'DenyEscalationAndTampering') },
      },
    };
    for (const [action, arn] of ABUSE) {
      expect(await evaluate({ role: withoutDeny, action, resourceArn: arn })).toBe('ImplicitlyDenied');
    }
  });
});
