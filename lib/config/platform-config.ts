import type {
  ContentFilters,
  DeniedTopic,
  FilterStrength,
  PiiEntityType,
  SensitiveInformationAction,
} from '../../constructs/genai/bedrock-guardrail';
import type { ApprovedModelVersion } from '../../constructs/inference/approved-model';

/**
 * The platform's configuration: what a platform team edits (as JSON or YAML) to describe its
 * platform. The shape, the defaults and the messages live in one JSON Schema (`./schema.ts`,
 * published as `schema/platform-config.schema.json`); every field is validated at synth by
 * `validatePlatformConfig`. These types describe what validation returns (defaults filled in);
 * `test/lib/config-schema.test.ts` keeps their field names and the schema's in step.
 *
 * Nothing here imports a stack: stacks import the config, never the other way round.
 */

/** What a workload does; decides the service it runs as and the compute it gets. */
export const WORKLOAD_KINDS = ['realtime-inference', 'batch', 'agent', 'genai'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Deployment profile: `production` turns on the account-level controls (threat detection, Guard hook). */
export const PROFILES = ['dev', 'production'] as const;
export type Profile = (typeof PROFILES)[number];

/** The environments a delivery pipeline promotes through, in order. */
export const DELIVERY_ENVIRONMENT_NAMES = ['dev', 'staging', 'production'] as const;
export type DeliveryEnvironmentName = (typeof DELIVERY_ENVIRONMENT_NAMES)[number];

export const GUARD_HOOK_FAILURE_MODES = ['warn', 'fail'] as const;
export type GuardHookFailureMode = (typeof GUARD_HOOK_FAILURE_MODES)[number];

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** The largest maxPromptChars whose JSON body (4 bytes a character + 1 KB) WAF can still inspect (64 KB). */
export const MAX_PROMPT_CHARS = 16128;

/**
 * The compute of a `realtime-inference` or `batch` workload: `workloads[i].compute` in the
 * platform configuration.
 */
export interface WorkloadComputeConfig {
  /**
   * `realtime-inference`: digest (`sha256:<64 hex>`) of the model server image in the workload's
   * repository of the platform (`<platform stack>/<workload>`). Set exactly one of imageDigest and imageUri.
   */
  readonly imageDigest?: string;
  /** `realtime-inference`: a private ECR image URI pinned by digest, instead of the platform repository. */
  readonly imageUri?: string;
  /**
   * `realtime-inference` (required): the approved model version the endpoint serves, as signed and
   * admitted (`ztai-model sign` subject): SageMaker loads `approved/<workload>/<name>/<version>/files/`.
   * `name` and `version` follow the admission gate's rule for key segments.
   */
  readonly model?: ApprovedModelVersion;
  /** Fewest instances. @default 2 for `realtime-inference`, 0 for `batch` */
  readonly minInstances?: number;
  /** Most instances. @default twice minInstances for `realtime-inference`, max(1, minInstances) for `batch` */
  readonly maxInstances?: number;
  /** `batch`: a pinned AMI id. @default - the AWS Deep Learning Base GPU AMI (Amazon Linux 2023), read from its public SSM parameter at deploy time */
  readonly amiId?: string;
}

/** The guardrail of a `genai` workload (`workloads[i].genai.guardrail`); every field left out stays at its strictest. */
export interface GenAiGuardrailConfig {
  /** Prompt-attack filter strength on input. @default 'HIGH' */
  readonly promptAttack?: FilterStrength;
  /** Required (and warned about) to set promptAttack to NONE. @default false */
  readonly allowNoPromptAttackFilter?: boolean;
  /** Content filter strengths by category; a category left out stays HIGH; not all NONE. */
  readonly contentFilters?: ContentFilters;
  /** The sensitive-information filter. @default ANONYMIZE of email, phone, SSN, card number, AWS keys, passwords */
  readonly pii?: { readonly action: SensitiveInformationAction; readonly entities?: readonly PiiEntityType[] };
  /** Topics the guardrail refuses. @default - none */
  readonly deniedTopics?: readonly DeniedTopic[];
}

/** Retrieval of a `genai` workload (`workloads[i].genai.retrieval`): its own indexes of the vector store. */
export interface GenAiRetrievalConfig {
  /** A Bedrock knowledge base over the workload's data prefix, writing its own index. @default false */
  readonly knowledgeBase?: boolean;
  /** The knowledge base's embedding model (a foundation-model id). @default 'amazon.titan-embed-text-v2:0' */
  readonly embeddingModel?: string;
}

/** What a `genai` workload uses on Bedrock (`workloads[i].genai`). */
export interface GenAiWorkloadConfig {
  /** Bedrock model ids (foundation models or system inference profiles) it may invoke, through its guardrail only. */
  readonly models: readonly string[];
  /** Its guardrail's settings. @default every filter at its strictest */
  readonly guardrail?: GenAiGuardrailConfig;
  /** Retrieval from its own indexes. @default - none */
  readonly retrieval?: GenAiRetrievalConfig;
}

export interface WorkloadConfig {
  /** Unique, 2-32 lower-case letters, digits and '-', starting with a letter. */
  readonly name: string;
  readonly kind: WorkloadKind;
  /** What it is for (shown in the review report). */
  readonly description?: string;
  /** GPU instance type for `realtime-inference` (ml.*) and `batch` (EC2) workloads. */
  readonly instanceType?: string;
  /** Names of the workloads this one may call (e.g. an agent calling a model). */
  readonly invokes?: readonly string[];
  /** Image, model artifact and instance counts of a `realtime-inference` or `batch` workload. */
  readonly compute?: WorkloadComputeConfig;
  /** `genai` (required): its Bedrock models, guardrail and retrieval. */
  readonly genai?: GenAiWorkloadConfig;
}

export interface NetworkConfig {
  /** VPC range, /16 to /22. */
  readonly cidr: string;
  /** Availability zones, 2 to 6. */
  readonly maxAzs: number;
  readonly gpuTierCidrMask: number;
  readonly endpointsTierCidrMask: number;
  readonly dataTierCidrMask: number;
  /** Opens a path to the internet through an egress tier. Off unless the platform team says so. */
  readonly openInternetEgress: boolean;
  /** The region's S3 managed prefix list (`pl-…`). @default - looked up by name (`com.amazonaws.<region>.s3`) when the platform stack deploys */
  readonly s3PrefixListId?: string;
}

/** How the reference app exposes its models (`api` in the platform configuration). */
export interface ApiConfig {
  /** Realtime-inference workloads exposed through the API. Omit for every realtime-inference workload. */
  readonly expose?: readonly string[];
  /** Stage name: 1-128 letters, digits or '_'. */
  readonly stageName: string;
  /** Stage-wide throttling: requests per second (> 0) and burst (an integer >= rate). */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Longest prompt admitted, characters; sizes the JSON schema and the WAF body limit. 1 to 16128. */
  readonly maxPromptChars: number;
  /**
   * Requests one client IP may make in 5 minutes before WAF blocks it, on both APIs (on the private
   * machine API the client IP is the caller's address in the VPC). It caps every caller, whatever its
   * usage plan: 1000 is about 3.3 requests a second sustained. On the machine API it is raised to the
   * highest client's usage-plan rate over the window (callers in the VPC may share one address), so WAF
   * never blocks what a usage plan admits. 10 to 2,000,000,000.
   */
  readonly rateLimitPerIp: number;
  /**
   * Endpoint of the machine API (declared callers, IAM): `private` (only through the execute-api
   * interface endpoint in the platform VPC; callers need no internet path) or `regional` (internet).
   * Behind WAF either way.
   */
  readonly machineEndpointType: 'regional' | 'private';
  /** People reach each exposed model through a second, regional API behind WAF, with Cognito. */
  readonly people: boolean;
  /** Usage plans with API keys, per calling workload. */
  readonly clients: readonly ApiClientConfig[];
}

/** A usage plan of one calling workload. */
export interface ApiClientConfig {
  /** A workload that `invokes` an exposed workload. */
  readonly caller: string;
  readonly rateLimit: number;
  readonly burstLimit: number;
  /** Requests per quota period (a positive integer). */
  readonly quotaLimit: number;
  /** DAY, WEEK or MONTH. */
  readonly quotaPeriod: string;
  /**
   * Version of the client's API key (a positive integer). Raise it to replace the key: a new value
   * is generated in the secret `<platformName>/api-clients/<caller>` and the API key is replaced.
   * Default 1.
   */
  readonly keyVersion?: number;
}

/** Model signing and admission settings (`modelIntegrity` in the platform configuration). */
export interface ModelIntegrityConfig {
  /**
   * IAM principals of the account allowed to assume the signer role, by ARN or pattern
   * (`aws:PrincipalArn`): the release pipeline's role. Never a deployer or endpoint operator.
   * @default - roles under the path `/release/` (`arn:<partition>:iam::<account>:role/release/*`)
   */
  readonly signerPrincipalArns?: readonly string[];
  /**
   * Roles allowed to verify signatures (`kms:Verify`) and read the public key, besides the admission gate.
   * @default - none
   */
  readonly verifierRoleArns?: readonly string[];
  /**
   * Admit bundles signed without `--subject` (they can be replayed under any workload).
   * @default false
   */
  readonly allowBundlesWithoutSubject?: boolean;
}

/** One environment of the delivery pipeline: a stage deploying the platform to its account and region. */
export interface DeliveryEnvironmentConfig {
  readonly name: DeliveryEnvironmentName;
  /** The 12-digit target account. */
  readonly account: string;
  readonly region: string;
  /** The platform profile deployed there. */
  readonly profile: Profile;
}

/** A CDK Pipelines pipeline in the tooling account (`delivery.pipeline`). */
export interface DeliveryPipelineConfig {
  /** ARN of the CodeStar Connections / CodeConnections connection to the repository host. */
  readonly connectionArn: string;
  /** The repository as `owner/name`. */
  readonly repository: string;
  readonly branch: string;
  /** The account the pipeline runs in. */
  readonly toolingAccount: string;
  /** The pipeline's region. */
  readonly region: string;
  /** The environments, in promotion order. */
  readonly environments: readonly DeliveryEnvironmentConfig[];
}

/** How the platform is delivered (`delivery` in the platform configuration). */
export interface DeliveryConfig {
  /**
   * Synthesize a delivery pipeline instead of the platform's stacks.
   * @default - no pipeline: `cdk synth` builds the platform's stacks for `env`
   */
  readonly pipeline?: DeliveryPipelineConfig;
}

export interface PlatformConfig {
  /** Prefix of stack names, key aliases and the boundary name: 2-20 lower-case letters, digits, '-'. */
  readonly platformName: string;
  readonly profile: Profile;
  /** Deploy to this account and region; omit for environment-agnostic templates. */
  readonly env?: { readonly account?: string; readonly region?: string };
  readonly network: NetworkConfig;
  /** Retention of every log group, in days (a value CloudWatch Logs accepts). */
  readonly logRetentionDays: number;
  /**
   * Break-glass principals that may reach platform buckets from outside the S3 gateway endpoint
   * (ARNs or ARN patterns of IAM roles).
   */
  readonly adminPrincipalArns: readonly string[];
  readonly workloads: readonly WorkloadConfig[];
  /**
   * The API front door to the models. When the file has an `api` section, validation fills in its
   * omitted fields; `resolveApiConfig` does the same for an absent section.
   */
  readonly api?: Partial<ApiConfig>;
  /** Who signs models and who else may verify them. */
  readonly modelIntegrity?: ModelIntegrityConfig;
  /**
   * Production profile only: what the deploy-time Guard hook does with a stack that breaks a rule.
   * `warn` records the findings in the stack events and lets the operation continue (to observe
   * before enforcing). Defaults to `fail`.
   */
  readonly guardHookFailureMode?: GuardHookFailureMode;
  /**
   * Multi-account delivery.
   * @default - no pipeline
   */
  readonly delivery?: DeliveryConfig;
}
