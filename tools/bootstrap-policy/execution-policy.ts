import { connectionArnForms } from '../../lib/delivery/pipeline-boundary';
import { actionsForResourceType, isCustomResource } from './resource-actions';

/** An IAM policy document, as `aws iam create-policy --policy-document` takes it. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface ExecutionPolicyProps {
  /** The CloudFormation resource types of the stacks this account deploys (from their templates). */
  readonly resourceTypes: readonly string[];
  /** The account the policy is created in. */
  readonly account: string;
  /** The regions the stacks deploy to. */
  readonly regions: readonly string[];
  /**
   * Every role, policy, instance profile and function the stacks create is named with this prefix
   * (CloudFormation names them `<stack name>-…`, the platform's own names start with the platform's
   * name, lib/config/names.ts), or sits under the IAM path `/<prefix>/`.
   */
  readonly namePrefix: string;
  /** The name of the permissions boundary every role must carry (a customer-managed policy of `account`). */
  readonly boundaryName: string;
  /**
   * Service-linked roles the stacks create or make a service create (`iam:AWSServiceName` values).
   * @default - none
   */
  readonly serviceLinkedRoles?: readonly string[];
  /**
   * The CodeConnections connection the pipeline uses: PassConnection is granted on it only.
   * @default - no connection
   */
  readonly connectionArn?: string;
  /** @default 'aws' */
  readonly partition?: string;
}

/** IAM's limit on a customer-managed policy, in characters without whitespace. */
export const MANAGED_POLICY_MAX_CHARS = 6144;

/**
 * The role actions whose request carries the role's permissions boundary as `iam:PermissionsBoundary`
 * (the Service Authorization Reference lists the key for exactly these role actions:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
 * The execution policy allows them only with the platform's boundary, and denies them otherwise.
 */
export const BOUNDARY_GATED_ACTIONS: readonly string[] = [
  'iam:AttachRolePolicy',
  'iam:CreateRole',
  'iam:PutRolePermissionsBoundary',
  'iam:PutRolePolicy',
];

/** Removing a role's boundary: denied outright. */
export const DENIED_ACTIONS: readonly string[] = ['iam:DeleteRolePermissionsBoundary'];

/**
 * The KMS calls a service makes with the caller's credentials when CloudFormation creates a resource
 * that uses a customer key (Lambda's environment, ECR's repository, a secret, an endpoint's volume):
 * allowed only through those services (`kms:ViaService`), never directly.
 */
const KMS_THROUGH_SERVICES = [
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:RetireGrant',
];
const KMS_VIA_SERVICES = ['bedrock', 'ecr', 'lambda', 'sagemaker', 'secretsmanager'];

/**
 * Services whose API is global: their requests carry `aws:RequestedRegion` us-east-1 whatever region the
 * stack deploys to, so they are granted without the region condition.
 */
const GLOBAL_SERVICES = ['route53'];

/** Objects Lambda reads the code from, with the caller's credentials: the CDK bootstrap assets bucket only. */
const ASSET_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];

/**
 * The managed policies (one or more, each within {@link MANAGED_POLICY_MAX_CHARS}) for `cdk bootstrap
 * --cloudformation-execution-policies` in one account: what CloudFormation needs for the resource
 * types the platform's stacks declare there, and nothing else.
 *
 * - the actions of each type (./resource-actions.ts), in the stacks' regions only;
 * - roles, managed policies and instance profiles only by the platform's names; a role only with the
 *   platform's permissions boundary (`iam:PermissionsBoundary` on CreateRole, PutRolePermissionsBoundary,
 *   PutRolePolicy, AttachRolePolicy), and a deny on the same actions with any other boundary or none,
 *   and on DeleteRolePermissionsBoundary;
 * - `iam:PassRole` on the platform's roles only; service-linked roles only for the services named;
 * - custom resources: invoking the platform's functions only; Lambda code: the CDK assets bucket only;
 *   the CDK bootstrap version parameter only;
 * - KMS use only through the services that need it for the caller.
 *
 * @throws Error naming every resource type the table does not know: the policy would not deploy it.
 */
export function executionPolicies(props: ExecutionPolicyProps): PolicyDocument[] {
  const partition = props.partition ?? 'aws';
  const types = [...new Set(props.resourceTypes)].sort();
  const unknown = types.filter((t) => actionsForResourceType(t) === undefined);
  if (unknown.length > 0) {
    throw new Error(
      `bootstrap policy: no actions known for resource type(s) ${unknown.join(', ')}; ` +
        'add them to tools/bootstrap-policy/resource-actions.ts (registry schema handlers or the Service Authorization Reference)',
    );
  }
  const all = [...new Set(types.flatMap((t) => actionsForResourceType(t)!))].sort();
  const iamArn = (resource: string) => `arn:${partition}:iam::${props.account}:${resource}`;
  const prefix = props.namePrefix;
  const roles = [iamArn(`role/${prefix}-*`), iamArn(`role/${prefix}/*`)];
  const boundaryArn = iamArn(`policy/${props.boundaryName}`);
  const boundaryCondition = { 'iam:PermissionsBoundary': boundaryArn };

  const isIam = (a: string) => a.startsWith('iam:');
  const kms = all.filter((a) => KMS_THROUGH_SERVICES.includes(a));
  const assets = all.filter((a) => ASSET_READ_ACTIONS.includes(a));
  const connections = all.filter((a) => a.endsWith(':PassConnection'));
  const invoke = types.some(isCustomResource) ? ['lambda:InvokeFunction'] : [];
  const global = all.filter((a) => GLOBAL_SERVICES.includes(a.split(':')[0]));
  const regional = all.filter(
    (a) => !isIam(a) && !kms.includes(a) && !assets.includes(a) && !connections.includes(a) && !invoke.includes(a),
  );
  const iamActions = all.filter(isIam);
  const gated = iamActions.filter((a) => BOUNDARY_GATED_ACTIONS.includes(a));
  const slr = iamActions.filter((a) =>
    ['iam:CreateServiceLinkedRole', 'iam:DeleteServiceLinkedRole', 'iam:GetServiceLinkedRoleDeletionStatus'].includes(
      a,
    ),
  );
  const management = iamActions.filter(
    (a) => !gated.includes(a) && !slr.includes(a) && !DENIED_ACTIONS.includes(a) && a !== 'iam:PassRole',
  );

  const guards: PolicyStatement[] = [
    {
      Sid: 'DenyRolesWithoutThePlatformBoundary',
      Effect: 'Deny',
      Action: [...BOUNDARY_GATED_ACTIONS],
      Resource: '*',
      Condition: { StringNotEquals: boundaryCondition },
    },
    { Sid: 'DenyBoundaryRemoval', Effect: 'Deny', Action: [...DENIED_ACTIONS], Resource: '*' },
  ];
  if (gated.length > 0) {
    guards.push({
      Sid: 'RolesOnlyUnderThePlatformBoundary',
      Effect: 'Allow',
      Action: gated,
      Resource: roles,
      Condition: { StringEquals: boundaryCondition },
    });
  }
  if (management.length > 0) {
    guards.push({
      Sid: 'PlatformIamResources',
      Effect: 'Allow',
      Action: management,
      Resource: [...roles, iamArn(`policy/${prefix}-*`), iamArn(`instance-profile/${prefix}-*`)],
    });
  }
  if (iamActions.includes('iam:PassRole')) {
    guards.push({ Sid: 'PassPlatformRoles', Effect: 'Allow', Action: 'iam:PassRole', Resource: roles });
  }
  const services = [...new Set(props.serviceLinkedRoles ?? [])].sort();
  if (services.length > 0) {
    // A service-linked role's ARN is role/aws-service-role/<service>/<name>; only the named services'.
    const linked = services.map((service) => iamArn(`role/aws-service-role/${service}/*`));
    if (slr.includes('iam:CreateServiceLinkedRole')) {
      guards.push({
        Sid: 'CreateServiceLinkedRoles',
        Effect: 'Allow',
        Action: 'iam:CreateServiceLinkedRole',
        Resource: linked,
        Condition: { StringEquals: { 'iam:AWSServiceName': services } },
      });
    }
    const manage = [...slr.filter((a) => a !== 'iam:CreateServiceLinkedRole'), 'iam:GetRole'].sort();
    guards.push({ Sid: 'ManageServiceLinkedRoles', Effect: 'Allow', Action: manage, Resource: linked });
  }
  if (invoke.length > 0) {
    guards.push({
      Sid: 'InvokePlatformCustomResourceProviders',
      Effect: 'Allow',
      Action: invoke,
      Resource: props.regions.map((r) => `arn:${partition}:lambda:${r}:${props.account}:function:${prefix}-*`),
    });
  }
  if (assets.length > 0) {
    guards.push({
      Sid: 'ReadCdkAssets',
      Effect: 'Allow',
      Action: assets,
      Resource: props.regions.map((r) => `arn:${partition}:s3:::cdk-*-assets-${props.account}-${r}/*`),
    });
  }
  if (kms.length > 0) {
    guards.push({
      Sid: 'KmsThroughServices',
      Effect: 'Allow',
      Action: kms,
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:ViaService': props.regions.flatMap((r) => KMS_VIA_SERVICES.map((s) => `${s}.${r}.amazonaws.com`)),
        },
      },
    });
  }
  // Every stack of the CDK's default synthesizer checks the bootstrap version, an SSM parameter type
  // CloudFormation resolves when it creates the change set.
  guards.push({
    Sid: 'ReadCdkBootstrapVersion',
    Effect: 'Allow',
    Action: ['ssm:GetParameter', 'ssm:GetParameters'],
    Resource: props.regions.map((r) => `arn:${partition}:ssm:${r}:${props.account}:parameter/cdk-bootstrap/*`),
  });
  if (global.length > 0) {
    guards.push({ Sid: 'GlobalServiceActions', Effect: 'Allow', Action: global, Resource: '*' });
  }
  if (connections.length > 0 && props.connectionArn) {
    guards.push({
      Sid: 'PassTheSourceConnection',
      Effect: 'Allow',
      Action: connections,
      Resource: connectionArnForms(props.connectionArn),
    });
  }
  return pack(guards, regional, props.regions);
}

/** The size IAM counts: the JSON without whitespace. */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}

/**
 * The guard statements in the first document, the regional actions spread over as many documents as
 * the size limit needs (a deny in any policy of the role applies to all of them).
 */
function pack(guards: PolicyStatement[], regional: string[], regions: readonly string[]): PolicyDocument[] {
  const statementFor = (actions: string[], n: number): PolicyStatement => ({
    Sid: `PlatformResourceTypes${n}`,
    Effect: 'Allow',
    Action: actions,
    Resource: '*',
    Condition: { StringEquals: { 'aws:RequestedRegion': [...regions] } },
  });
  const documents: PolicyDocument[] = [];
  let current: PolicyStatement[] = [...guards];
  let actions: string[] = [];
  const doc = (statements: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });
  for (const action of regional) {
    const trial = doc([...current, statementFor([...actions, action], documents.length + 1)]);
    if (policySize(trial) > MANAGED_POLICY_MAX_CHARS && actions.length > 0) {
      documents.push(doc([...current, statementFor(actions, documents.length + 1)]));
      current = [];
      actions = [action];
    } else {
      actions.push(action);
    }
  }
  documents.push(doc(actions.length > 0 ? [...current, statementFor(actions, documents.length + 1)] : current));
  for (const d of documents) {
    if (policySize(d) > MANAGED_POLICY_MAX_CHARS) {
      throw new Error(
        `bootstrap policy: a document is ${policySize(d)} characters, over IAM's ${MANAGED_POLICY_MAX_CHARS}`,
      );
    }
  }
  return documents;
}
