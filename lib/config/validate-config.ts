import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { ApiConfig, PlatformConfig } from './platform-config';
import { REFERENCE_API_CLIENTS } from './reference-workloads';
import { computeProblems, isObject, Problem, RULES, show } from './rules';
import { API_SCHEMA, MODEL_INTEGRITY_SCHEMA, PLATFORM_CONFIG_SCHEMA, SchemaNode } from './schema';

export { LOG_RETENTION_DAYS } from './platform-config';

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

// ---------------------------------------------------------------------------------------------------
// ajv: one compiled validator per schema node, with the schema's defaults applied and every error kept.

const ajv = new Ajv({ allErrors: true, verbose: true, useDefaults: true, strict: true, strictTypes: false });
ajv.addVocabulary(['errorMessage', 'x-errors']);
const compiled = new Map<SchemaNode, ValidateFunction>();

function validator(schema: SchemaNode): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    const { $schema: _s, ...rest } = schema;
    fn = ajv.compile(rest);
    compiled.set(schema, fn);
  }
  return fn;
}

export interface ValidateOptions {
  /**
   * Whether a configuration without `workloads` gets the reference (demo) workloads. The embedded
   * default (no config file) does; a user's file must name its workloads (`loadPlatformConfig`
   * passes false), so it never builds the demo by omission.
   * @default true
   */
  readonly referenceWorkloads?: boolean;
}

/** The problem of a config file that names no workloads. */
const NO_WORKLOADS: Problem = {
  path: ['workloads'],
  message:
    "a config file must list its workloads (at least one { name, kind }); the four reference workloads are only the embedded default's (npx cdk synth without -c config), got none",
};

/**
 * Validate a raw configuration (parsed JSON or YAML) against the schema and the rules beside it, and
 * fill in defaults for omitted optional fields (the schema's `default`s). Throws
 * `ConfigValidationError` naming each field, the value received and what is allowed, all at once.
 * The input is not modified.
 */
export function validatePlatformConfig(
  raw: unknown,
  source = 'embedded default',
  options: ValidateOptions = {},
): PlatformConfig {
  if (!isObject(raw)) {
    throw new ConfigValidationError(source, [`the configuration must be an object, got ${show(raw)}`]);
  }
  const { config, problems } = checkPlatformConfig(raw, options);
  if (problems.length > 0) throw new ConfigValidationError(source, problems.map(format));
  return config as unknown as PlatformConfig;
}

/**
 * Problems of the `api` section of a raw platform configuration (and of callers it leaves out), one
 * line each; empty when it is valid or absent. Reads `workloads` of the same configuration.
 */
export function validateApiConfig(raw: unknown): string[] {
  if (!isObject(raw)) return [];
  return checkPlatformConfig(raw)
    .problems.filter((p) => (p.section ?? p.path[0]) === 'api')
    .map(format);
}

/** Problems of a raw `modelIntegrity` section, with paths under `field`; empty when it is valid or absent. */
export function validateModelIntegrityConfig(raw: unknown, field = 'modelIntegrity'): string[] {
  if (raw === undefined) return [];
  const problems = schemaProblems(validator(MODEL_INTEGRITY_SCHEMA), structuredClone(raw), [field]);
  return sorted(problems, { properties: { [field]: MODEL_INTEGRITY_SCHEMA } }).map(format);
}

/**
 * Problems of `compute` of one raw workload (`{ name, kind, compute, … }`), with paths under `at`:
 * the schema's, for its kind, and the compute rules. Other fields of the workload are not judged.
 */
export function validateComputeConfig(rawWorkload: unknown, at = 'workload'): string[] {
  if (!isObject(rawWorkload)) return [];
  const workload = structuredClone(rawWorkload);
  const items = (PLATFORM_CONFIG_SCHEMA.properties!.workloads as SchemaNode).items!;
  const fromSchema = schemaProblems(validator(items), workload, [at]).filter((p) => p.path[1] === 'compute');
  const fromRules = computeProblems(workload).map((p) => ({ ...p, path: [at, ...p.path] }));
  return sorted(refine(fromSchema, fromRules), { properties: { [at]: items } }).map(format);
}

/** The `api` section with defaults filled in (validate it first with validateApiConfig). */
export function resolveApiConfig(api: Partial<ApiConfig> | undefined): ApiConfig {
  return { ...DEFAULT_API_CONFIG, ...(api ?? {}) };
}

/** The schema's defaults of the `api` section. */
export const DEFAULT_API_CONFIG: ApiConfig = (() => {
  const api = {};
  validator(API_SCHEMA)(api);
  return api as ApiConfig;
})();

/** The configuration with defaults filled in, and every problem of it (schema and rules), sorted by field. */
function checkPlatformConfig(
  raw: Record<string, unknown>,
  options: ValidateOptions = {},
): { config: Record<string, unknown>; problems: Problem[] } {
  const config = structuredClone(raw);
  const missing = config.workloads === undefined && options.referenceWorkloads === false;
  // The reference workloads' API clients name them: they come with them, never alone.
  if (config.api === undefined && config.workloads === undefined && !missing) {
    config.api = { clients: structuredClone(REFERENCE_API_CLIENTS) };
  }
  const fromSchema = schemaProblems(validator(PLATFORM_CONFIG_SCHEMA), config, []);
  // The schema filled in the reference workloads; the file has none, so references to them are judged against none.
  if (missing) config.workloads = [];
  const fromRules = [...(missing ? [NO_WORKLOADS] : []), ...RULES.flatMap((rule) => rule(config))];
  return { config, problems: sorted(refine(fromSchema, fromRules), PLATFORM_CONFIG_SCHEMA) };
}

/** A rule's problem replaces the schema's at the same field: the rule knows more (e.g. a model version given as a number). */
function refine(fromSchema: Problem[], fromRules: Problem[]): Problem[] {
  const ruled = new Set(fromRules.map((p) => key(p.path)));
  return [...fromSchema.filter((p) => !ruled.has(key(p.path))), ...fromRules];
}

/** Wrapper keywords whose sub-schemas' own errors are reported instead. */
const WRAPPERS = new Set(['if', 'allOf', 'anyOf', 'oneOf']);

/** The schema's problems of `data` (defaults are filled into it), one per field, the most specific message first. */
function schemaProblems(validate: ValidateFunction, data: unknown, base: readonly (string | number)[]): Problem[] {
  if (validate(data)) return [];
  const byField = new Map<string, { problem: Problem; specific: boolean }>();
  for (const error of validate.errors ?? []) {
    if (WRAPPERS.has(error.keyword)) continue;
    const { path: full, message, specific } = describe(error, base);
    const k = key(full);
    const seen = byField.get(k);
    if (!seen || (specific && !seen.specific)) byField.set(k, { problem: { path: full, message }, specific });
  }
  return [...byField.values()].map((v) => v.problem);
}

function describe(
  error: ErrorObject,
  base: readonly (string | number)[],
): { path: (string | number)[]; message: string; specific: boolean } {
  const path = [...base, ...pointerToPath(error.instancePath)];
  const node = (error.parentSchema ?? {}) as SchemaNode;
  switch (error.keyword) {
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const child = node.properties?.[missing] ?? {};
      const whole = child['x-errors']?.required;
      if (whole) return { path: [...path, missing], message: whole, specific: true };
      return {
        path: [...path, missing],
        message: `${allowed(child, 'type')}, got undefined`,
        specific: !!child.errorMessage,
      };
    }
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const where = path.length > 0 ? ` of ${formatPath(path)}` : '';
      const what = node['x-errors']?.additionalProperties ?? 'unknown field';
      const fields = Object.keys(node.properties ?? {}).join(', ');
      return { path: [...path, extra], message: `${what}; allowed fields${where}: ${fields}`, specific: true };
    }
    default: {
      const specific = !!(node['x-errors']?.[error.keyword] ?? node.errorMessage);
      return { path, message: `${allowed(node, error.keyword, error)}, got ${show(error.data)}`, specific };
    }
  }
}

/** What a schema node allows, in words. */
function allowed(node: SchemaNode, keyword: string, error?: ErrorObject): string {
  const own = node['x-errors']?.[keyword] ?? node.errorMessage;
  if (own) return own;
  if (Array.isArray(node.enum)) return `must be one of ${node.enum.join(', ')}`;
  switch (node.type) {
    case 'integer':
      return node.minimum !== undefined && node.maximum !== undefined
        ? `must be an integer from ${String(node.minimum)} to ${String(node.maximum)}`
        : 'must be an integer';
    case 'boolean':
      return 'must be true or false';
    case 'object':
      return 'must be an object';
    case 'array':
      return 'must be a list';
    case 'string':
      return 'must be a string';
    default:
      return error?.message ?? 'is not allowed';
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `workloads[0].compute.model` */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function format(p: Problem): string {
  return p.path.length === 0 ? p.message : `${formatPath(p.path)}: ${p.message}`;
}

const key = (path: readonly (string | number)[]): string => JSON.stringify(path);

/**
 * Problems in the order of the fields in the schema (unknown fields of an object first, a field's
 * own problems after its children's), so a file's problems read top to bottom, whichever check found them.
 */
function sorted(problems: Problem[], root: SchemaNode): Problem[] {
  const rank = (path: readonly (string | number)[]): number[] => {
    let node: SchemaNode | undefined = root;
    return path.map((segment) => {
      if (typeof segment === 'number') {
        node = node?.items;
        return segment;
      }
      const names: string[] = Object.keys(node?.properties ?? {});
      node = node?.properties?.[segment];
      return names.indexOf(segment);
    });
  };
  const ranked = problems.map((p) => ({ p, r: rank(p.path) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < Math.min(a.r.length, b.r.length); i++) if (a.r[i] !== b.r[i]) return a.r[i] - b.r[i];
    return b.r.length - a.r.length;
  });
  return ranked.map((x) => x.p);
}
