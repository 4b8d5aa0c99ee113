import { PlatformValidationError } from '../private/validation';

/**
 * The AWS service a workload runs as: the only principal its role trusts.
 */
export class WorkloadPrincipal {
  /** SageMaker endpoints, training and processing jobs. */
  public static readonly SAGEMAKER = new WorkloadPrincipal('sagemaker.amazonaws.com', true);
  /** Lambda functions (agents, platform functions). */
  public static readonly LAMBDA = new WorkloadPrincipal('lambda.amazonaws.com', true);
  /** ECS and Fargate tasks. */
  public static readonly ECS_TASKS = new WorkloadPrincipal('ecs-tasks.amazonaws.com', true);
  /** Bedrock agents and jobs. */
  public static readonly BEDROCK = new WorkloadPrincipal('bedrock.amazonaws.com', true);
  /**
   * EC2 instances of a self-managed GPU fleet. EC2 does not send `aws:SourceAccount` when it
   * delivers instance-profile credentials, so the trust carries no confused-deputy condition:
   * only principals allowed `iam:PassRole` on this role (never a platform role: the boundary
   * denies it) can attach it to an instance, and only in this account.
   */
  public static readonly EC2 = new WorkloadPrincipal('ec2.amazonaws.com', false);

  /** Another service principal, by name. Say whether it sends `aws:SourceAccount` when it assumes a role. */
  public static of(servicePrincipal: string, sendsSourceAccount: boolean): WorkloadPrincipal {
    if (!/^[a-z0-9.-]+\.amazonaws\.com$/.test(servicePrincipal)) {
      throw new PlatformValidationError(
        undefined,
        `WorkloadPrincipal.of: servicePrincipal must be an AWS service principal such as 'sagemaker.amazonaws.com', got '${servicePrincipal}'`,
      );
    }
    return new WorkloadPrincipal(servicePrincipal, sendsSourceAccount);
  }

  private constructor(
    /** The service principal, e.g. `sagemaker.amazonaws.com`. */
    public readonly servicePrincipal: string,
    /** Whether the service sends `aws:SourceAccount` / `aws:SourceArn` when it assumes the role. */
    public readonly sendsSourceAccount: boolean,
  ) {}
}
