import {
  GPU_INSTANCE_FAMILIES,
  isGpuInstanceType,
  SAGEMAKER_INSTANCE_TYPE_PATTERN,
  EC2_INSTANCE_TYPE_PATTERN,
} from '../../constructs/inference/gpu-instance-types';
import { WORKLOAD_NAME_PATTERN } from '../../constructs/identity/workload-identity';
import { EGRESS_TIER_MASKS, tierAddresses } from '../../constructs/network/segmented-network';
import { ApiConfig, validateApiConfig } from '../api-stack';
import { ModelIntegrityConfig, validateModelIntegrityConfig } from '../integrity';
import { validateComputeConfig, WorkloadComputeConfig } from '../workloads/compute';
import { DEFAULT_PLATFORM_CONFIG } from './default-config';
import {
  GUARD_HOOK_FAILURE_MODES,
  PlatformConfig,
  PROFILES,
  WORKLOAD_KINDS,
  WorkloadConfig,
  WorkloadKind,
} from './platform-config';

/** Retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** A configuration that does not describe a valid platform. Lists every problem, one per line. */
export class ConfigValidationError extends Error {
  constructor(
    public readonly source: string,
    public readonly problems: string[],
  ) {
    super(`Invalid platform configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

type Json = unknown;

/** The size part of an instance type (`2xlarge` in `g5.2xlarge`). */
const INSTANCE_SIZE_PATTERN = /^(nano|micro|small|medium|large|xlarge|[1-9]\d*xlarge|metal|metal-[1-9]\d*xl)$/;

/**
 * Validate a raw configuration (parsed JSON or YAML) and fill in defaults for omitted optional
 * fields. Throws `ConfigValidationError` naming each field, the value received and what is allowed.
 */
export function validatePlatformConfig(raw: Json, source = 'embedded default'): PlatformConfig {
  const problems: string[] = [];
  const v = new Checker(problems);

  if (!isObject(raw)) {
    throw new ConfigValidationError(source, [`the configuration must be an object, got ${show(raw)}`]);
  }
  v.onlyKeys('', raw, [
    'platformName',
    'profile',
    'env',
    'network',
    'logRetentionDays',
    'adminPrincipalArns',
    'workloads',
    'guardHookFailureMode',
    'api',
    'modelIntegrity',
  ]);

  const d = DEFAULT_PLATFORM_CONFIG;
  const platformName = v.string(
    'platformName',
    given(raw.platformName, d.platformName),
    /^[a-z][a-z0-9-]{1,19}$/,
    "2-20 lower-case letters, digits and '-', starting with a letter",
  );
  const profile = v.oneOf('profile', given(raw.profile, d.profile), PROFILES);
  const guardHookFailureMode =
    raw.guardHookFailureMode === undefined
      ? undefined
      : v.oneOf('guardHookFailureMode', raw.guardHookFailureMode, GUARD_HOOK_FAILURE_MODES);

  let env: PlatformConfig['env'];
  if (raw.env !== undefined) {
    if (v.object('env', raw.env)) {
      v.onlyKeys('env', raw.env, ['account', 'region']);
      const account =
        raw.env.account === undefined
          ? undefined
          : v.string('env.account', raw.env.account, /^\d{12}$/, 'a 12-digit AWS account id');
      const region =
        raw.env.region === undefined
          ? undefined
          : v.string('env.region', raw.env.region, /^[a-z]{2}(-gov)?-[a-z]+-\d$/, "an AWS region such as 'eu-west-1'");
      env = { account, region };
    }
  }

  const rawNet = given(raw.network, {});
  let network = d.network;
  if (v.object('network', rawNet)) {
    v.onlyKeys('network', rawNet, [
      'cidr',
      'maxAzs',
      'gpuTierCidrMask',
      'endpointsTierCidrMask',
      'dataTierCidrMask',
      'openInternetEgress',
      's3PrefixListId',
    ]);
    const cidr = v.string(
      'network.cidr',
      given(rawNet.cidr, d.network.cidr),
      /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/,
      "an IPv4 CIDR such as '10.40.0.0/16'",
    );
    const vpcMask = cidr ? v.cidr('network.cidr', cidr, 16, 22) : undefined;
    const maxAzs = v.integer('network.maxAzs', given(rawNet.maxAzs, d.network.maxAzs), 2, 6);
    const lo = (vpcMask ?? 16) + 1;
    const gpu = v.integer('network.gpuTierCidrMask', given(rawNet.gpuTierCidrMask, d.network.gpuTierCidrMask), lo, 28);
    const endpoints = v.integer(
      'network.endpointsTierCidrMask',
      given(rawNet.endpointsTierCidrMask, d.network.endpointsTierCidrMask),
      lo,
      28,
    );
    const data = v.integer(
      'network.dataTierCidrMask',
      given(rawNet.dataTierCidrMask, d.network.dataTierCidrMask),
      lo,
      28,
    );
    const openInternetEgress = v.boolean('network.openInternetEgress', given(rawNet.openInternetEgress, false));
    const s3PrefixListId =
      rawNet.s3PrefixListId === undefined
        ? undefined
        : v.string(
            'network.s3PrefixListId',
            rawNet.s3PrefixListId,
            /^pl-[0-9a-f]{8,17}$/,
            "a prefix list id such as 'pl-63a5400a'",
          );
    if (
      vpcMask !== undefined &&
      maxAzs !== undefined &&
      gpu !== undefined &&
      endpoints !== undefined &&
      data !== undefined
    ) {
      const needed = tierAddresses(maxAzs, [gpu, endpoints, data, ...(openInternetEgress ? EGRESS_TIER_MASKS : [])]);
      const available = 2 ** (32 - vpcMask);
      if (needed > available) {
        problems.push(
          `network: the tiers overlap or overflow the VPC: ${maxAzs} zones × (gpu /${gpu} + endpoints /${endpoints} + data /${data}${openInternetEgress ? ' + egress /24 + /26' : ''}) need ${needed} addresses (each subnet aligned to its size), but network.cidr '${cidr}' holds ${available}; widen the cidr, use fewer zones or longer tier masks`,
        );
      }
    }
    network = {
      cidr: cidr ?? d.network.cidr,
      maxAzs: maxAzs ?? 2,
      gpuTierCidrMask: gpu ?? 20,
      endpointsTierCidrMask: endpoints ?? 24,
      dataTierCidrMask: data ?? 22,
      openInternetEgress: openInternetEgress ?? false,
      s3PrefixListId,
    };
  }

  const logRetentionDays = v.oneOf(
    'logRetentionDays',
    given(raw.logRetentionDays, d.logRetentionDays),
    LOG_RETENTION_DAYS,
  );

  const adminPrincipalArns: string[] = [];
  const rawAdmins = given(raw.adminPrincipalArns, d.adminPrincipalArns);
  if (v.array('adminPrincipalArns', rawAdmins)) {
    rawAdmins.forEach((arn, i) => {
      const ok = v.string(
        `adminPrincipalArns[${i}]`,
        arn,
        /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/*]+$/,
        "an IAM role ARN or pattern such as 'arn:aws:iam::111122223333:role/break-glass'",
      );
      if (ok && /:role\/\*/.test(ok)) {
        problems.push(
          `adminPrincipalArns[${i}]: must name the break-glass roles (a wildcard may follow a fixed name or path), got '${ok}', which exempts every role of the account`,
        );
      } else if (ok) adminPrincipalArns.push(ok);
    });
  }

  const workloads: WorkloadConfig[] = [];
  const indexInFile: number[] = [];
  const rawWorkloads = given(raw.workloads, d.workloads);
  if (v.array('workloads', rawWorkloads)) {
    if (rawWorkloads.length === 0) problems.push('workloads: must list at least one workload, got []');
    rawWorkloads.forEach((w, i) => {
      const at = `workloads[${i}]`;
      if (!v.object(at, w)) return;
      v.onlyKeys(at, w, ['name', 'kind', 'description', 'instanceType', 'invokes', 'compute']);
      const name = v.string(
        `${at}.name`,
        w.name,
        WORKLOAD_NAME_PATTERN,
        "2-32 lower-case letters, digits and '-', starting with a letter",
      );
      const kind = v.oneOf(`${at}.kind`, w.kind, WORKLOAD_KINDS);
      const description =
        w.description === undefined
          ? undefined
          : v.string(
              `${at}.description`,
              w.description,
              /^[\x20-\x7E\xA1-\xFF]{1,256}$/,
              '1-256 printable Latin-1 characters on one line (it becomes the IAM role description)',
            );
      let instanceType: string | undefined;
      if (kind === 'realtime-inference' || kind === 'batch') {
        instanceType = v.instanceType(`${at}.instanceType`, w.instanceType, kind);
      } else if (kind === 'agent' && w.instanceType !== undefined) {
        problems.push(
          `${at}.instanceType: an '${kind}' workload runs without an instance type; remove it (got ${show(w.instanceType)})`,
        );
      }
      const invokes: string[] = [];
      if (w.invokes !== undefined && v.array(`${at}.invokes`, w.invokes)) {
        w.invokes.forEach((target, j) => {
          if (typeof target === 'string') invokes.push(target);
          else problems.push(`${at}.invokes[${j}]: must be a workload name, got ${show(target)}`);
        });
      }
      const computeProblems = validateComputeConfig(w, at);
      problems.push(...computeProblems);
      const compute = computeProblems.length === 0 ? (w.compute as WorkloadComputeConfig | undefined) : undefined;
      if (name && kind) {
        workloads.push({ name, kind, description, instanceType, invokes, compute });
        indexInFile.push(i);
      }
    });

    const seen = new Map<string, number>();
    workloads.forEach((w, k) => {
      const i = indexInFile[k];
      if (seen.has(w.name))
        problems.push(
          `workloads[${i}].name: duplicate workload name '${w.name}' (also workloads[${seen.get(w.name)}])`,
        );
      else seen.set(w.name, i);
    });
    // A duplicated name resolves to its first entry: the duplicate is reported once, not again as a bad target.
    const kinds = new Map<string, WorkloadKind>();
    for (const w of workloads) if (!kinds.has(w.name)) kinds.set(w.name, w.kind);
    workloads.forEach((w, k) => {
      const i = indexInFile[k];
      (w.invokes ?? []).forEach((target, j) => {
        const targetKind = kinds.get(target);
        const first = (w.invokes ?? []).indexOf(target);
        if (target === w.name) {
          problems.push(`workloads[${i}].invokes[${j}]: a workload cannot invoke itself (${show(target)})`);
        } else if (first !== j) {
          problems.push(`workloads[${i}].invokes[${j}]: ${show(target)} is listed twice (also invokes[${first}])`);
        } else if (targetKind === undefined) {
          problems.push(
            `workloads[${i}].invokes[${j}]: unknown workload ${show(target)}; known workloads: ${[...kinds.keys()].join(', ')}`,
          );
        } else if (targetKind !== 'realtime-inference') {
          problems.push(
            `workloads[${i}].invokes[${j}]: '${target}' is a '${targetKind}' workload; only 'realtime-inference' workloads can be invoked`,
          );
        }
      });
    });
  }

  problems.push(...validateApiConfig(raw));
  problems.push(...validateModelIntegrityConfig(raw.modelIntegrity));
  if (problems.length > 0) throw new ConfigValidationError(source, problems);
  return {
    platformName: platformName!,
    profile: profile!,
    env,
    network,
    logRetentionDays: logRetentionDays!,
    adminPrincipalArns,
    workloads,
    guardHookFailureMode,
    // The default's API clients name the default's workloads: they come with them, never alone.
    api: (raw.api ?? (raw.workloads === undefined ? d.api : undefined)) as Partial<ApiConfig> | undefined,
    modelIntegrity: raw.modelIntegrity as ModelIntegrityConfig | undefined,
  };
}

/** The value if the file gives one, else the default. `null` (e.g. an empty YAML key) is a value, not an omission. */
function given(x: Json, fallback: Json): Json {
  return x === undefined ? fallback : x;
}

function isObject(x: Json): x is Record<string, Json> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function show(x: Json): string {
  // Control characters (such as a YAML block scalar's newlines) are escaped, so each problem stays on one line.
  if (typeof x === 'string') return `'${x.replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1))}'`;
  return JSON.stringify(x) ?? 'undefined';
}

/** Field checks that record a problem and return undefined instead of throwing, so every problem is reported at once. */
class Checker {
  constructor(private readonly problems: string[]) {}

  public object(path: string, x: Json): x is Record<string, Json> {
    if (isObject(x)) return true;
    this.problems.push(`${path}: must be an object, got ${show(x)}`);
    return false;
  }

  public array(path: string, x: Json): x is Json[] {
    if (Array.isArray(x)) return true;
    this.problems.push(`${path}: must be a list, got ${show(x)}`);
    return false;
  }

  public onlyKeys(path: string, x: Record<string, Json>, allowed: string[]): void {
    for (const key of Object.keys(x)) {
      if (!allowed.includes(key)) {
        this.problems.push(
          `${path ? `${path}.` : ''}${key}: unknown field; allowed fields${path ? ` of ${path}` : ''}: ${allowed.join(', ')}`,
        );
      }
    }
  }

  public string(path: string, x: Json, pattern: RegExp, allowed: string): string | undefined {
    if (typeof x === 'string' && pattern.test(x)) return x;
    this.problems.push(`${path}: must be ${allowed}, got ${show(x)}`);
    return undefined;
  }

  public boolean(path: string, x: Json): boolean | undefined {
    if (typeof x === 'boolean') return x;
    this.problems.push(`${path}: must be true or false, got ${show(x)}`);
    return undefined;
  }

  public integer(path: string, x: Json, min: number, max: number): number | undefined {
    if (typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max) return x;
    this.problems.push(`${path}: must be an integer from ${min} to ${max}, got ${show(x)}`);
    return undefined;
  }

  public oneOf<T extends string | number>(path: string, x: Json, allowed: readonly T[]): T | undefined {
    if (allowed.includes(x as T)) return x as T;
    this.problems.push(`${path}: must be one of ${allowed.join(', ')}, got ${show(x)}`);
    return undefined;
  }

  public cidr(path: string, cidr: string, minMask: number, maxMask: number): number | undefined {
    const [address, maskText] = cidr.split('/');
    const octets = address.split('.').map(Number);
    const mask = Number(maskText);
    if (octets.some((o) => o > 255)) {
      this.problems.push(`${path}: '${cidr}' is not a valid IPv4 address range (octets must be 0-255)`);
      return undefined;
    }
    if (mask < minMask || mask > maxMask) {
      this.problems.push(`${path}: prefix length must be from /${minMask} to /${maxMask}, got '${cidr}'`);
      return undefined;
    }
    const value = octets.reduce((acc, o) => acc * 256 + o, 0);
    if (value % 2 ** (32 - mask) !== 0) {
      this.problems.push(
        `${path}: '${cidr}' has host bits set; the network address of a /${mask} must be a multiple of ${2 ** (32 - mask)} addresses`,
      );
      return undefined;
    }
    return mask;
  }

  public instanceType(path: string, x: Json, kind: 'realtime-inference' | 'batch'): string | undefined {
    const pattern = kind === 'realtime-inference' ? SAGEMAKER_INSTANCE_TYPE_PATTERN : EC2_INSTANCE_TYPE_PATTERN;
    const example =
      kind === 'realtime-inference'
        ? "a SageMaker GPU instance type such as 'ml.g5.xlarge'"
        : "an EC2 GPU instance type such as 'g5.2xlarge'";
    if (typeof x !== 'string' || !pattern.test(x) || (kind === 'batch' && x.startsWith('ml.'))) {
      this.problems.push(`${path}: a '${kind}' workload needs ${example}, got ${show(x)}`);
      return undefined;
    }
    const size = x.slice(x.lastIndexOf('.') + 1);
    if (!INSTANCE_SIZE_PATTERN.test(size)) {
      this.problems.push(
        `${path}: '${x}' has no valid instance size '${size}'; allowed sizes: nano, micro, small, medium, large, xlarge, <n>xlarge, metal, metal-<n>xl`,
      );
      return undefined;
    }
    if (!isGpuInstanceType(x)) {
      this.problems.push(
        `${path}: '${x}' is not a GPU instance type; allowed families: ${GPU_INSTANCE_FAMILIES.join(', ')}`,
      );
      return undefined;
    }
    return x;
  }
}
