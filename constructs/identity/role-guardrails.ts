import { Annotations, Aws, CfnResource, CustomResourceProviderBase, IAspect, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/** The longest role session the platform allows, in seconds. */
export const MAX_SESSION_SECONDS = 3600;

const ROLE_TYPE = 'AWS::IAM::Role';

/**
 * An Aspect that puts every IAM role in its scope, including roles that other constructs and CDK's
 * own custom-resource providers create, under the platform permissions boundary, with sessions of
 * at most one hour.
 *
 * A role in another stack than the boundary refers to it by name, and that stack is made to
 * depend on the boundary's stack, so the boundary always exists before the role.
 *
 * CDK's own custom-resource providers (e.g. the one that strips the VPC's default security group)
 * create their role as a raw resource trusting Lambda with no condition; their single trust
 * statement gets `aws:SourceAccount` here, like every platform role.
 */
export class RoleGuardrails implements IAspect {
  constructor(
    private readonly boundary: iam.ManagedPolicy,
    /** The boundary's ARN built from its name, for roles in other stacks. */
    private readonly boundaryArnByName: string,
  ) {}

  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || node.cfnResourceType !== ROLE_TYPE) return;
    const roleStack = Stack.of(node);
    const boundaryStack = Stack.of(this.boundary);
    if (roleStack === boundaryStack) {
      node.addPropertyOverride('PermissionsBoundary', this.boundary.managedPolicyArn);
    } else {
      node.addPropertyOverride('PermissionsBoundary', this.boundaryArnByName);
      if (!roleStack.dependencies.includes(boundaryStack))
        roleStack.addStackDependency(boundaryStack, 'permissions boundary');
    }

    if (node instanceof iam.CfnRole) {
      const current = node.maxSessionDuration;
      if (current === undefined) {
        node.maxSessionDuration = MAX_SESSION_SECONDS;
      } else if (!Token.isUnresolved(current) && current > MAX_SESSION_SECONDS) {
        Annotations.of(node).addError(
          `maxSessionDuration must be at most ${MAX_SESSION_SECONDS} seconds on a platform role, got ${current}`,
        );
      }
    } else {
      node.addPropertyOverride('MaxSessionDuration', MAX_SESSION_SECONDS);
      if (node.node.scope instanceof CustomResourceProviderBase) {
        // The provider's trust policy is one statement: Allow lambda.amazonaws.com sts:AssumeRole.
        node.addPropertyOverride('AssumeRolePolicyDocument.Statement.0.Condition', {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        });
      }
    }
  }
}
