import { Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { cfn } from './fixtures';
import { fails, GuardFragment, passes, describeRuleFile } from '../helpers/guard';

const STAGE_WAF = 'ZTAI_THREAT_API_STAGE_WAF';
const RATE_LIMIT = 'ZTAI_THREAT_WEB_ACL_RATE_LIMIT';
const THROTTLING = 'ZTAI_THREAT_API_STAGE_THROTTLING';
const EXPLICIT_STAGE = 'ZTAI_THREAT_API_EXPLICIT_STAGE';

const visibility = { cloudWatchMetricsEnabled: true, metricName: 'ztai', sampledRequestsEnabled: true };

function api(stack: Stack, props: apigw.RestApiProps = {}): apigw.RestApi {
  const restApi = new apigw.RestApi(stack, 'Api', {
    defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
    deployOptions: { throttlingRateLimit: 50, throttlingBurstLimit: 20 },
    ...props,
  });
  restApi.root.addMethod('GET', new apigw.MockIntegration());
  return restApi;
}

function rateLimitedAcl(stack: Stack): wafv2.CfnWebACL {
  return new wafv2.CfnWebACL(stack, 'Acl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: visibility,
    rules: [
      {
        name: 'common',
        priority: 0,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesCommonRuleSet' } },
        visibilityConfig: visibility,
      },
      {
        name: 'rate',
        priority: 1,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: 1000, aggregateKeyType: 'IP' } },
        visibilityConfig: visibility,
      },
    ],
  });
}

/** A public REST API whose stage is protected by a rate-limited web ACL. */
function protectedApi(stack: Stack): { restApi: apigw.RestApi; association: wafv2.CfnWebACLAssociation } {
  const restApi = api(stack);
  const association = new wafv2.CfnWebACLAssociation(stack, 'WafAssociation', {
    resourceArn: restApi.deploymentStage.stageArn,
    webAclArn: rateLimitedAcl(stack).attrArn,
  });
  return { restApi, association };
}

const fragments: GuardFragment[] = [
  passes(STAGE_WAF, 'public stage associated with a rate-limited web ACL', (stack) => {
    protectedApi(stack);
  }),
  passes(STAGE_WAF, 'private API stage (not reachable from the internet)', (stack) => {
    api(stack, {
      endpointTypes: [apigw.EndpointType.PRIVATE],
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            principals: [new iam.AnyPrincipal()],
            actions: ['execute-api:Invoke'],
            resources: ['execute-api:/*'],
            conditions: { StringEquals: { 'aws:SourceVpce': 'vpce-0123456789abcdef0' } },
          }),
        ],
      }),
    });
  }),
  fails(STAGE_WAF, 'public stage without a web ACL', (stack) => api(stack).deploymentStage),
  fails(STAGE_WAF, 'association re-pointed at another stage by an escape hatch', (stack) => {
    const { restApi, association } = protectedApi(stack);
    association.addPropertyOverride('ResourceArn', 'arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/other');
    return restApi.deploymentStage;
  }),
  fails(STAGE_WAF, 'web ACL outside the template (cannot be checked for a rate rule)', (stack) => {
    const { restApi, association } = protectedApi(stack);
    association.addPropertyOverride('WebACLArn', 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/shared/0123');
    return restApi.deploymentStage;
  }),

  passes(RATE_LIMIT, 'web ACL with a blocking rate-based rule', (stack) => {
    rateLimitedAcl(stack);
  }),
  fails(RATE_LIMIT, 'web ACL with managed rules only', (stack) => {
    const acl = rateLimitedAcl(stack);
    acl.addPropertyDeletionOverride('Rules.1');
    acl.addPropertyOverride('Rules', [
      {
        Name: 'common',
        Priority: 0,
        OverrideAction: { None: {} },
        Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } },
        VisibilityConfig: { CloudWatchMetricsEnabled: true, MetricName: 'ztai', SampledRequestsEnabled: true },
      },
    ]);
    return acl;
  }),
  fails(RATE_LIMIT, 'rate-based rule switched to Count by an escape hatch', (stack) => {
    const acl = rateLimitedAcl(stack);
    acl.addPropertyDeletionOverride('Rules.1.Action.Block');
    acl.addPropertyOverride('Rules.1.Action.Count', {});
    return acl;
  }),

  passes(THROTTLING, 'stage throttles every method', (stack) => {
    api(stack);
  }),
  fails(THROTTLING, 'stage without throttling', (stack) => api(stack, { deployOptions: {} }).deploymentStage),
  fails(THROTTLING, 'throttling for one method only', (stack) => {
    return api(stack, {
      deployOptions: { methodOptions: { '/items/GET': { throttlingRateLimit: 10, throttlingBurstLimit: 5 } } },
    }).deploymentStage;
  }),
  fails(THROTTLING, 'throttling disabled (-1) by an escape hatch', (stack) => {
    const stage = api(stack).deploymentStage;
    cfn(stage).addPropertyOverride('MethodSettings.0.ThrottlingRateLimit', -1);
    return stage;
  }),

  passes(EXPLICIT_STAGE, 'deployment with an explicit stage (the CDK default)', (stack) => {
    api(stack);
  }),
  fails(EXPLICIT_STAGE, 'deployment creating a stage by an escape hatch', (stack) => {
    const deployment = api(stack).latestDeployment!;
    cfn(deployment).addPropertyOverride('StageName', 'shadow');
    return deployment;
  }),
  fails(EXPLICIT_STAGE, 'deployment configuring an implicit stage', (stack) => {
    return new apigw.CfnDeployment(stack, 'Deployment', {
      restApiId: api(stack).restApiId,
      stageDescription: { throttlingRateLimit: 10 },
    });
  }),
];

describeRuleFile('threat-monitoring.guard', fragments);
