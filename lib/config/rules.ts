import { approvedModelProblems, ApprovedModelVersion } from '../../constructs/inference/approved-model';
import {
  GPU_INSTANCE_FAMILIES,
  EC2_INSTANCE_TYPE_PATTERN,
  isGpuInstanceType,
  SAGEMAKER_INSTANCE_TYPE_PATTERN,
} from '../../constructs/inference/gpu-instance-types';
import { WORKLOAD_NAME_PATTERN } from '../../constructs/identity/workload-identity';
import { gpuFleetDefaults } from '../../constructs/inference/gpu-fleet';
import { gpuModelEndpointDefaults } from '../../constructs/inference/sagemaker-endpoint';
import { sageMakerEndpointInstanceTypeProblem } from '../../constructs/inference/sagemaker-instance-types';
import { EGRESS_TIER_MASKS, tierAddresses } from '../../constructs/network/segmented-network';
import {
  maxWorkloadNameLength,
  NamedWorkload,
  namingProblems,
  platformGeneratedNames,
  workloadGeneratedNames,
} from './naming-rules';
import { WORKLOAD_KINDS, WorkloadKind } from './platform-config';
import { quotaProblems } from './quotas';

/**
 * The rules the schema cannot state: between fields (tiers that fit the VPC, references between
 * workloads, API callers), and within a field where a pattern would give a vague message (CIDR
 * arithmetic, GPU families and sizes, model key segments). Each is a pure function of the
 * configuration after the schema has filled in defaults; each judges only values of the right type
 * (the schema reports the others), and returns every problem it finds.
 */

/** One problem: where (field path from the root) and what (what is wrong, the value, what is allowed). */
export interface Problem {
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** The section the problem belongs to, when not the first segment of its path. */
  readonly section?: string;
}

export type Rule = (config: Record<string, unknown>) => Problem[];

/** The size part of an instance type (`2xlarge` in `g5.2xlarge`). */
const INSTANCE_SIZE_PATTERN = /^(nano|micro|small|medium|large|xlarge|[1-9]\d*xlarge|metal|metal-[1-9]\d*xl)$/;
const CIDR_SHAPE = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;
const VPC_MASK = { min: 16, max: 22 };
const TIER_MASK_MAX = 28;

export function show(x: unknown): string {
  // JSON has no Infinity or NaN (JSON.stringify writes null): `1e309` or YAML `.inf` parse to Infinity.
  if (typeof x === 'number' && !Number.isFinite(x)) {
    return Number.isNaN(x)
      ? 'NaN (not a number)'
      : `${x < 0 ? '-' : ''}a number too large (${String(x)}, e.g. 1e309 or .inf)`;
  }
  // Control characters (such as a YAML block scalar's newlines) are escaped, so each problem stays on one line.
  if (typeof x === 'string') return `'${x.replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1))}'`;
  return JSON.stringify(x) ?? 'undefined';
}

export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);

/** The VPC's prefix length, or undefined (with a problem) when `cidr` is not a usable VPC range. */
function vpcMask(cidr: string, problems: Problem[]): number | undefined {
  const path = ['network', 'cidr'];
  const [address, maskText] = cidr.split('/');
  const octets = address.split('.').map(Number);
  const mask = Number(maskText);
  if (octets.some((o) => o > 255)) {
    problems.push({ path, message: `'${cidr}' is not a valid IPv4 address range (octets must be 0-255)` });
    return undefined;
  }
  if (mask < VPC_MASK.min || mask > VPC_MASK.max) {
    problems.push({ path, message: `prefix length must be from /${VPC_MASK.min} to /${VPC_MASK.max}, got '${cidr}'` });
    return undefined;
  }
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (value % 2 ** (32 - mask) !== 0) {
    problems.push({
      path,
      message: `'${cidr}' has host bits set; the network address of a /${mask} must be a multiple of ${2 ** (32 - mask)} addresses`,
    });
    return undefined;
  }
  return mask;
}

/** network.cidr is a usable range, each tier is smaller than the VPC, and the tiers of every zone fit in it. */
export const networkFits: Rule = (config) => {
  const net = config.network;
  if (!isObject(net) || typeof net.cidr !== 'string' || !CIDR_SHAPE.test(net.cidr)) return [];
  const problems: Problem[] = [];
  const mask = vpcMask(net.cidr, problems);
  if (mask === undefined) return problems;
  const tiers = ['gpuTierCidrMask', 'endpointsTierCidrMask', 'dataTierCidrMask'] as const;
  let usable = isInt(net.maxAzs) && net.maxAzs >= 2 && net.maxAzs <= 6;
  for (const tier of tiers) {
    const value = net[tier];
    if (!isInt(value) || value > TIER_MASK_MAX) usable = false;
    else if (value <= mask) {
      problems.push({
        path: ['network', tier],
        message: `must be an integer from ${mask + 1} to ${TIER_MASK_MAX}, got ${show(value)}`,
      });
      usable = false;
    }
  }
  if (!usable || problems.length > 0) return problems;
  const [gpu, endpoints, data] = tiers.map((t) => net[t] as number);
  const egress = net.openInternetEgress === true;
  const zones = net.maxAzs as number;
  const needed = tierAddresses(zones, [gpu, endpoints, data, ...(egress ? EGRESS_TIER_MASKS : [])]);
  const available = 2 ** (32 - mask);
  if (needed > available) {
    problems.push({
      path: ['network'],
      message: `the tiers overlap or overflow the VPC: ${zones} zones × (gpu /${gpu} + endpoints /${endpoints} + data /${data}${egress ? ' + egress /24 + /26' : ''}) need ${needed} addresses (each subnet aligned to its size), but network.cidr '${net.cidr}' holds ${available}; widen the cidr, use fewer zones or longer tier masks`,
    });
  }
  return problems;
};

/** The workloads, with their position in the file, whose kind is valid. */
function workloadsOfKnownKind(
  config: Record<string, unknown>,
): { w: Record<string, unknown>; i: number; kind: WorkloadKind }[] {
  if (!Array.isArray(config.workloads)) return [];
  return config.workloads.flatMap((w: unknown, i) =>
    isObject(w) && (WORKLOAD_KINDS as readonly unknown[]).includes(w.kind)
      ? [{ w, i, kind: w.kind as WorkloadKind }]
      : [],
  );
}

/** The workloads, with their position in the file, whose name and kind are valid (those others can refer to). */
function namedWorkloads(
  config: Record<string, unknown>,
): { w: Record<string, unknown>; i: number; name: string; kind: WorkloadKind }[] {
  return workloadsOfKnownKind(config).flatMap((x) =>
    typeof x.w.name === 'string' && WORKLOAD_NAME_PATTERN.test(x.w.name) ? [{ ...x, name: x.w.name }] : [],
  );
}

/** A GPU instance type of a valid size, for workloads whose instance type has the right shape. */
export const gpuInstanceTypes: Rule = (config) => {
  const problems: Problem[] = [];
  for (const { w, i, kind } of workloadsOfKnownKind(config)) {
    const x = w.instanceType;
    const shape = kind === 'realtime-inference' ? SAGEMAKER_INSTANCE_TYPE_PATTERN : EC2_INSTANCE_TYPE_PATTERN;
    if (kind === 'agent' || typeof x !== 'string' || !shape.test(x)) continue;
    const path = ['workloads', i, 'instanceType'];
    const size = x.slice(x.lastIndexOf('.') + 1);
    if (!INSTANCE_SIZE_PATTERN.test(size)) {
      problems.push({
        path,
        message: `'${x}' has no valid instance size '${size}'; allowed sizes: nano, micro, small, medium, large, xlarge, <n>xlarge, metal, metal-<n>xl`,
      });
    } else if (!isGpuInstanceType(x)) {
      problems.push({
        path,
        message: `'${x}' is not a GPU instance type; allowed families: ${GPU_INSTANCE_FAMILIES.join(', ')} (the configuration builds GPU workloads only; allowCpuInstanceType is a prop of the GpuFleet and GpuModelEndpoint constructs)`,
      });
    } else if (kind === 'realtime-inference' && sageMakerEndpointInstanceTypeProblem(x, GPU_INSTANCE_FAMILIES)) {
      // A real-time workload is a SageMaker endpoint: only the types its API accepts can be built.
      problems.push({
        path,
        message: `'${x}' cannot be built: ${sageMakerEndpointInstanceTypeProblem(x, GPU_INSTANCE_FAMILIES)}`,
      });
    }
  }
  return problems;
};

/** Names are unique; `invokes` names another, known, real-time workload, once. */
export const workloadReferences: Rule = (config) => {
  const problems: Problem[] = [];
  const workloads = namedWorkloads(config);
  const first = new Map<string, number>();
  for (const { i, name } of workloads) {
    if (first.has(name)) {
      problems.push({
        path: ['workloads', i, 'name'],
        message: `duplicate workload name '${name}' (also workloads[${first.get(name)}])`,
      });
    } else first.set(name, i);
  }
  // A duplicated name resolves to its first entry: the duplicate is reported once, not again as a bad target.
  const kinds = new Map<string, WorkloadKind>();
  for (const { name, kind } of workloads) if (!kinds.has(name)) kinds.set(name, kind);
  for (const { w, i, name } of workloads) {
    if (!Array.isArray(w.invokes)) continue;
    const invokes = w.invokes as unknown[];
    invokes.forEach((target, j) => {
      if (typeof target !== 'string') return;
      const path = ['workloads', i, 'invokes', j];
      const targetKind = kinds.get(target);
      const firstAt = invokes.indexOf(target);
      if (target === name) {
        problems.push({ path, message: `a workload cannot invoke itself (${show(target)})` });
      } else if (firstAt !== j) {
        problems.push({ path, message: `${show(target)} is listed twice (also invokes[${firstAt}])` });
      } else if (targetKind === undefined) {
        problems.push({
          path,
          message: `unknown workload ${show(target)}; known workloads: ${[...kinds.keys()].join(', ')}`,
        });
      } else if (targetKind !== 'realtime-inference') {
        problems.push({
          path,
          message: `'${target}' is a '${targetKind}' workload; only 'realtime-inference' workloads can be invoked`,
        });
      }
    });
  }
  return problems;
};

/** Problems of one workload's compute (path relative to the workload). */
export function computeProblems(w: Record<string, unknown>): Problem[] {
  const compute = w.compute;
  if (!isObject(compute) || (w.kind !== 'realtime-inference' && w.kind !== 'batch')) return [];
  const problems: Problem[] = [];
  if (w.kind === 'realtime-inference') {
    if ((compute.imageDigest === undefined) === (compute.imageUri === undefined)) {
      problems.push({
        path: ['compute'],
        message: `set exactly one of imageDigest and imageUri, got ${compute.imageDigest === undefined ? 'neither' : 'both'}`,
      });
    }
    const model = compute.model;
    if (model === undefined) {
      // The schema requires it too; this message names the prefix the endpoint would load.
      const name = typeof w.name === 'string' ? w.name : '<workload>';
      problems.push({
        path: ['compute', 'model'],
        message: `a 'realtime-inference' workload needs the approved model it serves, { name: 'fraud-model', version: '1' }; the endpoint loads approved/${name}/<name>/<version>/files/, which the admission gate writes; got none`,
      });
    }
    if (isObject(model) && model.name !== undefined && model.version !== undefined) {
      // The gate's own rule for key segments; its messages start with the field path.
      for (const text of approvedModelProblems(model as unknown as ApprovedModelVersion, '@')) {
        const field = text.slice(2, text.indexOf(':'));
        problems.push({ path: ['compute', 'model', field], message: text.slice(text.indexOf(':') + 2) });
      }
    }
  }
  const limit = (x: unknown, min: number) => (isInt(x) && x >= min && x <= 100 ? x : undefined);
  const floor = w.kind === 'batch' ? 0 : 1;
  const min = limit(compute.minInstances, floor);
  const max = limit(compute.maxInstances, 1);
  // Unset, the fleet's and the endpoint's own defaults apply (an endpoint's minimum is its initial count).
  const effectiveMin =
    min ?? (w.kind === 'batch' ? gpuFleetDefaults().minInstances : gpuModelEndpointDefaults().initialInstanceCount);
  if (compute.minInstances !== undefined && min === undefined) return problems;
  if (max !== undefined && max < effectiveMin) {
    problems.push({
      path: ['compute', 'maxInstances'],
      message: `must be >= minInstances (${effectiveMin}${min === undefined ? ', the default' : ''}), got ${max}`,
    });
  }
  return problems;
}

/** Each workload's compute: one image source, a model of valid key segments, max >= min. */
export const workloadCompute: Rule = (config) =>
  workloadsOfKnownKind(config).flatMap(({ w, i }) =>
    computeProblems(w).map((p) => ({ ...p, path: ['workloads', i, ...p.path] })),
  );

/** The API exposes real-time workloads, its clients are their declared callers, and every declared caller is exposed to. */
export const apiReferences: Rule = (config) => {
  const api = config.api;
  if (!isObject(api)) return [];
  const problems: Problem[] = [];
  const workloads = namedWorkloads(config);
  const realtime = workloads.filter((x) => x.kind === 'realtime-inference').map((x) => x.name);
  let exposed = realtime;
  if (Array.isArray(api.expose)) {
    api.expose.forEach((name: unknown, i) => {
      if (!realtime.includes(name as string)) {
        problems.push({
          path: ['api', 'expose', i],
          message: `must name a realtime-inference workload (${realtime.join(', ') || 'none configured'}), got ${show(name)}`,
        });
      }
    });
    exposed = realtime.filter((n) => (api.expose as unknown[]).includes(n));
  }
  const throttle = (path: (string | number)[], t: unknown) => {
    if (!isObject(t)) return;
    const { rateLimit: rate, burstLimit: burst } = t;
    if (typeof rate === 'number' && Number.isFinite(rate) && rate > 0 && isInt(burst) && burst >= 1 && burst < rate) {
      problems.push({
        path: [...path, 'burstLimit'],
        message: `must be >= rateLimit (${String(rate)}), got ${show(burst)}`,
      });
    }
  };
  throttle(['api', 'throttle'], api.throttle);
  const callers = workloads
    .filter(({ w }) => Array.isArray(w.invokes) && (w.invokes as unknown[]).some((t) => exposed.includes(t as string)))
    .map((x) => x.name);
  if (Array.isArray(api.clients)) {
    const seen = new Set<string>();
    api.clients.forEach((c: unknown, i) => {
      if (!isObject(c)) return;
      const path = ['api', 'clients', i];
      throttle(path, c);
      if (c.caller === undefined) return;
      if (!callers.includes(c.caller as string)) {
        problems.push({
          path: [...path, 'caller'],
          message: `must name a workload that invokes an exposed workload (${callers.join(', ') || 'none configured'}), got ${show(c.caller)}`,
        });
      } else if (seen.has(c.caller as string)) {
        problems.push({ path: [...path, 'caller'], message: `${show(c.caller)} already has a usage plan` });
      }
      seen.add(c.caller as string);
    });
  }
  // A declared caller of a model the API does not expose could never reach it.
  for (const { w, i } of workloads) {
    if (!Array.isArray(w.invokes)) continue;
    (w.invokes as unknown[]).forEach((t, j) => {
      if (realtime.includes(t as string) && !exposed.includes(t as string)) {
        problems.push({
          path: ['workloads', i, 'invokes', j],
          section: 'api',
          message: `${show(t)} is not exposed by the API (api.expose: ${exposed.join(', ') || 'none'})`,
        });
      }
    });
  }
  return problems;
};

/**
 * `invokes` forms a call graph without cycles: a model that calls back its caller (directly or
 * through others) is a loop of API calls, each paying for the next, that no request can finish.
 * Each cycle is reported once, at the edge that closes it, with the cycle named.
 */
export const invokeCycles: Rule = (config) => {
  const workloads = namedWorkloads(config);
  const index = new Map<string, number>();
  for (const { name, i } of workloads) if (!index.has(name)) index.set(name, i);
  const edges = new Map<string, string[]>();
  for (const { w, name } of workloads) {
    if (edges.has(name) || !Array.isArray(w.invokes)) continue;
    edges.set(
      name,
      (w.invokes as unknown[]).filter((t): t is string => typeof t === 'string' && t !== name && index.has(t)),
    );
  }
  const problems: Problem[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string) => {
    state.set(name, 'visiting');
    stack.push(name);
    (edges.get(name) ?? []).forEach((next) => {
      if (state.get(next) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const i = index.get(name)!;
        const j = (workloads.find((x) => x.i === i)!.w.invokes as unknown[]).indexOf(next);
        problems.push({
          path: ['workloads', i, 'invokes', j],
          message: `${show(next)} makes a cycle of calls (${cycle.join(' → ')}); invokes must not lead back to the caller`,
        });
      } else if (!state.has(next)) visit(next);
    });
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of index.keys()) if (!state.has(name)) visit(name);
  return problems;
};

const nameLimitsText = (found: ReturnType<typeof namingProblems>): string =>
  found.map((f) => `${f.rule.names}: ${f.reason}`).join('; ');

/**
 * `platformName` and workload names make names every service accepts: the names the platform builds
 * from them (./naming-rules.ts, from the generators the stacks use) are checked against each
 * service's rules, and a workload name's length limit is derived from them for its platform and kind.
 */
export const generatedNames: Rule = (config) => {
  const p = config.platformName;
  if (typeof p !== 'string' || !/^[a-z][a-z0-9-]{1,19}$/.test(p)) return [];
  const problems: Problem[] = [];
  const env = isObject(config.env) ? config.env : {};
  const api = isObject(config.api) ? config.api : {};
  const clients = Array.isArray(api.clients) ? api.clients.filter(isObject).map((c) => c.caller) : [];
  const workloads: (NamedWorkload & { i: number })[] = namedWorkloads(config).map(({ w, i, name, kind }) => {
    const compute = isObject(w.compute) ? w.compute : {};
    const exposed = !Array.isArray(api.expose) || api.expose.includes(name);
    return {
      i,
      name,
      kind,
      repository: kind === 'batch' || (kind === 'realtime-inference' && compute.imageUri === undefined),
      people: kind === 'realtime-inference' && api.people !== false && exposed,
      apiClient: clients.includes(name),
      ...(kind === 'genai' && isObject(w.genai) && isObject(w.genai.retrieval)
        ? { retrieval: true, knowledgeBase: w.genai.retrieval.knowledgeBase === true }
        : {}),
    };
  });
  const platformFound = namingProblems(
    platformGeneratedNames(p, {
      // A malformed account or region is the schema's to report; the placeholders stand in for it.
      account: typeof env.account === 'string' && /^\d{12}$/.test(env.account) ? env.account : undefined,
      region: typeof env.region === 'string' && /^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(env.region) ? env.region : undefined,
      repositories: workloads.some((w) => w.repository),
    }),
  );
  if (platformFound.length > 0) {
    problems.push({
      path: ['platformName'],
      message: `${show(p)} cannot name the platform's resources (${nameLimitsText(platformFound)}); choose another platformName`,
    });
    return problems;
  }
  for (const w of workloads) {
    const { i, name, ...shape } = w;
    const found = namingProblems(workloadGeneratedNames(p, w));
    if (found.length === 0) continue;
    const max = maxWorkloadNameLength(p, shape);
    const what = `a '${w.kind}' workload${w.people ? ' exposed to people (api.people)' : ''} of platformName ${show(p)}`;
    if (name.length > max) {
      const limiting = namingProblems(workloadGeneratedNames(p, { ...w, name: 'a'.repeat(max + 1) }));
      problems.push({
        path: ['workloads', i, 'name'],
        message: `must be at most ${max} characters for ${what} (limited by ${limiting.map((f) => f.rule.names).join(', ')}), got ${show(name)} (${name.length} characters)`,
      });
    } else {
      problems.push({
        path: ['workloads', i, 'name'],
        message: `${show(name)} cannot name a '${w.kind}' workload: ${nameLimitsText(found)}`,
      });
    }
  }
  return problems;
};

/**
 * The delivery pipeline promotes through its environments in the order dev, staging, production,
 * each at most once; production deploys the production profile (its account-level controls).
 */
export const deliveryEnvironments: Rule = (config) => {
  const delivery = config.delivery;
  if (!isObject(delivery) || !isObject(delivery.pipeline) || !Array.isArray(delivery.pipeline.environments)) return [];
  const problems: Problem[] = [];
  const order = ['dev', 'staging', 'production'];
  let last = -1;
  (delivery.pipeline.environments as unknown[]).forEach((e, i) => {
    if (!isObject(e) || typeof e.name !== 'string' || !order.includes(e.name)) return;
    const path = ['delivery', 'pipeline', 'environments', i];
    const rank = order.indexOf(e.name);
    if (rank <= last) {
      problems.push({
        path: [...path, 'name'],
        message: `'${e.name}' comes after '${order[last]}': list the environments once each, in the order ${order.join(', ')}`,
      });
    } else last = rank;
    if (e.name === 'production' && typeof e.profile === 'string' && e.profile !== 'production') {
      problems.push({
        path: [...path, 'profile'],
        message: `the production environment must deploy the 'production' profile (threat detection, Guard hook), got ${show(e.profile)}`,
      });
    }
  });
  return problems;
};

/**
 * A `genai` workload's guardrail keeps its filters: the prompt-attack filter is off only with
 * `allowNoPromptAttackFilter`, and not every content filter is NONE (an empty filter set). The same
 * checks as BedrockGuardrail's, reported against the config's fields.
 */
export const genaiGuardrails: Rule = (config) => {
  const problems: Problem[] = [];
  for (const { w, i, kind } of workloadsOfKnownKind(config)) {
    if (kind !== 'genai' || !isObject(w.genai) || !isObject(w.genai.guardrail)) continue;
    const g = w.genai.guardrail;
    const path = ['workloads', i, 'genai', 'guardrail'];
    if (g.promptAttack === 'NONE' && g.allowNoPromptAttackFilter !== true) {
      problems.push({
        path: [...path, 'promptAttack'],
        message:
          "'NONE' turns off prompt-attack filtering; set allowNoPromptAttackFilter: true to accept that, or use LOW, MEDIUM or HIGH",
      });
    }
    const filters = isObject(g.contentFilters) ? g.contentFilters : undefined;
    const categories = ['hate', 'insults', 'sexual', 'violence', 'misconduct'];
    if (filters && categories.every((c) => filters[c] === 'NONE')) {
      problems.push({
        path: [...path, 'contentFilters'],
        message: `every content filter is NONE (${categories.join(', ')}), an empty filter set; keep at least one at LOW, MEDIUM or HIGH`,
      });
    }
  }
  return problems;
};

/** Every cross-field rule, in the order their problems are reported (problems are then sorted by field). */
export const RULES: readonly Rule[] = [
  networkFits,
  gpuInstanceTypes,
  workloadReferences,
  invokeCycles,
  workloadCompute,
  apiReferences,
  generatedNames,
  deliveryEnvironments,
  genaiGuardrails,
  // Hard service limits the platform's size would exceed at deploy (lib/config/quotas.ts).
  (config) => quotaProblems(config),
];
