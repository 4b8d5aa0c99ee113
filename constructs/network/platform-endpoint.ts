import { Aws } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

/**
 * An interface VPC endpoint the platform may need, with the resources its endpoint policy admits.
 *
 * Each endpoint policy admits only principals of this account (`aws:PrincipalAccount`) and, where
 * the service's actions support resource-level scoping, only this account's resources of that
 * service; `*` remains only for services whose calls have no resource (STS, metrics, ECR auth,
 * Systems Manager sessions).
 */
export class PlatformEndpoint {
  public static readonly STS = new PlatformEndpoint('sts', ec2.InterfaceVpcEndpointAwsService.STS, 'sts', () => ['*']);
  public static readonly KMS = new PlatformEndpoint('kms', ec2.InterfaceVpcEndpointAwsService.KMS, 'kms', () => [
    arn('kms', 'key/*'),
  ]);
  public static readonly CLOUDWATCH_LOGS = new PlatformEndpoint(
    'logs',
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    'logs',
    () => [arn('logs', 'log-group:*')],
  );
  public static readonly CLOUDWATCH_MONITORING = new PlatformEndpoint(
    'monitoring',
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
    'cloudwatch',
    () => ['*'],
  );
  public static readonly ECR_API = new PlatformEndpoint(
    'ecr.api',
    ec2.InterfaceVpcEndpointAwsService.ECR,
    'ecr',
    () => ['*'],
  );
  public static readonly ECR_DOCKER = new PlatformEndpoint(
    'ecr.dkr',
    ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    'ecr',
    () => [arn('ecr', 'repository/*')],
  );
  public static readonly SAGEMAKER_API = new PlatformEndpoint(
    'sagemaker.api',
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
    'sagemaker',
    () => [arn('sagemaker', '*')],
  );
  public static readonly SAGEMAKER_RUNTIME = new PlatformEndpoint(
    'sagemaker.runtime',
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
    'sagemaker',
    () => [arn('sagemaker', 'endpoint/*'), arn('sagemaker', 'inference-component/*')],
  );
  public static readonly SSM = new PlatformEndpoint('ssm', ec2.InterfaceVpcEndpointAwsService.SSM, 'ssm', () => ['*']);
  public static readonly SSM_MESSAGES = new PlatformEndpoint(
    'ssmmessages',
    ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
    'ssmmessages',
    () => ['*'],
  );
  public static readonly EC2_MESSAGES = new PlatformEndpoint(
    'ec2messages',
    ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
    'ec2messages',
    () => ['*'],
  );
  public static readonly EXECUTE_API = new PlatformEndpoint(
    'execute-api',
    ec2.InterfaceVpcEndpointAwsService.APIGATEWAY,
    'execute-api',
    () => [arn('execute-api', '*')],
  );

  /** Endpoints every platform needs: identity, keys, logs and metrics. */
  public static readonly BASELINE: readonly PlatformEndpoint[] = [
    PlatformEndpoint.STS,
    PlatformEndpoint.KMS,
    PlatformEndpoint.CLOUDWATCH_LOGS,
    PlatformEndpoint.CLOUDWATCH_MONITORING,
  ];
  /** Endpoints SageMaker endpoints and their callers need. */
  public static readonly SAGEMAKER: readonly PlatformEndpoint[] = [
    PlatformEndpoint.SAGEMAKER_API,
    PlatformEndpoint.SAGEMAKER_RUNTIME,
  ];
  /** Endpoints a self-managed fleet needs: image pulls and Systems Manager access (no SSH). */
  public static readonly SELF_MANAGED_FLEET: readonly PlatformEndpoint[] = [
    PlatformEndpoint.ECR_API,
    PlatformEndpoint.ECR_DOCKER,
    PlatformEndpoint.SSM,
    PlatformEndpoint.SSM_MESSAGES,
    PlatformEndpoint.EC2_MESSAGES,
  ];
  /** Every endpoint the platform knows. */
  public static readonly ALL: readonly PlatformEndpoint[] = [
    ...PlatformEndpoint.BASELINE,
    ...PlatformEndpoint.SAGEMAKER,
    ...PlatformEndpoint.SELF_MANAGED_FLEET,
    PlatformEndpoint.EXECUTE_API,
  ];

  private constructor(
    /** Short name, also the construct id suffix (e.g. `ecr.dkr`). */
    public readonly name: string,
    /** The CDK service descriptor. */
    public readonly service: ec2.InterfaceVpcEndpointAwsService,
    /** IAM action prefix of the calls that cross this endpoint. */
    public readonly actionPrefix: string,
    private readonly scope: () => string[],
  ) {}

  /** The resources this endpoint's policy admits by default. */
  public defaultResources(): string[] {
    return this.scope();
  }
}

function arn(service: string, resource: string): string {
  return `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
}
