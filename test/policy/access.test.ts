import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import { cfn, compliantRole } from './fixtures';
import { fails, GuardFragment, passes, describeRuleFile } from '../helpers/guard';

const BOUNDARY = 'ZTAI_ACCESS_ROLE_BOUNDARY';
const SESSION = 'ZTAI_ACCESS_ROLE_SESSION_DURATION';
const WILDCARD = 'ZTAI_ACCESS_NO_WILDCARD_ACTION';
const API_AUTH = 'ZTAI_ACCESS_API_METHOD_AUTH';
const TRUST = 'ZTAI_ACCESS_TRUST_SOURCE_ACCOUNT';

function iamApi(stack: Parameters<GuardFragment['build']>[0]): apigw.RestApi {
  return new apigw.RestApi(stack, 'Api', {
    defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
    deployOptions: { throttlingRateLimit: 10, throttlingBurstLimit: 5 },
  });
}

const fragments: GuardFragment[] = [
  passes(BOUNDARY, 'role with a permissions boundary', (stack) => {
    compliantRole(stack, 'Role');
  }),
  fails(
    BOUNDARY,
    'role without a boundary',
    (stack) => new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() }),
  ),
  fails(BOUNDARY, 'boundary removed by an escape hatch', (stack) => {
    const role = compliantRole(stack, 'Role');
    cfn(role).addPropertyDeletionOverride('PermissionsBoundary');
    return role;
  }),

  passes(SESSION, 'MaxSessionDuration absent (defaults to 3600)', (stack) => {
    compliantRole(stack, 'Role');
  }),
  passes(SESSION, 'MaxSessionDuration of exactly one hour', (stack) => {
    const role = compliantRole(stack, 'Role');
    cfn(role).addPropertyOverride('MaxSessionDuration', 3600);
  }),
  fails(SESSION, 'twelve-hour sessions', (stack) => {
    return new iam.Role(stack, 'Role', {
      assumedBy: new iam.AccountRootPrincipal(),
      maxSessionDuration: Duration.hours(12),
    });
  }),
  fails(SESSION, 'sessions raised by an escape hatch', (stack) => {
    const role = compliantRole(stack, 'Role');
    cfn(role).addPropertyOverride('MaxSessionDuration', 3601);
    return role;
  }),

  passes(WILDCARD, 'scoped grants, and a Deny on *', (stack) => {
    const role = compliantRole(stack, 'Role');
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }));
    role.addToPolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['*'], resources: ['*'] }));
  }),
  fails(WILDCARD, 'AWS::IAM::Policy statement widened to Action * by an escape hatch', (stack) => {
    const policy = new iam.Policy(stack, 'Policy', {
      statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })],
      roles: [compliantRole(stack, 'Role')],
    });
    cfn(policy).addPropertyOverride('PolicyDocument.Statement.0.Action', '*');
    return policy;
  }),
  fails(WILDCARD, 'managed policy allowing *', (stack) => {
    return new iam.ManagedPolicy(stack, 'Managed', {
      statements: [new iam.PolicyStatement({ actions: ['*'], resources: ['*'] })],
    });
  }),
  fails(WILDCARD, 'inline role policy allowing * among other actions', (stack) => {
    return new iam.Role(stack, 'Role', {
      assumedBy: new iam.AccountRootPrincipal(),
      inlinePolicies: {
        admin: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['s3:GetObject', '*'], resources: ['*'] })],
        }),
      },
    });
  }),
  fails(WILDCARD, 'Allow with NotAction', (stack) => {
    return new iam.ManagedPolicy(stack, 'Managed', {
      statements: [new iam.PolicyStatement({ notActions: ['iam:*'], resources: ['*'] })],
    });
  }),

  passes(API_AUTH, 'IAM-authorized methods and a MOCK CORS preflight', (stack) => {
    const api = iamApi(stack);
    api.root.addMethod('GET', new apigw.MockIntegration());
    api.root.addCorsPreflight({ allowOrigins: ['https://console.example.com'] });
  }),
  fails(API_AUTH, 'method left at the default NONE', (stack) => {
    const api = new apigw.RestApi(stack, 'Api');
    return api.root.addMethod('GET', new apigw.MockIntegration());
  }),
  fails(API_AUTH, 'authorization removed by an escape hatch', (stack) => {
    const method = iamApi(stack).root.addMethod('POST', new apigw.MockIntegration());
    cfn(method).addPropertyOverride('AuthorizationType', 'NONE');
    return method;
  }),
  fails(API_AUTH, 'OPTIONS method that reaches a backend', (stack) => {
    const method = iamApi(stack).root.addMethod('OPTIONS', new apigw.HttpIntegration('https://backend.example.com'), {
      authorizationType: apigw.AuthorizationType.NONE,
    });
    return method;
  }),
  fails(API_AUTH, 'REST API defined by an inline OpenAPI body', (stack) => {
    return new apigw.SpecRestApi(stack, 'Spec', {
      apiDefinition: apigw.ApiDefinition.fromInline({
        openapi: '3.0.2',
        info: { title: 'x', version: '1' },
        paths: {},
      }),
    });
  }),

  passes(TRUST, 'service trust with aws:SourceAccount', (stack) => {
    compliantRole(stack, 'Role', 'sagemaker.amazonaws.com');
  }),
  passes(TRUST, 'EC2 instance role (exempt: EC2 sends no aws:SourceAccount)', (stack) => {
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  }),
  passes(TRUST, 'API Gateway integration role (exempt: API Gateway documents a plain trust)', (stack) => {
    new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com') });
  }),
  passes(TRUST, 'API Gateway role in the China partition (apigateway.amazonaws.com.cn)', (stack) => {
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com') });
    cfn(role).addPropertyOverride(
      'AssumeRolePolicyDocument.Statement.0.Principal.Service',
      'apigateway.amazonaws.com.cn',
    );
  }),
  passes(TRUST, 'EC2 and API Gateway in one statement (every service exempt)', (stack) => {
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com') });
    cfn(role).addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Principal.Service', [
      'apigateway.amazonaws.com',
      'ec2.amazonaws.com',
    ]);
  }),
  passes(TRUST, 'account principal (not a service)', (stack) => {
    new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
  }),
  fails(TRUST, 'Lambda role without aws:SourceAccount', (stack) => {
    return new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  }),
  fails(TRUST, 'condition removed by an escape hatch', (stack) => {
    const role = compliantRole(stack, 'Role');
    cfn(role).addPropertyDeletionOverride('AssumeRolePolicyDocument.Statement.0.Condition');
    return role;
  }),
  fails(TRUST, 'API Gateway statement that also trusts Lambda', (stack) => {
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com') });
    cfn(role).addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Principal.Service', [
      'apigateway.amazonaws.com',
      'lambda.amazonaws.com',
    ]);
    return role;
  }),
  fails(TRUST, 'a look-alike of the API Gateway principal (the exemption is anchored)', (stack) => {
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com') });
    cfn(role).addPropertyOverride(
      'AssumeRolePolicyDocument.Statement.0.Principal.Service',
      'apigateway.amazonaws.com.example',
    );
    return role;
  }),
  fails(TRUST, 'EC2 statement that also trusts another service', (stack) => {
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    cfn(role).addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Principal.Service', [
      'ec2.amazonaws.com',
      'ssm.amazonaws.com',
    ]);
    return role;
  }),
];

describeRuleFile('access.guard', fragments);
