import { createHash } from 'crypto';
import { WORKLOAD_NAME_PATTERN } from '../../constructs/identity/workload-identity';
import {
  admissionRoleName,
  admissionRolePath,
  apiClientSecretName,
  apiGatewayName,
  apiRouteRolePath,
  auditTrailName,
  malwareScanRoleName,
  PLATFORM_BUCKET_PURPOSES,
  platformBucketName,
  platformKeyAlias,
  platformStackName,
  peopleMonitoredWorkloadName,
  releaseRoleName,
  releaseRolePath,
  workloadEndpointName,
  workloadRepositoryName,
  workloadRoleName,
  workloadStackName,
} from './names';
import type { WorkloadKind } from './platform-config';

/**
 * The naming rules of the services the platform names resources in, and every name the platform
 * builds from `platformName` and a workload's name (from the generators of ./names.ts). The validator
 * checks the names a configuration would build against these rules, and derives a workload name's
 * length limit from them (`maxWorkloadNameLength`), so a configuration that passes never fails deep
 * in the build on a name the user never wrote.
 */

/** One service's rule for one kind of name. */
export interface NamingRule {
  /** What the name names, e.g. 'the S3 bucket names'. */
  readonly names: string;
  readonly maxLength: number;
  /** What else is wrong with a name of allowed length, in words (never quoting the generated name), or undefined. */
  readonly problem: (name: string) => string | undefined;
}

const S3_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const S3_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** S3 general purpose bucket names (docs: "General purpose bucket naming rules"). */
export const S3_BUCKET: NamingRule = {
  names: 'the S3 bucket names',
  maxLength: 63,
  problem: (n) => {
    const prefix = S3_RESERVED_PREFIXES.find((p) => n.startsWith(p));
    if (prefix) return `S3 reserves the prefix '${prefix}'`;
    const suffix = S3_RESERVED_SUFFIXES.find((s) => n.endsWith(s));
    if (suffix) return `S3 reserves the suffix '${suffix}'`;
    if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(n) || n.includes('..')) {
      return "S3 bucket names are lower-case letters, digits, '.' and '-', and begin and end with a letter or digit";
    }
    return undefined;
  },
};

/** IAM role names. */
export const IAM_ROLE: NamingRule = {
  names: 'the IAM role names',
  maxLength: 64,
  problem: (n) => (/^[\w+=,.@-]+$/.test(n) ? undefined : "IAM role names are letters, digits and '+=,.@_-'"),
};

/** IAM paths. */
export const IAM_PATH: NamingRule = {
  names: 'the IAM role paths',
  maxLength: 512,
  problem: (n) => (/^\/([\x21-\x7E]+\/)?$/.test(n) ? undefined : 'IAM paths are printable ASCII between slashes'),
};

/** ECR repository names. */
export const ECR_REPOSITORY: NamingRule = {
  names: 'the ECR image repository names',
  maxLength: 256,
  problem: (n) =>
    /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(n)
      ? undefined
      : "ECR repository names allow no '--' and no '-' at the end of a name segment",
};

/** SageMaker endpoint names (and the endpoint's log group, scaling policy). */
export const SAGEMAKER_ENDPOINT: NamingRule = {
  names: 'the SageMaker endpoint names',
  maxLength: 63,
  problem: (n) => (/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/.test(n) ? undefined : 'SageMaker names end with a letter or digit'),
};

/** CloudFormation stack names. */
export const STACK: NamingRule = {
  names: 'the CloudFormation stack names',
  maxLength: 128,
  problem: (n) => (/^[A-Za-z][A-Za-z0-9-]*$/.test(n) ? undefined : "stack names are letters, digits and '-'"),
};

/** CloudTrail trail names. */
export const CLOUDTRAIL: NamingRule = {
  names: 'the CloudTrail trail name',
  maxLength: 128,
  problem: (n) =>
    /^[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$/.test(n) && !/[._-]{2}/.test(n)
      ? undefined
      : "CloudTrail names allow no adjacent '.', '_' or '-'",
};

/** KMS alias names. */
export const KMS_ALIAS: NamingRule = {
  names: 'the KMS key aliases',
  maxLength: 256,
  problem: (n) =>
    n.startsWith('alias/aws/')
      ? "KMS reserves aliases under 'alias/aws/' for AWS managed keys"
      : /^alias\/[A-Za-z0-9/_-]+$/.test(n)
        ? undefined
        : "KMS aliases are letters, digits and '/_-'",
};

/** Secrets Manager secret names. */
export const SECRET: NamingRule = {
  names: 'the Secrets Manager secret names',
  maxLength: 512,
  problem: (n) => (/^[A-Za-z0-9/_+=.@-]+$/.test(n) ? undefined : "secret names are letters, digits and '/_+=.@-'"),
};

/** Cognito user pool names and WAF web ACL names. */
export const API_RESOURCE: NamingRule = {
  names: 'the API, user pool and web ACL names',
  maxLength: 128,
  problem: (n) => (/^[\w-]+$/.test(n) ? undefined : "these names are letters, digits, '_' and '-'"),
};

/** The operational monitoring's workload names (its alarms and dashboard widgets). */
export const MONITORED_WORKLOAD: NamingRule = {
  names: 'the operational monitoring names',
  maxLength: 32,
  problem: (n) =>
    WORKLOAD_NAME_PATTERN.test(n) ? undefined : "monitored names are lower-case letters, digits and '-'",
};

/**
 * OpenSearch Serverless policy names (a retrieving workload's data-access policy on the vector
 * collection): 3-32, `^[a-z][a-z0-9-]{2,31}$` (CreateAccessPolicy, `name`).
 */
export const OPENSEARCH_SERVERLESS_POLICY: NamingRule = {
  names: 'the vector store data-access policy names',
  maxLength: 32,
  problem: (n) =>
    /^[a-z][a-z0-9-]{2,31}$/.test(n)
      ? undefined
      : "OpenSearch Serverless policy names are lower-case letters, digits and '-'",
};

/** The vector store's collection name: `<platformName>-rag` (at most 24 characters). */
export function vectorCollectionName(platformName: string): string {
  return `${platformName}-rag`;
}

/** A retrieving workload's data-access policy name: `<collection>-<workload>` (at most 32 characters). */
export function vectorAccessPolicyName(platformName: string, workloadName: string): string {
  const readable = `${vectorCollectionName(platformName)}-${workloadName}`;
  if (readable.length <= OPENSEARCH_SERVERLESS_POLICY.maxLength) return readable;
  // Too long for OpenSearch Serverless: the workload's name, cut, and a digest of both names (unique in the
  // account, as the readable name is), so a policy name never limits a workload name.
  const digest = createHash('sha256').update(`${platformName}/${workloadName}`).digest('hex').slice(0, 8);
  return `${workloadName.slice(0, OPENSEARCH_SERVERLESS_POLICY.maxLength - 9).replace(/-+$/, '')}-${digest}`;
}

/**
 * A workload's knowledge base role name, `<platformName>-kb-<workload>`, known before it exists (the data
 * bucket's exemption names it). Every knowledge base role shares the prefix `<platformName>-kb-`, so one
 * pattern names them all (the audit's alarm on Bedrock invocations by principals outside the platform).
 */
export function knowledgeBaseRoleName(platformName: string, workloadName: string): string {
  return `${platformName}-kb-${workloadName}`;
}

/** The prefix of every knowledge base role name of the platform (see `knowledgeBaseRoleName`). */
export function knowledgeBaseRoleNamePrefix(platformName: string): string {
  return `${platformName}-kb-`;
}

/** A name the platform builds, and the rule it must follow. */
export interface GeneratedName {
  readonly rule: NamingRule;
  readonly name: string;
}

/** The placeholders of deploy-time values: a 12-digit account and the longest region code. */
export const PLACEHOLDER_ACCOUNT = '123456789012';
export const LONGEST_REGION = 'us-isof-south-1';

/** What the platform's names depend on besides the names themselves. */
export interface NamingContext {
  readonly account?: string;
  readonly region?: string;
  /** Whether some workload has an image repository in the platform stack. */
  readonly repositories?: boolean;
}

/** Every name the platform builds from `platformName` alone. */
export function platformGeneratedNames(platformName: string, context: NamingContext = {}): GeneratedName[] {
  const account = context.account ?? PLACEHOLDER_ACCOUNT;
  const region = context.region ?? LONGEST_REGION;
  const p = platformName;
  return [
    ...['platform', 'api', 'audit', 'governance'].map((s) => ({ rule: STACK, name: `${p}-${s}` })),
    ...PLATFORM_BUCKET_PURPOSES.map((purpose) => ({
      rule: S3_BUCKET,
      name: platformBucketName(p, purpose, account, region),
    })),
    { rule: IAM_ROLE, name: releaseRoleName(p) },
    { rule: IAM_ROLE, name: admissionRoleName(p, region) },
    { rule: IAM_ROLE, name: malwareScanRoleName({ platformName: p }) },
    { rule: IAM_PATH, name: releaseRolePath(p) },
    { rule: IAM_PATH, name: admissionRolePath(p) },
    { rule: IAM_PATH, name: apiRouteRolePath(p) },
    { rule: KMS_ALIAS, name: platformKeyAlias(p, 'model-signing') },
    { rule: CLOUDTRAIL, name: auditTrailName(p) },
    { rule: API_RESOURCE, name: apiGatewayName(p, true) },
    ...(context.repositories
      ? [{ rule: ECR_REPOSITORY, name: workloadRepositoryName(platformStackName(p), 'w') }]
      : []),
  ];
}

/** A workload as far as its names go. */
export interface NamedWorkload {
  readonly name: string;
  readonly kind: WorkloadKind;
  /** A repository of the platform's: a batch workload, or a realtime-inference workload without imageUri. */
  readonly repository: boolean;
  /** Exposed through the people API (its monitoring gets a `<workload>-people` entry). */
  readonly people: boolean;
  /** An API client (it gets a secret). */
  readonly apiClient?: boolean;
  /** A genai workload with `genai.retrieval` (a data-access policy on the vector store). */
  readonly retrieval?: boolean;
  /** With `genai.retrieval.knowledgeBase` (a knowledge base role named by the platform). */
  readonly knowledgeBase?: boolean;
}

/** Every name the platform builds from a workload's name (and `platformName`). */
export function workloadGeneratedNames(platformName: string, w: NamedWorkload): GeneratedName[] {
  const stack = workloadStackName(platformName, w.name);
  return [
    { rule: STACK, name: stack },
    { rule: IAM_ROLE, name: workloadRoleName(platformName, w.name) },
    { rule: MONITORED_WORKLOAD, name: w.name },
    ...(w.kind === 'realtime-inference' ? [{ rule: SAGEMAKER_ENDPOINT, name: workloadEndpointName(stack) }] : []),
    ...(w.repository
      ? [{ rule: ECR_REPOSITORY, name: workloadRepositoryName(platformStackName(platformName), w.name) }]
      : []),
    ...(w.people ? [{ rule: MONITORED_WORKLOAD, name: peopleMonitoredWorkloadName(w.name) }] : []),
    ...(w.apiClient ? [{ rule: SECRET, name: apiClientSecretName(platformName, w.name) }] : []),
    ...(w.retrieval
      ? [{ rule: OPENSEARCH_SERVERLESS_POLICY, name: vectorAccessPolicyName(platformName, w.name) }]
      : []),
    ...(w.knowledgeBase ? [{ rule: IAM_ROLE, name: knowledgeBaseRoleName(platformName, w.name) }] : []),
  ];
}

/** The problems of some generated names, one per rule: what they name and what is wrong, in words. */
export function namingProblems(names: readonly GeneratedName[]): { rule: NamingRule; reason: string }[] {
  const found = new Map<NamingRule, string>();
  for (const { rule, name } of names) {
    if (found.has(rule)) continue;
    const reason = name.length > rule.maxLength ? `at most ${rule.maxLength} characters` : rule.problem(name);
    if (reason) found.set(rule, reason);
  }
  return [...found].map(([rule, reason]) => ({ rule, reason }));
}

/** The longest name (up to 32, the workload name pattern's own limit) that a workload like `w` can have. */
export function maxWorkloadNameLength(platformName: string, w: Omit<NamedWorkload, 'name'>): number {
  let n = 32;
  while (n > 2 && namingProblems(workloadGeneratedNames(platformName, { ...w, name: 'a'.repeat(n) })).length > 0) n--;
  return n;
}
