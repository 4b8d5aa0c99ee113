import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import { DEFAULT_PLATFORM_CONFIG } from '../../lib/config/default-config';
import { loadPlatformConfig } from '../../lib/config/load-config';
import {
  ApiClientConfig,
  ApiConfig,
  GenAiGuardrailConfig,
  GenAiRetrievalConfig,
  GenAiWorkloadConfig,
  ModelIntegrityConfig,
  NetworkConfig,
  PlatformConfig,
  WorkloadComputeConfig,
  WorkloadConfig,
} from '../../lib/config/platform-config';
import { PLATFORM_CONFIG_SCHEMA, SchemaNode } from '../../lib/config/schema';
import { ConfigValidationError, DEFAULT_API_CONFIG, validatePlatformConfig } from '../../lib/config/validate-config';

/*
 * One schema (lib/config/schema.ts) is the shape and the defaults of the platform configuration. The
 * file editors read (schema/platform-config.schema.json) is that object written out; the TypeScript
 * types name the same fields; examples/platform.yaml shows and explains every field, and validates.
 */

const ROOT = path.join(__dirname, '..', '..');
const SCHEMA_FILE = path.join(ROOT, 'schema', 'platform-config.schema.json');
const EXAMPLE = path.join(ROOT, 'examples', 'platform.yaml');

const props = (node: SchemaNode | undefined): SchemaNode => {
  if (!node?.properties) throw new Error('not an object schema');
  return node.properties as unknown as SchemaNode;
};
const S = PLATFORM_CONFIG_SCHEMA.properties!;
const WORKLOAD = S.workloads.items!;
/** A workload kind's branch (allOf[i].then) of the workload schema. */
const branch = (kind: string): SchemaNode =>
  (WORKLOAD.allOf as { if: { properties: { kind: { const: string } } }; then: SchemaNode }[]).find(
    (b) => b.if.properties.kind.const === kind,
  )!.then;

describe('schema/platform-config.schema.json', () => {
  test('is the schema the code validates with (regenerate: UPDATE_CONFIG_SCHEMA=1 npx jest test/lib/config-schema.test.ts, then npx prettier --write schema)', () => {
    if (process.env.UPDATE_CONFIG_SCHEMA === '1') {
      fs.mkdirSync(path.dirname(SCHEMA_FILE), { recursive: true });
      fs.writeFileSync(SCHEMA_FILE, `${JSON.stringify(PLATFORM_CONFIG_SCHEMA, null, 2)}\n`);
    }
    // Compared as JSON, so formatting (prettier) is free; any change of a field, default or message is drift.
    expect(JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'))).toStrictEqual(
      JSON.parse(JSON.stringify(PLATFORM_CONFIG_SCHEMA)),
    );
  });

  test('is a valid draft-07 JSON Schema that a plain validator (as in an editor) compiles', () => {
    const ajv = new Ajv({ strict: false });
    const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8'));
    expect(ajv.validateSchema(schema)).toBe(true);
    const validate = ajv.compile(schema);
    // What an editor sees: the example and the embedded default are valid, a typo and a bad value are not.
    const example = loadPlatformConfig(EXAMPLE);
    expect(validate(JSON.parse(JSON.stringify(example)))).toBe(true);
    expect(validate(JSON.parse(JSON.stringify(DEFAULT_PLATFORM_CONFIG)))).toBe(true);
    expect(validate({ platfromName: 'acme' })).toBe(false);
    expect(validate({ network: { maxAzs: 7 } })).toBe(false);
    expect(validate({ workloads: [{ name: 'claims-agent', kind: 'agent', instanceType: 'g5.xlarge' }] })).toBe(false);
  });

  test('gives every field a description, and every string pattern a message saying what is allowed', () => {
    const missing: string[] = [];
    const visit = (node: SchemaNode, at: string) => {
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        const where = `${at}${at ? '.' : ''}${name}`;
        if (!child.description && !(child.not && child.errorMessage)) missing.push(`${where}: description`);
        visit(child, where);
      }
      if (node.items) visit(node.items, `${at}[]`);
      if (node.pattern && !node.errorMessage) missing.push(`${at}: errorMessage for its pattern`);
      for (const sub of (node.allOf as { then?: SchemaNode }[] | undefined) ?? []) if (sub.then) visit(sub.then, at);
    };
    visit(PLATFORM_CONFIG_SCHEMA, '');
    // Branch-specific nodes (a kind's instanceType) carry a message instead of a description.
    expect(missing.filter((m) => !/instanceType: description/.test(m))).toEqual([]);
  });
});

describe('the schema and the TypeScript types name the same fields', () => {
  // A field added to a type fails to compile here until it is listed, and the test until the schema has it.
  const fields = <T>(all: Record<keyof T, true>): string[] => Object.keys(all).sort();
  test.each<[string, SchemaNode, string[]]>([
    [
      'PlatformConfig',
      PLATFORM_CONFIG_SCHEMA,
      fields<PlatformConfig>({
        platformName: true,
        profile: true,
        env: true,
        network: true,
        logRetentionDays: true,
        adminPrincipalArns: true,
        workloads: true,
        api: true,
        modelIntegrity: true,
        guardHookFailureMode: true,
        delivery: true,
      }),
    ],
    [
      'NetworkConfig',
      S.network,
      fields<NetworkConfig>({
        cidr: true,
        maxAzs: true,
        gpuTierCidrMask: true,
        endpointsTierCidrMask: true,
        dataTierCidrMask: true,
        openInternetEgress: true,
        s3PrefixListId: true,
      }),
    ],
    [
      'WorkloadConfig',
      WORKLOAD,
      fields<WorkloadConfig>({
        name: true,
        kind: true,
        description: true,
        instanceType: true,
        invokes: true,
        compute: true,
        genai: true,
      }),
    ],
    [
      'ApiConfig',
      S.api,
      fields<ApiConfig>({
        expose: true,
        stageName: true,
        throttle: true,
        maxPromptChars: true,
        rateLimitPerIp: true,
        machineEndpointType: true,
        people: true,
        clients: true,
      }),
    ],
    [
      'ApiClientConfig',
      S.api.properties!.clients.items!,
      fields<ApiClientConfig>({
        caller: true,
        rateLimit: true,
        burstLimit: true,
        quotaLimit: true,
        quotaPeriod: true,
        keyVersion: true,
      }),
    ],
    [
      'ModelIntegrityConfig',
      S.modelIntegrity,
      fields<ModelIntegrityConfig>({
        signerPrincipalArns: true,
        verifierRoleArns: true,
        allowBundlesWithoutSubject: true,
      }),
    ],
  ])('%s', (_name, node, expected) => {
    expect(Object.keys(props(node)).sort()).toEqual(expected);
  });

  test('WorkloadComputeConfig: the union of the real-time and batch compute fields', () => {
    const realtime = Object.keys(props(branch('realtime-inference').properties!.compute));
    const batch = Object.keys(props(branch('batch').properties!.compute));
    expect([...new Set([...realtime, ...batch])].sort()).toEqual(
      fields<WorkloadComputeConfig>({
        imageDigest: true,
        imageUri: true,
        model: true,
        minInstances: true,
        maxInstances: true,
        amiId: true,
      }),
    );
  });
});

describe('genai', () => {
  const fields = <T>(all: Record<keyof T, true>): string[] => Object.keys(all).sort();
  test('GenAiWorkloadConfig, GenAiGuardrailConfig and GenAiRetrievalConfig: the genai branch', () => {
    const genai = branch('genai').properties!.genai;
    expect(Object.keys(props(genai)).sort()).toEqual(
      fields<GenAiWorkloadConfig>({ models: true, guardrail: true, retrieval: true }),
    );
    expect(Object.keys(props(genai.properties!.guardrail)).sort()).toEqual(
      fields<GenAiGuardrailConfig>({
        promptAttack: true,
        allowNoPromptAttackFilter: true,
        contentFilters: true,
        pii: true,
        deniedTopics: true,
      }),
    );
    expect(Object.keys(props(genai.properties!.retrieval)).sort()).toEqual(
      fields<GenAiRetrievalConfig>({ knowledgeBase: true, embeddingModel: true }),
    );
  });
});

describe('every section through one validation', () => {
  test('problems of every section come at once, in the order of the fields, whichever check found them', () => {
    let error: unknown;
    try {
      validatePlatformConfig(
        {
          profile: 'prod',
          network: {
            cidr: '10.40.0.0/20',
            maxAzs: 3,
            gpuTierCidrMask: 22,
            endpointsTierCidrMask: 24,
            dataTierCidrMask: 24,
          },
          workloads: [
            {
              name: 'ranker',
              kind: 'realtime-inference',
              instanceType: 'ml.g5.xlarge',
              compute: { model: { name: 'r', version: 1 } },
            },
            { name: 'shop-agent', kind: 'agent', invokes: ['ranker'] },
          ],
          api: {
            throttle: { rateLimit: 20, burstLimit: 10 },
            clients: [{ caller: 'ranker', rateLimit: 1, burstLimit: 1, quotaLimit: 1, quotaPeriod: 'YEAR' }],
          },
          modelIntegrity: { verifierRoleArns: [] },
        },
        'all.yaml',
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).problems).toEqual([
      "profile: must be one of dev, production, got 'prod'",
      "network: the tiers overlap or overflow the VPC: 3 zones × (gpu /22 + endpoints /24 + data /24) need 4608 addresses (each subnet aligned to its size), but network.cidr '10.40.0.0/20' holds 4096; widen the cidr, use fewer zones or longer tier masks",
      "workloads[0].compute.model.version: must be a string (quote it in YAML: '1') (one key segment of approved/<workload>/<model>/<version>/files/, the admission gate's rule), got 1",
      'workloads[0].compute: set exactly one of imageDigest and imageUri, got neither',
      'api.throttle.burstLimit: must be >= rateLimit (20), got 10',
      "api.clients[0].caller: must name a workload that invokes an exposed workload (shop-agent), got 'ranker'",
      "api.clients[0].quotaPeriod: must be one of DAY, WEEK, MONTH, got 'YEAR'",
      "modelIntegrity.verifierRoleArns: must be a non-empty list of an IAM role ARN without wildcards (e.g. 'arn:aws:iam::111122223333:role/model-verifier'), got []",
    ]);
  });
});

describe('rules judge every field they can', () => {
  test('a workload with a bad name still has its instance type and compute checked', () => {
    expect(() =>
      validatePlatformConfig({ workloads: [{ name: 'M', kind: 'realtime-inference', instanceType: 'ml.m5.xlarge' }] }),
    ).toThrow(
      expect.objectContaining({
        problems: [
          expect.stringMatching(/^workloads\[0\]\.name: /),
          expect.stringMatching(/^workloads\[0\]\.instanceType: 'ml\.m5\.xlarge' is not a GPU instance type/),
          expect.stringMatching(/^workloads\[0\]\.compute: a 'realtime-inference' workload needs/),
        ],
      }),
    );
  });
});

describe('defaults come from the schema', () => {
  test('the embedded default is every default of the schema', () => {
    expect(DEFAULT_PLATFORM_CONFIG).toEqual(validatePlatformConfig({}));
    expect(DEFAULT_PLATFORM_CONFIG.platformName).toBe(S.platformName.default);
    expect(DEFAULT_PLATFORM_CONFIG.logRetentionDays).toBe(S.logRetentionDays.default);
    for (const [name, field] of Object.entries(S.network.properties!)) {
      if ('default' in field)
        expect([name, DEFAULT_PLATFORM_CONFIG.network[name as keyof NetworkConfig]]).toEqual([name, field.default]);
    }
  });

  test("the API's defaults are the api section's schema defaults", () => {
    expect(DEFAULT_API_CONFIG).toEqual({
      stageName: 'live',
      throttle: { rateLimit: 50, burstLimit: 100 },
      maxPromptChars: 8000,
      rateLimitPerIp: 1000,
      machineEndpointType: 'private',
      people: true,
      clients: [],
    });
    for (const [name, field] of Object.entries(S.api.properties!)) {
      if ('default' in field) expect(DEFAULT_API_CONFIG[name as keyof ApiConfig]).toEqual(field.default);
    }
  });

  test('an api section with some fields takes the others from the schema', () => {
    const config = validatePlatformConfig({ ...DEFAULT_PLATFORM_CONFIG, api: { people: false } });
    expect(config.api).toEqual({ ...DEFAULT_API_CONFIG, people: false });
  });

  test('validation does not modify its input', () => {
    const raw = { network: { cidr: '10.41.0.0/16' } };
    validatePlatformConfig(raw);
    expect(raw).toEqual({ network: { cidr: '10.41.0.0/16' } });
  });
});

describe('examples/platform.yaml', () => {
  const text = fs.readFileSync(EXAMPLE, 'utf8');

  test('names the published schema for editors', () => {
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/platform-config.schema.json');
    expect(fs.existsSync(path.resolve(path.dirname(EXAMPLE), '../schema/platform-config.schema.json'))).toBe(true);
  });

  test('loads and validates through the real loader', () => {
    const config = loadPlatformConfig(EXAMPLE);
    expect(config.platformName).toBe('acme-ai');
    expect(config.workloads.map((w) => w.kind)).toEqual(['realtime-inference', 'batch', 'agent', 'genai']);
    expect(config.api?.clients?.map((c) => c.caller)).toEqual(['claims-agent']);
  });

  test('shows every field of the schema (set, or commented out with its default or an example)', () => {
    const names = new Set<string>();
    const visit = (node: SchemaNode) => {
      for (const [name, child] of Object.entries(node.properties ?? {})) {
        names.add(name);
        visit(child);
      }
      if (node.items) visit(node.items);
      for (const sub of (node.allOf as { then?: SchemaNode }[] | undefined) ?? []) if (sub.then) visit(sub.then);
    };
    visit(PLATFORM_CONFIG_SCHEMA);
    const shown = new Set([...text.matchAll(/^[\s#-]*([A-Za-z0-9]+):/gm)].map((m) => m[1]));
    expect([...names].filter((n) => !shown.has(n))).toEqual([]);
  });

  test('the commented-out sections are valid too once uncommented', () => {
    const uncommented = text
      .split('\n')
      // imageUri is the alternative to imageDigest (exactly one of the two), so it stays commented out.
      .map((line) => line.replace(/^(\s*)# (\s*)(?=(?!imageUri)[a-z][A-Za-z0-9]*:(\s|$)|- )/, '$1$2'))
      .join('\n');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-example-')), 'platform.yaml');
    fs.writeFileSync(file, uncommented);
    const config = loadPlatformConfig(file);
    expect(config.env).toEqual({ account: '111122223333', region: 'eu-west-1' });
    expect(config.modelIntegrity?.verifierRoleArns).toEqual(['arn:aws:iam::111122223333:role/model-verifier']);
    expect(config.workloads[1].compute).toEqual({ minInstances: 0, maxInstances: 2, amiId: 'ami-0123456789abcdef0' });
  });
});
