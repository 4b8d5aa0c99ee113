/**
 * One way to evaluate one AWS request against the policies in its way, with `@cloud-copilot/iam-simulate`
 * (AGPL; a devDependency of the review tool and the tests, never imported from constructs/).
 *
 * The access matrix, the journeys and the tests' `iam-eval` helper all call `simulateRequest`: the
 * principal (a role session, a role, an AWS service principal, another account's principal or an
 * anonymous caller), the action, the resource, the request context, and every policy that AWS
 * evaluates for that request (identity policies, permissions boundary, resource policy, VPC endpoint
 * policies). The answer names the statements that decided it, as a reviewer reads them.
 */
import {
  anonymousPrincipal,
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  type Simulation,
  type SimulationErrors,
} from '@cloud-copilot/iam-simulate';
import { asArray } from './resolved-templates';
import { byString } from './json';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' | 'Error';

/** A policy document as the templates hold it. */
export interface PolicyDoc {
  readonly Version?: string;
  readonly Statement: unknown;
}

/** A policy with the name the decision reasons show. */
export interface NamedPolicy {
  readonly name: string;
  readonly policy: PolicyDoc;
}

/** Who sends the request. */
export type RequestPrincipal =
  /** An ARN: a role session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`), a role, a user or an account root. */
  | { readonly arn: string }
  /** An AWS service principal, e.g. `cloudtrail.amazonaws.com`. */
  | { readonly service: string }
  /** An unsigned request (e.g. a person with a Cognito token: IAM sees no principal). */
  | { readonly anonymous: true };

export interface SimulatedRequest {
  readonly principal: RequestPrincipal;
  readonly action: string;
  /** The resource ARN, or `*` for actions that take no resource. */
  readonly resource: string;
  /** The account that owns the resource. */
  readonly resourceAccount: string;
  /** The request context: every key AWS sends with this request. */
  readonly context: Record<string, string | string[]>;
  readonly identityPolicies?: NamedPolicy[];
  readonly permissionsBoundary?: NamedPolicy;
  /** The resource's policy (bucket, key, repository, API, topic policy, or a role's trust policy). */
  readonly resourcePolicy?: PolicyDoc;
  /** The policies of the VPC endpoints the request crosses. */
  readonly vpcEndpointPolicies?: NamedPolicy[];
}

export interface SimulatedResult {
  readonly decision: Decision;
  /** Statements that allowed the request (Allowed only): `<policy type>:<policy> <sid or #n>`. */
  readonly allowedBy?: string[];
  /** Policies that denied it: `<policy type>:explicit(<policy> <sid or #n>)` or `<policy type>:implicit`. */
  readonly deniedBy?: string[];
  /** Context keys the simulator did not use because AWS does not send them with this action. */
  readonly ignoredContextKeys?: string[];
  readonly error?: string;
}

const POLICY_TYPE_NAMES: Record<string, string> = {
  identity: 'identity',
  resource: 'resource',
  pb: 'boundary',
  vpce: 'endpoint',
  scp: 'scp',
  rcp: 'rcp',
  's3-bpa': 'block-public-access',
};

/**
 * The simulator recognises a context key with a variable part only when the variable follows a `/`
 * (`aws:PrincipalTag/<key>`): it drops `kms:EncryptionContext:<key>` from the request as a key KMS does not
 * send, so every key policy that narrows use by encryption context (CloudTrail, CloudWatch Logs, S3)
 * would read as denied. The request and every policy get the same key under a `/`-separated name the
 * simulator keeps (a renaming, consistent on both sides, so the conditions mean what they meant).
 */
const ENCRYPTION_CONTEXT = /^kms:encryptioncontext:(.+)$/i;
const ENCRYPTION_CONTEXT_ALIAS = 'aws:RequestTag/ztai-review-kms-encryption-context/';

/** Rename `kms:EncryptionContext:<key>` to the alias the simulator keeps (see ENCRYPTION_CONTEXT). */
export function aliasEncryptionContextKey(key: string): string {
  const m = ENCRYPTION_CONTEXT.exec(key);
  return m ? `${ENCRYPTION_CONTEXT_ALIAS}${m[1]}` : key;
}

function aliasPolicy(doc: PolicyDoc): PolicyDoc {
  const statements = asArray(doc.Statement).map((s) => {
    const st = s as { Condition?: Record<string, Record<string, unknown>> };
    if (!st.Condition) return st;
    const condition = Object.fromEntries(
      Object.entries(st.Condition).map(([op, keys]) => [
        op,
        Object.fromEntries(Object.entries(keys).map(([k, v]) => [aliasEncryptionContextKey(k), v])),
      ]),
    );
    return { ...st, Condition: condition };
  });
  return { ...doc, Statement: Array.isArray(doc.Statement) ? statements : statements[0] };
}

/** Evaluate one request in strict mode (the context is taken as complete: a key not given is absent). */
export async function simulateRequest(request: SimulatedRequest): Promise<SimulatedResult> {
  const aliases = new Map<string, string>();
  const context = Object.fromEntries(
    Object.entries(request.context).map(([k, v]) => {
      const alias = aliasEncryptionContextKey(k);
      aliases.set(alias, k);
      return [alias, v];
    }),
  );
  const named = (p: NamedPolicy): NamedPolicy => ({ name: p.name, policy: aliasPolicy(p.policy) });
  const p = request.principal;
  const principal = 'arn' in p ? p.arn : 'service' in p ? p.service : anonymousPrincipal;
  const anonymous = 'anonymous' in p;
  const simulation: Simulation = {
    request: {
      principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables: context,
    },
    identityPolicies: anonymous ? [] : (request.identityPolicies ?? []).map(named),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: aliasPolicy(request.resourcePolicy) } : {}),
    ...(request.permissionsBoundary && !anonymous
      ? { permissionBoundaryPolicies: [named(request.permissionsBoundary)] }
      : {}),
    ...(request.vpcEndpointPolicies?.length ? { vpcEndpointPolicies: request.vpcEndpointPolicies.map(named) } : {}),
  };
  const response = await runSimulation(simulation, { simulationMode: 'Strict' });
  if (response.resultType === 'error') return { decision: 'Error', error: summariseErrors(response.errors) };
  const single = response.resultType === 'single' ? response.result : response.results[0];
  const analysis = single?.analysis;
  const ignored = (single && 'ignoredContextKeys' in single ? (single.ignoredContextKeys as string[]) : []).map(
    (k) => aliases.get(k) ?? k,
  );
  const decision = response.overallResult as Decision;
  const extra = ignored.length > 0 ? { ignoredContextKeys: [...ignored].sort(byString) } : {};
  if (!analysis) return { decision, ...extra };
  if (decision === 'Allowed') {
    return { decision, allowedBy: uniqueSorted(getGrantReasons(analysis).map(describeGrant)), ...extra };
  }
  return { decision, deniedBy: uniqueSorted(getDenialReasons(analysis).map(describeDenial)), ...extra };
}

/**
 * A VPC endpoint policy as the evaluator reads it: in an endpoint policy `Principal: { AWS: '*' }` means
 * the same as `Principal: '*'` (every principal); the evaluator only accepts the latter.
 */
export function endpointPolicy(doc: PolicyDoc): PolicyDoc {
  const statements = asArray(doc.Statement).map((s) => {
    const st = s as { Principal?: unknown };
    const aws = (st.Principal as { AWS?: unknown } | undefined)?.AWS;
    const anyone = aws === '*' || (Array.isArray(aws) && aws.length === 1 && aws[0] === '*');
    return anyone && Object.keys(st.Principal as object).length === 1 ? { ...st, Principal: '*' } : st;
  });
  return { ...doc, Statement: statements };
}

function describeDenial(d: ReturnType<typeof getDenialReasons>[number]): string {
  const type = POLICY_TYPE_NAMES[d.policyType] ?? d.policyType;
  if (d.denialType === 'Implicit') return `${type}:implicit`;
  const where = d.statementId ? d.statementId : `#${d.statementIndex}`;
  return `${type}:explicit(${d.policyIdentifier ? `${d.policyIdentifier} ` : ''}${where})`;
}

function describeGrant(g: ReturnType<typeof getGrantReasons>[number]): string {
  const type = POLICY_TYPE_NAMES[g.policyType] ?? g.policyType;
  const where = g.statementId ? g.statementId : `#${g.statementIndex}`;
  return 'policyIdentifier' in g ? `${type}:${g.policyIdentifier} ${where}` : `${type}:${where}`;
}

function summariseErrors(errors: SimulationErrors): string {
  const details = Object.entries(errors)
    .filter(([k]) => k !== 'message')
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join('; ');
  return details ? `${errors.message} (${details})`.slice(0, 500) : errors.message;
}

function uniqueSorted(values: string[]): string[] {
  return [...new Set(values)].sort(byString);
}
