import { Aws, Duration, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { ManagedPolicyPrincipal } from './managed-policy-principal';
import { PlatformValidationError } from '../private/validation';
import { WorkloadPrincipal } from './workload-principal';

/** The tag every resource of a workload carries. */
export const WORKLOAD_TAG_KEY = 'ai-platform:workload';

/** Workload names: lower-case, start with a letter, 2 to 32 characters of letters, digits and '-'. */
export const WORKLOAD_NAME_PATTERN = /^[a-z][a-z0-9-]{1,31}$/;

export interface WorkloadIdentityProps {
  /** The workload's name; part of its data prefixes and its tag. */
  readonly workloadName: string;
  /** The AWS service the workload runs as: the only principal the role trusts. */
  readonly runsAs: WorkloadPrincipal;
  /**
   * The ARN (or ARN pattern) of the resource that assumes the role, for `aws:SourceArn`.
   * @default - only `aws:SourceAccount` narrows the trust
   */
  readonly sourceArn?: string;
  /** Role description. @default - names the workload */
  readonly description?: string;
}

/**
 * One IAM role per workload: trusts only the service the workload runs as, in this account
 * (`aws:SourceAccount`, and `aws:SourceArn` where known), with sessions of at most one hour.
 * Access is granted to it by the resources' `grant*()` methods, never by hand-written policies;
 * grants land in one customer-managed policy of the workload (no inline policies).
 * The role carries the tag `ai-platform:workload=<name>`; tag the rest of the workload with `tagWorkload()`.
 */
export class WorkloadIdentity extends Construct implements iam.IGrantable {
  /** Whether a construct is a WorkloadIdentity. */
  public static isWorkloadIdentity(x: unknown): x is WorkloadIdentity {
    return x instanceof WorkloadIdentity;
  }

  public readonly workloadName: string;
  public readonly role: iam.Role;
  public readonly grantPrincipal: iam.IPrincipal;
  /** The workload's own prefix in shared buckets: `workloads/<name>/`. */
  public readonly dataPrefix: string;
  /** The workload's approved-model prefix in the models bucket: `approved/<name>/`. */
  public readonly approvedModelPrefix: string;

  constructor(scope: Construct, id: string, props: WorkloadIdentityProps) {
    super(scope, id);
    if (Token.isUnresolved(props.workloadName) || !WORKLOAD_NAME_PATTERN.test(props.workloadName)) {
      throw new PlatformValidationError(
        this,
        `workloadName must be 2-32 characters of lower-case letters, digits and '-', starting with a letter, got '${props.workloadName}'`,
      );
    }
    if (props.sourceArn && !props.runsAs.sendsSourceAccount) {
      throw new PlatformValidationError(
        this,
        `sourceArn is set but ${props.runsAs.servicePrincipal} does not send aws:SourceArn when it assumes a role; remove sourceArn`,
      );
    }
    this.workloadName = props.workloadName;
    this.dataPrefix = `workloads/${props.workloadName}/`;
    this.approvedModelPrefix = `approved/${props.workloadName}/`;

    const conditions: Record<string, Record<string, unknown>> = {};
    if (props.runsAs.sendsSourceAccount) {
      conditions.StringEquals = { 'aws:SourceAccount': Aws.ACCOUNT_ID };
      if (props.sourceArn) conditions.ArnLike = { 'aws:SourceArn': props.sourceArn };
    }
    this.role = new iam.Role(this, 'Resource', {
      assumedBy: new iam.ServicePrincipal(props.runsAs.servicePrincipal).withConditions(conditions),
      description: props.description ?? `Workload ${props.workloadName} (${props.runsAs.servicePrincipal})`,
      maxSessionDuration: Duration.hours(1),
    });
    this.grantPrincipal = new ManagedPolicyPrincipal(this, this.role);
    tagWorkload(this, props.workloadName);
  }
}

/** Tag every resource under `scope` with `ai-platform:workload=<name>`. */
export function tagWorkload(scope: IConstruct, workloadName: string): void {
  Tags.of(scope).add(WORKLOAD_TAG_KEY, workloadName);
}
