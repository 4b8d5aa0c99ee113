import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role's grant principal that writes every grant into one customer-managed policy attached to
 * the role, instead of an inline default policy: NIST 800-53, HIPAA and PCI DSS forbid inline
 * policies, and a managed policy can be reviewed and versioned on its own.
 *
 * The policy is created on the first grant, so a role that is granted nothing has no empty policy.
 */
export class ManagedPolicyPrincipal implements iam.IPrincipal {
  /** Whether a principal writes its grants to a managed policy (and which). */
  public static policyOf(principal: iam.IPrincipal): iam.ManagedPolicy | undefined {
    return principal instanceof ManagedPolicyPrincipal ? principal._policy : undefined;
  }

  public readonly grantPrincipal: iam.IPrincipal = this;
  public readonly assumeRoleAction: string;
  public readonly policyFragment: iam.PrincipalPolicyFragment;
  public readonly principalAccount: string | undefined;
  private _policy?: iam.ManagedPolicy;

  constructor(
    private readonly scope: Construct,
    public readonly role: iam.IRole,
    private readonly policyId = 'Policy',
  ) {
    this.assumeRoleAction = role.assumeRoleAction;
    this.policyFragment = role.policyFragment;
    this.principalAccount = role.principalAccount;
  }

  /** The managed policy holding the grants, once there is one. */
  public get policy(): iam.ManagedPolicy | undefined {
    return this._policy;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this._policy) {
      this._policy = new iam.ManagedPolicy(this.scope, this.policyId, {
        description: `Grants of ${this.role.node.path}`,
        roles: [this.role],
      });
    }
    this._policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this._policy };
  }

  public addToPolicy(statement: iam.PolicyStatement): boolean {
    return this.addToPrincipalPolicy(statement).statementAdded;
  }
}
