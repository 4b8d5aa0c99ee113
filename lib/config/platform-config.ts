import type { ApiConfig } from '../api-stack';
import type { ModelIntegrityConfig } from '../integrity';
import type { WorkloadComputeConfig } from '../workloads/compute';

/**
 * The platform's configuration: what a platform team edits (as JSON or YAML) to describe its
 * platform. Every field is validated at synth by `validatePlatformConfig`.
 */

/** What a workload does; decides the service it runs as and the compute it gets. */
export const WORKLOAD_KINDS = ['realtime-inference', 'batch', 'agent'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Deployment profile: `production` turns on the account-level controls (threat detection, Guard hook). */
export const PROFILES = ['dev', 'production'] as const;
export type Profile = (typeof PROFILES)[number];

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
  /** The region's S3 managed prefix list (`pl-…`), when known. */
  readonly s3PrefixListId?: string;
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
  /** The API front door to the models (validated by `validateApiConfig`); omitted fields take their defaults. */
  readonly api?: Partial<ApiConfig>;
  /** Who signs models and who else may verify them (validated by `validateModelIntegrityConfig`). */
  readonly modelIntegrity?: ModelIntegrityConfig;
  /**
   * Production profile only: what the deploy-time Guard hook does with a stack that breaks a rule.
   * `warn` records the findings in the stack events and lets the operation continue (to observe
   * before enforcing). Defaults to `fail`.
   */
  readonly guardHookFailureMode?: GuardHookFailureMode;
}

export const GUARD_HOOK_FAILURE_MODES = ['warn', 'fail'] as const;
export type GuardHookFailureMode = (typeof GUARD_HOOK_FAILURE_MODES)[number];
