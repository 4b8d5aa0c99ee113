import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import { acknowledgeFinding, acknowledgeFindings } from './nag';

/** The construct ids of a deploy-time call's parts (kept by each caller, so templates keep their logical ids). */
export interface DeployTimeCallIds {
  readonly logs: string;
  readonly role: string;
  readonly policy: string;
  readonly resource: string;
}

export interface DeployTimeCallProps {
  /** The one SDK call, made on create and on update (never on delete: nothing to undo). */
  readonly call: cr.AwsSdkCall;
  /** What the call does: the description of the function's role when it is the stack's first call. */
  readonly description: string;
  /** The key of the function's log group. */
  readonly logsKey: kms.IKey;
  readonly ids: DeployTimeCallIds;
  /** Grants the call needs, added to the role's one managed policy. */
  readonly grant: (grantee: ManagedPolicyPrincipal) => void;
  /** Why the CDK singleton function needs no reserved concurrency, VPC or tracing, for this call. */
  readonly reasons: { readonly concurrency: string; readonly insideVpc: string; readonly tracing: string };
}

export interface DeployTimeCall {
  readonly resource: cr.AwsCustomResource;
  /** The role's grants (its managed policy), for acknowledgements on them. */
  readonly grants: ManagedPolicyPrincipal;
}

/**
 * One AWS SDK call made while the stack deploys, through CDK's `AwsCustomResource`: a managed policy of
 * its own holding exactly the call's grants, on the role of the stack's `AwsCustomResource` singleton
 * function (trusting Lambda in this account, one-hour sessions), an encrypted log group retained like the
 * platform's logs, no SDK download at deploy time. CDK runs every `AwsCustomResource` of a stack in that
 * one function, with the role and log group of the first: the first call creates them, later calls
 * attach their policies to that role (a role of their own would never be used). The function's settings
 * are not all reachable; its findings are acknowledged here with the caller's reasons.
 */
export function deployTimeCall(scope: Construct, props: DeployTimeCallProps): DeployTimeCall {
  // CDK runs every AwsCustomResource of a stack in one singleton function, created with the role (and log
  // group) of the first: a later call's own role would never run. So a later call's grants go to the role
  // the function has, and it creates no role or log group of its own.
  const existing = singletonFunction(scope);
  let role: iam.IRole;
  let logGroup: logs.ILogGroup | undefined;
  if (existing?.role) {
    role = existing.role;
  } else {
    logGroup = new logs.LogGroup(scope, props.ids.logs, {
      encryptionKey: props.logsKey,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    role = new iam.Role(scope, props.ids.role, {
      description: `Deploy-time AWS calls of this stack (its AwsCustomResource function), each with a managed policy of its own; first: ${props.description}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      }),
      maxSessionDuration: Duration.hours(1),
    });
  }
  const grants = new ManagedPolicyPrincipal(scope, role, props.ids.policy);
  props.grant(grants);
  if (logGroup) logGroup.grantWrite(grants);
  const resource = new cr.AwsCustomResource(scope, props.ids.resource, {
    onCreate: props.call,
    onUpdate: props.call,
    role,
    ...(logGroup ? { logGroup } : {}),
    installLatestAwsSdk: false,
    memorySize: 256,
    timeout: Duration.minutes(2),
  });
  resource.node.addDependency(role);
  if (grants.policy) resource.node.addDependency(grants.policy);
  acknowledgeSingletonFunction(scope, props.reasons);
  return { resource, grants };
}

/** The stack's AwsCustomResource singleton function, once an AwsCustomResource has created it. */
function singletonFunction(scope: Construct): lambda.Function | undefined {
  const fn = Stack.of(scope).node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  return fn instanceof lambda.Function ? fn : undefined;
}

function acknowledgeSingletonFunction(scope: Construct, reasons: DeployTimeCallProps['reasons']): void {
  const fn = Stack.of(scope).node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (!fn) return;
  acknowledgeFindings(
    fn,
    ['NIST.800.53.R5-LambdaConcurrency', 'HIPAA.Security-LambdaConcurrency'],
    reasons.concurrency,
  );
  acknowledgeFindings(
    fn,
    ['NIST.800.53.R5-LambdaDLQ', 'HIPAA.Security-LambdaDLQ', 'Serverless-LambdaDLQ'],
    'Invoked synchronously by the CloudFormation custom-resource framework; a failure fails the stack operation, so there is no event to dead-letter.',
  );
  acknowledgeFindings(
    fn,
    ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
    reasons.insideVpc,
  );
  acknowledgeFinding(fn, 'Serverless-LambdaTracing', reasons.tracing);
}
