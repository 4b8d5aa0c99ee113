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
  public static readonly STS = new PlatformEndpoint('sts', ec2.InterfaceVpcEndpointAwsService.STS, 'sts', () => ['*'], [
    'sts',
  ]);
  public static readonly KMS = new PlatformEndpoint(
    'kms',
    ec2.InterfaceVpcEndpointAwsService.KMS,
    'kms',
    () => [arn('kms', 'key/*')],
    ['kms'],
  );
  public static readonly CLOUDWATCH_LOGS = new PlatformEndpoint(
    'logs',
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    'logs',
    () => [arn('logs', 'log-group:*')],
    ['logs'],
  );
  public static readonly CLOUDWATCH_MONITORING = new PlatformEndpoint(
    'monitoring',
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
    'cloudwatch',
    () => ['*'],
    ['monitoring'],
  );
  public static readonly ECR_API = new PlatformEndpoint(
    'ecr.api',
    ec2.InterfaceVpcEndpointAwsService.ECR,
    'ecr',
    () => ['*'],
    ['api.ecr'],
  );
  public static readonly ECR_DOCKER = new PlatformEndpoint(
    'ecr.dkr',
    ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    'ecr',
    () => [arn('ecr', 'repository/*')],
    ['dkr.ecr', '*.dkr.ecr'],
  );
  public static readonly SAGEMAKER_API = new PlatformEndpoint(
    'sagemaker.api',
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
    'sagemaker',
    () => [arn('sagemaker', '*')],
    ['api.sagemaker'],
  );
  public static readonly SAGEMAKER_RUNTIME = new PlatformEndpoint(
    'sagemaker.runtime',
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
    'sagemaker',
    () => [arn('sagemaker', 'endpoint/*'), arn('sagemaker', 'inference-component/*')],
    ['runtime.sagemaker'],
  );
  public static readonly SSM = new PlatformEndpoint('ssm', ec2.InterfaceVpcEndpointAwsService.SSM, 'ssm', () => ['*'], [
    'ssm',
  ]);
  public static readonly SSM_MESSAGES = new PlatformEndpoint(
    'ssmmessages',
    ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
    'ssmmessages',
    () => ['*'],
    ['ssmmessages'],
  );
  public static readonly EC2_MESSAGES = new PlatformEndpoint(
    'ec2messages',
    ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
    'ec2messages',
    () => ['*'],
    ['ec2messages'],
  );
  public static readonly EXECUTE_API = new PlatformEndpoint(
    'execute-api',
    ec2.InterfaceVpcEndpointAwsService.APIGATEWAY,
    'execute-api',
    () => [arn('execute-api', '*')],
    ['*.execute-api'],
  );

  /**
   * Secrets Manager, for reading secrets only: an API client in the VPC reads its API key
   * (`GetSecretValue`, and `DescribeSecret` for the caching clients) from this account's secrets.
   * Secrets are written by CloudFormation and administrators, never from inside the VPC.
   * Clients resolve `secretsmanager.<region>.amazonaws.com`
   * (https://docs.aws.amazon.com/general/latest/gr/asm.html).
   */
  public static readonly SECRETS_MANAGER = new PlatformEndpoint(
    'secretsmanager',
    ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    'secretsmanager',
    () => [arn('secretsmanager', 'secret:*')],
    ['secretsmanager'],
    ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
  );

  /**
   * The EC2 API, for one call only: the CloudWatch agent on a GPU fleet instance reads its own tags
   * (`ec2:DescribeTags`) to add the `AutoScalingGroupName` dimension to its GPU metrics, and drops every
   * metric until that call succeeds (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-Configuration-File-Details.html,
   * `append_dimensions`). Its policy admits `ec2:DescribeTags` and nothing else.
   */
  public static readonly EC2 = new PlatformEndpoint(
    'ec2',
    ec2.InterfaceVpcEndpointAwsService.EC2,
    'ec2',
    () => ['*'],
    ['ec2'],
    ['ec2:DescribeTags'],
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
    PlatformEndpoint.EC2,
  ];
  /** Every endpoint the platform knows. */
  public static readonly ALL: readonly PlatformEndpoint[] = [
    ...PlatformEndpoint.BASELINE,
    ...PlatformEndpoint.SAGEMAKER,
    ...PlatformEndpoint.SELF_MANAGED_FLEET,
    PlatformEndpoint.EXECUTE_API,
    PlatformEndpoint.SECRETS_MANAGER,
  ];

  private constructor(
    /** Short name, also the construct id suffix (e.g. `ecr.dkr`). */
    public readonly name: string,
    /** The CDK service descriptor. */
    public readonly service: ec2.InterfaceVpcEndpointAwsService,
    /** IAM action prefix of the calls that cross this endpoint. */
    public readonly actionPrefix: string,
    private readonly scope: () => string[],
    /** Host names the service's clients resolve, without `.<region>.amazonaws.com`. */
    private readonly hosts: readonly string[],
    /** The actions the endpoint's policy admits. @default - every action of `actionPrefix` */
    private readonly actions?: readonly string[],
  ) {}

  /** The actions this endpoint's policy admits. */
  public allowedActions(): string[] {
    return this.actions ? [...this.actions] : [`${this.actionPrefix}:*`];
  }

  /** The resources this endpoint's policy admits by default. */
  public defaultResources(): string[] {
    return this.scope();
  }

  /**
   * The DNS names clients resolve to reach the service through this endpoint (its private DNS names,
   * in the stack's region): the allow-list entries of the DNS firewall. From the service endpoints of
   * https://docs.aws.amazon.com/general/latest/gr/aws-service-information.html (ECR: `api.ecr` is the
   * name to use through PrivateLink, https://docs.aws.amazon.com/general/latest/gr/ecr.html; image pulls
   * resolve `<account>.dkr.ecr.<region>.amazonaws.com`).
   */
  public dnsNames(): string[] {
    return this.hosts.map((host) => `${host}.${Aws.REGION}.amazonaws.com`);
  }
}

function arn(service: string, resource: string): string {
  return `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
}
