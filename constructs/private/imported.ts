import { Annotations, Aws, CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';

/**
 * Whether a construct was created in this app (so its resource policy can be changed here): an L1,
 * or an L2 (or a wrapper of ours around one) whose default child is, at some depth, a CfnResource.
 * An imported resource (`kms.Key.fromKeyArn`, `s3.Bucket.fromBucketName`…) has none.
 */
export function isOwned(construct: IConstruct): boolean {
  for (let c: IConstruct | undefined = construct; c; c = c.node.defaultChild) {
    if (CfnResource.isCfnResource(c)) return true;
  }
  return false;
}

/**
 * Statements rendered as they would appear in a policy, for a warning: tokens resolved to their
 * CloudFormation form (`{"Fn::GetAtt": …}`, `{"Ref":"AWS::AccountId"}`), literals as they are.
 */
export function renderStatements(scope: IConstruct, statements: iam.PolicyStatement[]): string {
  const stack = Stack.of(scope);
  return JSON.stringify(literalize(stack.resolve(statements.map((s) => s.toStatementJson())), stack));
}

/**
 * The pseudo parameters of an environment-specific stack written as its account, region and
 * partition, and joins of literals joined, so the statement reads as its owner will paste it.
 */
function literalize(value: unknown, stack: Stack): unknown {
  const pseudo: Record<string, string | undefined> = {
    'AWS::AccountId': Token.isUnresolved(stack.account) ? undefined : stack.account,
    'AWS::Region': Token.isUnresolved(stack.region) ? undefined : stack.region,
    'AWS::Partition': Token.isUnresolved(stack.partition) ? undefined : stack.partition,
    'AWS::URLSuffix': Token.isUnresolved(stack.urlSuffix) ? undefined : stack.urlSuffix,
  };
  if (Array.isArray(value)) return value.map((v) => literalize(v, stack));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [[k, v]] = entries;
    if (k === 'Ref' && typeof v === 'string' && pseudo[v] !== undefined) return pseudo[v];
    if (k === 'Fn::Join' && Array.isArray(v) && v.length === 2) {
      const parts = literalize(v[1], stack) as unknown[];
      if (parts.every((p) => typeof p === 'string')) return parts.join(v[0] as string);
      return { 'Fn::Join': [v[0], parts] };
    }
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, literalize(v, stack)]));
}

/**
 * Warn, on `scope`, that the owner of an imported resource must add statements to its policy: the
 * construct cannot change the policy of a resource it did not create, and says exactly what is
 * missing instead of leaving a silent gap.
 */
export function warnOwnerMustAdd(
  scope: IConstruct,
  id: string,
  resource: string,
  policy: string,
  statements: iam.PolicyStatement[],
  why: string,
): void {
  Annotations.of(scope).addWarningV2(
    id,
    `${resource} is imported, so ${policy} cannot be changed here; ${why}. Its owner must add (unless the policy already allows it): ` +
      renderStatements(scope, statements),
  );
}

/**
 * Add a statement to a resource policy, or, when the resource is imported (its policy is not ours
 * to change), warn on `scope` with the exact statement its owner must add.
 */
export function addToResourcePolicyOrWarn(
  scope: IConstruct,
  resource: IConstruct & { addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult },
  statement: iam.PolicyStatement,
  id: string,
  description: string,
  why: string,
): void {
  const { statementAdded } = resource.addToResourcePolicy(statement);
  if (!statementAdded) warnOwnerMustAdd(scope, id, description, `the policy of ${description}`, [statement], why);
}

/**
 * Grant key actions to a grantee through one AWS service (the identity side, always), and, when the
 * key is imported, warn with the key-policy statement its owner must add so the grant can work: the
 * grantee, the actions, `kms:ViaService` and `kms:CallerAccount`, as a platform key's policy has them.
 */
export function grantKeyThroughService(
  scope: IConstruct,
  key: kms.IKey,
  grantee: iam.IGrantable,
  actions: string[],
  servicePrefix: string,
  why: string,
): iam.Grant {
  const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [key.keyArn] });
  if (!isOwned(key)) {
    warnOwnerMustAdd(
      scope,
      'ztai:imported-key-policy',
      `key ${key.keyArn}`,
      'its key policy',
      [
        new iam.PolicyStatement({
          principals: [grantee.grantPrincipal],
          actions,
          resources: ['*'],
          conditions: {
            StringEquals: {
              'kms:CallerAccount': Aws.ACCOUNT_ID,
              'kms:ViaService': `${servicePrefix}.${Aws.REGION}.amazonaws.com`,
            },
          },
        }),
      ],
      why,
    );
  }
  return grant;
}
