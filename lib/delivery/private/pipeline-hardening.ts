import { IResolvable, Lazy, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { IConstruct } from 'constructs';
import { PlatformValidationError } from '../../../constructs/private/validation';
import { CODEBUILD_REPORT_ACTIONS, expandActions } from './pipeline-perms';

/** A resource wildcard CDK Pipelines writes that no narrower ARN can replace, with why. */
export interface InherentWildcard {
  /** The resource as the template has it (a token, e.g. `bucket.arnForObjects('*')`, or a literal). */
  readonly resource: string;
  /** The statement may hold only these actions for the wildcard to be acknowledged. */
  readonly actions: readonly string[];
  /** Why no narrower resource works: the acknowledgement's reason. */
  readonly reason: string;
}

type PolicyJson = { Statement?: StatementJson[]; [key: string]: unknown };
type StatementJson = {
  Action?: string | string[];
  Resource?: unknown;
  Principal?: Record<string, unknown>;
  Condition?: Record<string, Record<string, unknown>>;
  Effect?: string;
  [key: string]: unknown;
};

/**
 * Bring every role CDK Pipelines made in `stack` (not those of its stages) to the platform's rules:
 *
 * - grants in a customer-managed policy instead of an inline default policy (NIST 800-53, HIPAA and
 *   PCI DSS forbid inline policies): each role's `DefaultPolicy` renders as an
 *   `AWS::IAM::ManagedPolicy` at the same place in the tree, so every dependency on the grants holds;
 * - no action wildcards: CDK's `s3:GetObject*`-style lists become the exact actions
 *   (`./pipeline-perms.ts`), and CodeBuild's test-report grants, which no step uses, are dropped;
 * - the trust of an AWS service narrowed to this account (`aws:SourceAccount`, cross-service
 *   confused-deputy protection) where the service documents that it sends the key, and left as CDK
 *   wrote it where it does not (a condition on a key the service never sends denies the service, and
 *   the pipeline could not start): see {@link SERVICE_TRUST_CONTEXT}. A statement trusting a service
 *   and an account is split so the account principal, which sends no `aws:SourceAccount`, still can
 *   assume the role;
 * - the remaining resource wildcards acknowledged only when they are one of `inherent`.
 *
 * Call it after `CodePipeline.buildPipeline()`: the roles and their grants exist then.
 */
export function hardenPipelineRoles(stack: Stack, inherent: readonly InherentWildcard[]): void {
  const projects = ownConstructs(stack).filter((c): c is codebuild.CfnProject => c instanceof codebuild.CfnProject);
  const projectArns = projects.map((p) => p.attrArn);
  for (const construct of ownConstructs(stack)) {
    if (construct instanceof iam.Policy) toManagedPolicy(stack, construct, inherent, projectArns);
    if (construct instanceof iam.Role) requireSourceAccount(stack, construct);
  }
}

function toManagedPolicy(
  stack: Stack,
  policy: iam.Policy,
  inherent: readonly InherentWildcard[],
  projectArns: readonly string[],
): void {
  const inline = policy.node.tryFindChild('Resource') as iam.CfnPolicy | undefined;
  if (!inline || policy.document.isEmpty) return;
  policy.node.tryRemoveChild('Resource');
  const managed = new iam.CfnManagedPolicy(policy, 'Managed', {
    description: `Grants of ${policy.node.scope!.node.path}`.slice(0, 1000),
    roles: inline.roles,
    policyDocument: Lazy.any({
      produce: () => narrowed(stack.resolve(policy.document) as PolicyJson, stack.resolve(projectArns) as unknown[]),
    }),
  });
  managed.node.addValidation({
    validate: () => {
      acknowledgeInherentWildcards(stack, managed, inherent);
      return [];
    },
  });
}

/**
 * The grants CDK Pipelines wrote, narrowed: exact actions for CDK's action wildcards; no test-report
 * grants; no grants on CodeBuild's default log groups (`/aws/codebuild/<project>`: every project
 * logs to the pipeline's own encrypted log group instead); build start/stop/status on the pipeline's
 * own projects instead of `*` (the asset-publishing role is also the action role of its builds).
 */
function narrowed(document: PolicyJson, projectArns: unknown[]): PolicyJson {
  const statements = (document.Statement ?? []).flatMap((s) => {
    const actions = [s.Action ?? []].flat().filter((a) => !CODEBUILD_REPORT_ACTIONS.includes(a));
    if (actions.length === 0) return [];
    const resources = [s.Resource ?? []].flat();
    if (
      actions.every((a) => DEFAULT_LOG_GROUP_ACTIONS.includes(a)) &&
      resources.every((r) => JSON.stringify(r).includes(':log-group:/aws/codebuild/'))
    ) {
      return [];
    }
    const exact = expandActions(actions);
    const narrowedResource =
      s.Resource === '*' && actions.every((a) => BUILD_ACTIONS.includes(a)) && projectArns.length > 0
        ? projectArns
        : s.Resource;
    return [{ ...s, Action: exact.length === 1 ? exact[0] : exact, Resource: narrowedResource }];
  });
  return { ...document, Statement: statements };
}

const DEFAULT_LOG_GROUP_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'];
const BUILD_ACTIONS = ['codebuild:BatchGetBuilds', 'codebuild:StartBuild', 'codebuild:StopBuild'];

function acknowledgeInherentWildcards(
  stack: Stack,
  managed: iam.CfnManagedPolicy,
  inherent: readonly InherentWildcard[],
): void {
  const document = stack.resolve(managed.policyDocument) as PolicyJson;
  const known = inherent.map((w) => ({ ...w, flat: flattenCfnReference(stack.resolve(w.resource)) }));
  const done = new Set<string>();
  for (const statement of document.Statement ?? []) {
    const actions = [statement.Action ?? []].flat();
    for (const resource of [statement.Resource ?? []].flat()) {
      const flat = flattenCfnReference(resource);
      if (!flat.includes('*') || done.has(flat)) continue;
      const match = known.find((w) => w.flat === flat && actions.every((a) => w.actions.includes(a)));
      if (!match) continue;
      Validations.of(managed).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${flat}]`,
        reason: match.reason,
      });
      done.add(flat);
    }
  }
}

function requireSourceAccount(stack: Stack, role: iam.Role): void {
  const cfn = role.node.defaultChild as iam.CfnRole;
  const trust = role.assumeRolePolicy;
  if (!trust) return;
  cfn.addPropertyOverride(
    'AssumeRolePolicyDocument',
    Lazy.any({ produce: () => trustForThisAccount(stack.resolve(trust) as PolicyJson, stack.account) }) as IResolvable,
  );
  // The Guard rule ZTAI_ACCESS_TRUST_SOURCE_ACCOUNT wants aws:SourceAccount on every service trust;
  // on a service that does not document sending it, the condition would deny the service its role.
  const silent = servicesOf(stack.resolve(trust) as PolicyJson).filter(
    (service) => SERVICE_TRUST_CONTEXT[service]?.sendsSourceAccount === false,
  );
  if (silent.length > 0) {
    Validations.of(cfn).acknowledge({
      id: 'CloudFormation-Validate::ZTAI_ACCESS_TRUST_SOURCE_ACCOUNT',
      reason:
        `${silent.join(', ')} does not document sending aws:SourceAccount when it assumes its service role ` +
        `(${silent.map((service) => SERVICE_TRUST_CONTEXT[service].documentation).join(', ')}), and a condition ` +
        'on a key that is never sent would deny the service its own role. The role is this account’s: only a ' +
        'resource created here, by a principal allowed iam:PassRole on it, can use it.',
    });
  }
}

/** The service principals an allow statement of the trust policy names. */
function servicesOf(document: PolicyJson): string[] {
  return (document.Statement ?? [])
    .filter((s) => s.Effect === 'Allow' && s.Principal?.Service !== undefined)
    .flatMap((s) => [s.Principal!.Service].flat() as string[]);
}

/**
 * What each AWS service that assumes a pipeline role documents it sends with `sts:AssumeRole`, and
 * where it says so. A service that is not listed fails the synth: its trust needs a decision, not a
 * guess.
 *
 * - CodeBuild: "Allow CodeBuild to interact with other AWS services" shows the service role's trust
 *   narrowed with `aws:SourceAccount` (the project's owner) and `aws:SourceArn` (the project's ARN):
 *   https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html.
 *   Only `aws:SourceAccount` is used here: the project's ARN would make every role depend on its
 *   project, which depends on the role (a cycle); the account is the pipeline's own tooling account.
 * - CodePipeline: neither "Manage the CodePipeline service role"
 *   (https://docs.aws.amazon.com/codepipeline/latest/userguide/how-to-custom-role.html) nor "How AWS
 *   CodePipeline works with IAM"
 *   (https://docs.aws.amazon.com/codepipeline/latest/userguide/security_iam_service-with-iam.html)
 *   documents a confused-deputy condition on the service role's trust, so no key is required: a
 *   condition on a key CodePipeline does not send would deny CodePipeline its own role. The role is
 *   still this account's: only a pipeline created here (by a principal allowed `iam:PassRole` on it)
 *   can use it.
 */
export const SERVICE_TRUST_CONTEXT: Readonly<
  Record<string, { readonly sendsSourceAccount: boolean; readonly documentation: string }>
> = {
  'codebuild.amazonaws.com': {
    sendsSourceAccount: true,
    documentation: 'https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html',
  },
  'codepipeline.amazonaws.com': {
    sendsSourceAccount: false,
    documentation: 'https://docs.aws.amazon.com/codepipeline/latest/userguide/how-to-custom-role.html',
  },
};

/**
 * The trust policy with `aws:SourceAccount` on every statement that trusts an AWS service that sends
 * it ({@link SERVICE_TRUST_CONTEXT}); other service statements unchanged. Throws on a service the
 * table does not know.
 */
export function trustForThisAccount(document: PolicyJson, account: string): PolicyJson {
  const statements = (document.Statement ?? []).flatMap((s): StatementJson[] => {
    if (s.Effect !== 'Allow' || !s.Principal || s.Principal.Service === undefined) return [s];
    const { Service, ...others } = s.Principal;
    const services = [Service].flat() as string[];
    const unknown = services.filter((name) => typeof name !== 'string' || !(name in SERVICE_TRUST_CONTEXT));
    if (unknown.length > 0) {
      throw new PlatformValidationError(
        undefined,
        `pipeline role trust: service principal ${JSON.stringify(unknown)} is not in SERVICE_TRUST_CONTEXT ` +
          `(allowed: ${Object.keys(SERVICE_TRUST_CONTEXT).join(', ')}); say whether it sends aws:SourceAccount`,
      );
    }
    const sends = services.every((name) => SERVICE_TRUST_CONTEXT[name].sendsSourceAccount);
    const service: StatementJson = sends
      ? {
          ...s,
          Principal: { Service },
          Condition: { ...s.Condition, StringEquals: { ...s.Condition?.StringEquals, 'aws:SourceAccount': account } },
        }
      : { ...s, Principal: { Service } };
    return Object.keys(others).length > 0 ? [service, { ...s, Principal: others }] : [service];
  });
  return { ...document, Statement: statements };
}

/**
 * HIPAA and PCI DSS `CodeBuildProjectSourceRepoUrl` expect OAuth on every project's source. A
 * pipeline's projects have source type CODEPIPELINE: no repository URL and no credentials; the
 * pipeline hands them its artifacts, which the CodeConnections connection fetched.
 */
export function acknowledgeCodePipelineSourcedProjects(stack: Stack): void {
  for (const construct of ownConstructs(stack)) {
    if (!(construct instanceof codebuild.CfnProject)) continue;
    const source = stack.resolve(construct.source) as { type?: string };
    if (source.type !== 'CODEPIPELINE') continue;
    for (const pack of ['HIPAA.Security', 'PCI.DSS.321']) {
      Validations.of(construct).acknowledge({
        id: `${pack}::${pack}-CodeBuildProjectSourceRepoUrl`,
        reason:
          'The project’s source type is CODEPIPELINE: it has no repository URL and no credentials to use OAuth with; ' +
          'the pipeline hands it artifacts fetched through the CodeConnections connection.',
      });
    }
  }
}

/** The constructs of `stack` itself: not those of the Stages (and their stacks) nested in it. */
export function ownConstructs(stack: Stack): IConstruct[] {
  const found: IConstruct[] = [];
  const visit = (c: IConstruct): void => {
    if (c !== stack && (Stage.isStage(c) || Stack.isStack(c))) return;
    found.push(c);
    c.node.children.forEach(visit);
  };
  visit(stack);
  return found;
}
