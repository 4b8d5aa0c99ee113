import { Aws } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ManagedPolicyPrincipal } from '../identity/managed-policy-principal';
import { acknowledgeWildcardResource } from '../private/nag';

/** What API Gateway does with the account's CloudWatch role: create and write its log groups and streams. */
const API_GATEWAY_LOG_PUSH = [
  'logs:CreateLogGroup',
  'logs:CreateLogStream',
  'logs:DescribeLogGroups',
  'logs:DescribeLogStreams',
  'logs:PutLogEvents',
];

/**
 * The account-level CloudWatch Logs role of API Gateway (`AWS::ApiGateway::Account`), without
 * which a stage with execution logging cannot deploy. One per account and region: the role
 * trusts API Gateway, writes only log groups of this account and region, and keeps its grant in a
 * customer-managed policy (instead of AmazonAPIGatewayPushToCloudWatchLogs, which also reads every
 * log group).
 *
 * The trust is the one API Gateway documents for this role, `apigateway.amazonaws.com` as the
 * trusted entity with no condition
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html, "Permissions
 * for CloudWatch logging"). API Gateway does not document sending `aws:SourceAccount` or
 * `aws:SourceArn` when it assumes the account's CloudWatch role, and a condition on a key absent
 * from the request never matches, so such a condition could stop every execution log.
 */
export class ApiGatewayAccountLogging extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      description: 'API Gateway: push execution and access logs to CloudWatch Logs of this account and region',
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
    });
    const logGroups = `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`;
    const principal = new ManagedPolicyPrincipal(this, this.role);
    iam.Grant.addToPrincipal({
      grantee: { grantPrincipal: principal },
      actions: API_GATEWAY_LOG_PUSH,
      resourceArns: [logGroups],
    });
    acknowledgeWildcardResource(
      principal.policy!.node.defaultChild!,
      logGroups,
      'API Gateway names its execution-log groups after each API id and stage (API-Gateway-Execution-Logs_<id>/<stage>); the role may only create and write log groups of this account and region.',
    );
    const account = new apigateway.CfnAccount(this, 'Resource', { cloudWatchRoleArn: this.role.roleArn });
    account.node.addDependency(principal.policy!);
  }
}
