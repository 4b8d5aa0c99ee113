import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { PlatformPermissionsBoundary } from '../../../constructs';
import {
  ApiUserPool,
  IModelEndpoint,
  ModelGatewayApi,
  ModelGatewayApiProps,
  RouteAuthorization,
} from '../../../constructs/api';
import { newApp } from '../../helpers/stacks';

/** A stand-in for GpuModelEndpoint: a name, and invoke granted on the ARN built from it. */
export class FakeEndpoint implements IModelEndpoint {
  public readonly endpointArn: string;
  constructor(
    scope: Stack,
    public readonly endpointName: string,
  ) {
    this.endpointArn = scope.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: endpointName });
  }
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['sagemaker:InvokeEndpoint'],
      resourceArns: [this.endpointArn],
    });
  }
}

export interface Fixture {
  readonly app: App;
  /** Holds the caller roles (like the workload stacks). */
  readonly callers: Stack;
  /** Holds the API (like the API stack). */
  readonly stack: Stack;
  readonly key: kms.Key;
  readonly agent: iam.Role;
  readonly other: iam.Role;
  readonly fraud: FakeEndpoint;
  readonly docs: FakeEndpoint;
  readonly userPool: ApiUserPool;
}

/** Two workload endpoints, an agent role that is a declared caller and another role that is not. */
export function fixture(): Fixture {
  const app = newApp();
  const callers = new Stack(app, 'Callers');
  const stack = new Stack(app, 'Api');
  stack.addStackDependency(callers);
  // Every role under the platform boundary, as the reference app does.
  new PlatformPermissionsBoundary(callers, 'Boundary').applyTo(app);
  const key = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const assumedBy = new iam.ServicePrincipal('lambda.amazonaws.com').withConditions({
    StringEquals: { 'aws:SourceAccount': stack.account },
  });
  const agent = new iam.Role(callers, 'AgentRole', { assumedBy });
  const other = new iam.Role(callers, 'OtherRole', { assumedBy });
  const userPool = new ApiUserPool(stack, 'People', {
    scopes: ['invoke'],
    oAuth: { callbackUrls: ['https://console.example.com/callback'], domainPrefix: 'ztai-test-people' },
  });
  return {
    app,
    callers,
    stack,
    key,
    agent,
    other,
    fraud: new FakeEndpoint(stack, 'fraud-scoring-endpoint'),
    docs: new FakeEndpoint(stack, 'doc-model-endpoint'),
    userPool,
  };
}

/** The reference shape: two IAM routes (the agent calls fraud-scoring only) and a people route. */
export function gateway(f: Fixture, overrides: Partial<ModelGatewayApiProps> = {}): ModelGatewayApi {
  return new ModelGatewayApi(f.stack, 'Gateway', {
    restApiName: 'model-gateway',
    logEncryptionKey: f.key,
    userPool: f.userPool,
    routes: [
      {
        workload: 'fraud-scoring',
        endpoint: f.fraud,
        authorization: RouteAuthorization.iam(f.agent),
        maxPromptChars: 4000,
      },
      { workload: 'doc-model', endpoint: f.docs, authorization: RouteAuthorization.iam(f.other) },
      {
        workload: 'fraud-scoring',
        operation: 'user-invoke',
        endpoint: f.fraud,
        authorization: RouteAuthorization.userPool({ scopes: ['invoke'] }),
        throttle: { rateLimit: 5, burstLimit: 10 },
      },
    ],
    ...overrides,
  });
}
