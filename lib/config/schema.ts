import { QUOTA_PERIODS } from '../../constructs/api';
import {
  CONTENT_FILTER_TYPES,
  FILTER_STRENGTHS,
  PII_ENTITY_TYPES,
  SENSITIVE_INFORMATION_ACTIONS,
} from '../../constructs/genai/bedrock-guardrail';
import { FOUNDATION_MODEL_ID_PATTERN, INFERENCE_PROFILE_PREFIXES } from '../../constructs/genai/bedrock-model';
import { WORKLOAD_NAME_PATTERN } from '../../constructs/identity/workload-identity';
import { AMI_ID_PATTERN, IMAGE_DIGEST_PATTERN, PINNED_ECR_IMAGE_URI_PATTERN } from '../../constructs/inference';
import {
  EC2_INSTANCE_TYPE_PATTERN,
  SAGEMAKER_INSTANCE_TYPE_PATTERN,
} from '../../constructs/inference/gpu-instance-types';
import {
  DELIVERY_ENVIRONMENT_NAMES,
  GUARD_HOOK_FAILURE_MODES,
  LOG_RETENTION_DAYS,
  MAX_PROMPT_CHARS,
  PROFILES,
  WORKLOAD_KINDS,
} from './platform-config';
import { maxWorkloadNameLength } from './naming-rules';
import { REFERENCE_WORKLOADS } from './reference-workloads';
import { segmentedNetworkDefaults } from '../../constructs/network/segmented-network';

/** The network's defaults are SegmentedNetwork's own: the config and the construct cannot drift. */
const NETWORK_DEFAULTS = segmentedNetworkDefaults();

/**
 * The one schema of the platform configuration (JSON Schema draft-07): its shape, its defaults
 * (`default`) and what each field allows (`errorMessage`, which editors using vscode-json-languageservice
 * or yaml-language-server show as the problem; `x-errors` gives a keyword its own message).
 * `validatePlatformConfig` validates every section with it (ajv) and then applies the cross-field
 * rules of `./rules.ts`; `schema/platform-config.schema.json` is this object, written out for editors
 * (`test/lib/config-schema.test.ts` fails when the two differ).
 *
 * Patterns and lists come from the constructs that enforce them, so the schema cannot drift from them.
 */
export interface SchemaNode {
  readonly [keyword: string]: unknown;
  readonly properties?: { readonly [name: string]: SchemaNode };
  readonly items?: SchemaNode;
  /** What is allowed, without the value: the message of every failing keyword of this node. */
  readonly errorMessage?: string;
  /**
   * A message per failing keyword, instead of errorMessage. For `required` (read from the missing
   * property's schema) it is the whole message, value included; for `additionalProperties` the
   * list of allowed fields is appended.
   */
  readonly 'x-errors'?: { readonly [keyword: string]: string };
}

const pattern = (re: RegExp): string => re.source;

const integer = (minimum: number, maximum: number, extra: Record<string, unknown> = {}): SchemaNode => ({
  type: 'integer',
  minimum,
  maximum,
  ...extra,
});

const ROLE_ARN = "an IAM role ARN or pattern such as 'arn:aws:iam::111122223333:role/break-glass'";
const SIGNER_ARN =
  "an IAM role or user ARN of the account, optionally ending in '*' after a path (e.g. 'arn:aws:iam::111122223333:role/release/*')";
const VERIFIER_ARN = "an IAM role ARN without wildcards (e.g. 'arn:aws:iam::111122223333:role/model-verifier')";
const MODEL_EXAMPLE = "{ name: 'fraud-model', version: '1' }";
const MAX_INSTANCES = 100;
/** The longest realtime-inference workload name exposed to people, with the default platformName (derived from the names it builds). */
const REALTIME_NAME_MAX = maxWorkloadNameLength('ztai', { kind: 'realtime-inference', repository: true, people: true });

const NETWORK: SchemaNode = {
  type: 'object',
  description: 'The VPC: no internet gateway, no NAT; three isolated tiers (GPU, endpoints, data) in every zone.',
  default: {},
  additionalProperties: false,
  properties: {
    cidr: {
      type: 'string',
      description:
        'VPC range, /16 to /22, with no host bits set. Each tier gets one subnet per zone, aligned to its size; they must all fit.',
      pattern: '^(\\d{1,3}\\.){3}\\d{1,3}\\/\\d{1,2}$',
      errorMessage: "must be an IPv4 CIDR such as '10.40.0.0/16'",
      default: NETWORK_DEFAULTS.cidr,
    },
    maxAzs: integer(2, 6, { description: 'Availability zones, 2 to 6.', default: NETWORK_DEFAULTS.maxAzs }),
    gpuTierCidrMask: integer(17, 28, {
      description: 'Prefix length of each GPU-tier subnet (one per zone); longer than the VPC prefix, at most /28.',
      default: NETWORK_DEFAULTS.gpuTierCidrMask,
    }),
    endpointsTierCidrMask: integer(17, 28, {
      description:
        'Prefix length of each endpoints-tier subnet (interface endpoints); longer than the VPC prefix, at most /28.',
      default: NETWORK_DEFAULTS.endpointsTierCidrMask,
    }),
    dataTierCidrMask: integer(17, 28, {
      description: 'Prefix length of each data-tier subnet; longer than the VPC prefix, at most /28.',
      default: NETWORK_DEFAULTS.dataTierCidrMask,
    }),
    openInternetEgress: {
      type: 'boolean',
      description:
        'Adds an egress tier (a /24 and a /26 per zone) with a NAT path to the internet. Off unless the platform team says so.',
      default: false,
    },
    s3PrefixListId: {
      type: 'string',
      description:
        "The region's S3 managed prefix list (`pl-…`), to fix it in the template; workload security groups send HTTPS for S3 only to it. Default: looked up by name (com.amazonaws.<region>.s3) when the platform stack deploys.",
      pattern: '^pl-[0-9a-f]{8,17}$',
      errorMessage: "must be a prefix list id such as 'pl-63a5400a'",
    },
  },
};

const MODEL: SchemaNode = {
  type: 'object',
  description:
    "The approved model version the endpoint serves, as signed and admitted (`ztai-model sign --subject`): SageMaker loads approved/<workload>/<name>/<version>/files/. Each is one key segment by the admission gate's rule.",
  errorMessage: `must be an object ${MODEL_EXAMPLE}`,
  'x-errors': {
    required: `a 'realtime-inference' workload needs the approved model it serves, ${MODEL_EXAMPLE}; the endpoint loads approved/<workload>/<name>/<version>/files/, which the admission gate writes; got none`,
  },
  additionalProperties: false,
  required: ['name', 'version'],
  properties: {
    name: {
      type: 'string',
      description: "The model's name (e.g. `fraud-model`).",
      'x-errors': { required: `required (e.g. ${MODEL_EXAMPLE}), got none` },
    },
    version: {
      type: 'string',
      description: "The model's version (e.g. `1`, `1.2.0+build.7`); quote a number in YAML.",
      'x-errors': { required: `required (e.g. ${MODEL_EXAMPLE}), got none` },
    },
  },
};

const IMAGE_DIGEST: SchemaNode = {
  type: 'string',
  description:
    "Digest of the model server image in the workload's repository of the platform (`<platform stack>/<workload>`). Set exactly one of imageDigest and imageUri.",
  pattern: pattern(IMAGE_DIGEST_PATTERN),
  errorMessage: "must be an image digest 'sha256:' followed by 64 lower-case hex digits (a tag is not accepted)",
};

const REALTIME_COMPUTE: SchemaNode = {
  type: 'object',
  description: 'The image, the approved model and the instance counts of the SageMaker endpoint.',
  'x-errors': {
    additionalProperties: "unknown field for a 'realtime-inference' workload",
    required:
      "a 'realtime-inference' workload needs compute.imageDigest (the image in its platform repository, 'sha256:<64 hex>') or compute.imageUri, and compute.model (the approved model it serves, { name, version }); got no compute",
  },
  additionalProperties: false,
  required: ['model'],
  properties: {
    imageDigest: IMAGE_DIGEST,
    imageUri: {
      type: 'string',
      description: 'A private ECR image pinned by digest, instead of the platform repository.',
      pattern: pattern(PINNED_ECR_IMAGE_URI_PATTERN),
      errorMessage:
        "must be a private ECR image pinned by digest, '<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>'",
    },
    model: MODEL,
    minInstances: integer(1, MAX_INSTANCES, { description: 'Fewest instances (default 2).' }),
    maxInstances: integer(1, MAX_INSTANCES, {
      description: 'Most instances, at least minInstances (default twice minInstances).',
    }),
  },
};

const BATCH_COMPUTE: SchemaNode = {
  type: 'object',
  description: 'The instance counts and machine image of the GPU fleet.',
  'x-errors': { additionalProperties: "unknown field for a 'batch' workload" },
  additionalProperties: false,
  properties: {
    minInstances: integer(0, MAX_INSTANCES, { description: 'Fewest instances (default 0).' }),
    maxInstances: integer(1, MAX_INSTANCES, {
      description: 'Most instances, at least minInstances (default max(1, minInstances)).',
    }),
    amiId: {
      type: 'string',
      description:
        'A pinned AMI id (default: the AWS Deep Learning Base GPU AMI, Amazon Linux 2023, read from its public SSM parameter at deploy time).',
      pattern: pattern(AMI_ID_PATTERN),
      errorMessage: "must be an AMI id such as 'ami-0123456789abcdef0'",
    },
  },
};

const BEDROCK_MODEL_ID = `a Bedrock model id: a foundation model '<provider>.<model>[:<version>]' such as 'anthropic.claude-3-haiku-20240307-v1:0', or an inference profile '<${INFERENCE_PROFILE_PREFIXES.join('|')}>.<foundation-model id>'`;
const STRENGTH = (what: string): SchemaNode => ({
  enum: [...FILTER_STRENGTHS],
  description: `${what}: NONE, LOW, MEDIUM or HIGH (default HIGH).`,
});

const GENAI_GUARDRAIL: SchemaNode = {
  type: 'object',
  description:
    "The workload's guardrail (encrypted with the platform data key, published as a version); every filter left out stays at its strictest.",
  errorMessage: 'must be an object { promptAttack, allowNoPromptAttackFilter, contentFilters, pii, deniedTopics }',
  'x-errors': { additionalProperties: 'unknown field of a guardrail' },
  additionalProperties: false,
  properties: {
    promptAttack: STRENGTH(
      'Prompt-attack (jailbreak, prompt-injection) filter on input; NONE needs allowNoPromptAttackFilter',
    ),
    allowNoPromptAttackFilter: {
      type: 'boolean',
      description: 'Turns off prompt-attack filtering when promptAttack is NONE (warns). Default false.',
    },
    contentFilters: {
      type: 'object',
      description: `Content filter strengths (input and output) by category (${CONTENT_FILTER_TYPES.join(', ')}); a category left out stays HIGH; not all NONE.`,
      errorMessage: `must be an object of strengths by category (${CONTENT_FILTER_TYPES.join(', ')})`,
      'x-errors': { additionalProperties: `not a content filter category (${CONTENT_FILTER_TYPES.join(', ')})` },
      additionalProperties: false,
      properties: Object.fromEntries(CONTENT_FILTER_TYPES.map((t) => [t, STRENGTH(`The ${t} filter`)])),
    },
    pii: {
      type: 'object',
      description:
        'The sensitive-information filter: ANONYMIZE (mask) or BLOCK the listed PII entity types (default: ANONYMIZE email, phone, SSN, card number, AWS keys, passwords).',
      errorMessage: "must be an object { action: 'ANONYMIZE' | 'BLOCK', entities }",
      'x-errors': { required: "required: 'ANONYMIZE' or 'BLOCK', got none" },
      additionalProperties: false,
      required: ['action'],
      properties: {
        action: {
          enum: [...SENSITIVE_INFORMATION_ACTIONS],
          description: 'ANONYMIZE masks a detected entity; BLOCK refuses the request or response.',
        },
        entities: {
          type: 'array',
          description: 'The PII entity types to detect (default: email, phone, SSN, card number, AWS keys, passwords).',
          minItems: 1,
          errorMessage: 'must be a non-empty list of PII entity types (an empty list is an empty filter set)',
          items: {
            enum: [...PII_ENTITY_TYPES],
            description: 'A PII entity type (AWS::Bedrock::Guardrail PiiEntityConfig Type).',
          },
        },
      },
    },
    deniedTopics: {
      type: 'array',
      description: 'Topics the guardrail refuses, in input and output.',
      errorMessage: 'must be a list of { name, definition, examples }',
      maxItems: 30,
      items: {
        type: 'object',
        description: 'A denied topic.',
        errorMessage: 'must be an object { name, definition, examples }',
        additionalProperties: false,
        required: ['name', 'definition'],
        properties: {
          name: {
            type: 'string',
            description: 'The topic: 1-100 letters, digits, spaces and -_!?.',
            pattern: '^[0-9a-zA-Z_ !?.-]{1,100}$',
            errorMessage: 'must be 1-100 letters, digits, spaces and -_!?.',
            'x-errors': { required: 'required: the topic name, got none' },
          },
          definition: {
            type: 'string',
            description: 'What the topic is, 1-200 characters.',
            minLength: 1,
            maxLength: 200,
            errorMessage: 'must be 1-200 characters',
            'x-errors': { required: 'required: what the topic is (1-200 characters), got none' },
          },
          examples: {
            type: 'array',
            description: 'Up to five example phrases, 1-100 characters each.',
            maxItems: 5,
            errorMessage: 'must be at most 5 phrases',
            items: { type: 'string', minLength: 1, maxLength: 100, errorMessage: 'must be 1-100 characters' },
          },
        },
      },
    },
  },
};

const GENAI: SchemaNode = {
  type: 'object',
  description:
    'The Bedrock models the workload invokes (privately, through its own guardrail only), its guardrail and its retrieval.',
  errorMessage: 'must be an object { models, guardrail, retrieval }',
  'x-errors': {
    additionalProperties: 'unknown field of genai',
    required:
      "a 'genai' workload needs genai.models, the Bedrock models it invokes (e.g. ['anthropic.claude-3-haiku-20240307-v1:0']); got none",
  },
  additionalProperties: false,
  required: ['models'],
  properties: {
    models: {
      type: 'array',
      description: 'Bedrock model ids (foundation models or system inference profiles) the workload may invoke.',
      minItems: 1,
      errorMessage: 'must be a non-empty list of Bedrock model ids',
      'x-errors': { required: 'required: the Bedrock models the workload invokes, got none' },
      items: {
        type: 'string',
        pattern: pattern(FOUNDATION_MODEL_ID_PATTERN),
        errorMessage: `must be ${BEDROCK_MODEL_ID}`,
      },
    },
    guardrail: GENAI_GUARDRAIL,
    retrieval: {
      type: 'object',
      description:
        "Retrieval from the workload's own indexes (<workload>_*) of the platform's vector store (OpenSearch Serverless, VPC only, data key).",
      errorMessage: 'must be an object { knowledgeBase, embeddingModel }',
      'x-errors': { additionalProperties: 'unknown field of retrieval' },
      additionalProperties: false,
      properties: {
        knowledgeBase: {
          type: 'boolean',
          description:
            "A Bedrock knowledge base over the workload's data prefix, writing its own index. Default false.",
        },
        embeddingModel: {
          type: 'string',
          description: "The knowledge base's embedding model (default 'amazon.titan-embed-text-v2:0').",
          pattern: pattern(FOUNDATION_MODEL_ID_PATTERN),
          errorMessage: "must be a Bedrock foundation-model id such as 'amazon.titan-embed-text-v2:0'",
        },
      },
    },
  },
};

const ofKind = (kind: string, then: SchemaNode): SchemaNode => ({
  if: { properties: { kind: { const: kind } }, required: ['kind'] },
  then,
});

const WORKLOAD: SchemaNode = {
  type: 'object',
  description: 'One workload: its own stack, role and compute.',
  errorMessage: 'must be an object',
  additionalProperties: false,
  required: ['name', 'kind'],
  properties: {
    name: {
      type: 'string',
      description: `Unique name; names the stack, the role, the data prefix and (realtime-inference) the SageMaker endpoint. No '--' and no trailing '-' when it has an image repository; at most ${REALTIME_NAME_MAX} characters for a realtime-inference workload exposed to people with the default platformName, fewer with a longer one (the validator says how many).`,
      pattern: pattern(WORKLOAD_NAME_PATTERN),
      errorMessage: "must be 2-32 lower-case letters, digits and '-', starting with a letter",
    },
    kind: {
      enum: [...WORKLOAD_KINDS],
      description:
        'realtime-inference: a SageMaker endpoint; batch: a GPU fleet (EC2); agent: a Lambda-run caller with no compute of its own; genai: a Lambda-run caller of Bedrock models, through its own guardrail, with optional retrieval.',
    },
    description: {
      type: 'string',
      description: 'What it is for (it becomes the IAM role description and shows in the review report).',
      pattern: '^[\\x20-\\x7E\\xA1-\\xFF]{1,256}$',
      errorMessage: 'must be 1-256 printable Latin-1 characters on one line (it becomes the IAM role description)',
    },
    instanceType: {
      type: 'string',
      description:
        "GPU instance type: SageMaker (ml.*) for 'realtime-inference', EC2 for 'batch', none for 'agent'. Accelerated families only.",
    },
    invokes: {
      type: 'array',
      description: "Names of the 'realtime-inference' workloads this one may call.",
      default: [],
      errorMessage: 'must be a list',
      items: { type: 'string', errorMessage: 'must be a workload name' },
    },
    compute: {
      type: 'object',
      description:
        "'realtime-inference': imageDigest or imageUri, model, minInstances, maxInstances; 'batch': minInstances, maxInstances, amiId.",
    },
    genai: {
      type: 'object',
      description: "'genai': the Bedrock models it invokes, its guardrail and its retrieval.",
    },
  },
  allOf: [
    ofKind('realtime-inference', {
      required: ['instanceType', 'compute'],
      properties: {
        instanceType: {
          type: 'string',
          pattern: pattern(SAGEMAKER_INSTANCE_TYPE_PATTERN),
          errorMessage: "a 'realtime-inference' workload needs a SageMaker GPU instance type such as 'ml.g5.xlarge'",
        },
        compute: REALTIME_COMPUTE,
        genai: { not: {}, errorMessage: "only a 'genai' workload has a genai section; remove it" },
      },
    }),
    ofKind('batch', {
      required: ['instanceType'],
      properties: {
        instanceType: {
          type: 'string',
          pattern: pattern(EC2_INSTANCE_TYPE_PATTERN),
          errorMessage: "a 'batch' workload needs an EC2 GPU instance type such as 'g5.2xlarge'",
        },
        compute: BATCH_COMPUTE,
        genai: { not: {}, errorMessage: "only a 'genai' workload has a genai section; remove it" },
      },
    }),
    ofKind('agent', {
      properties: {
        instanceType: { not: {}, errorMessage: "an 'agent' workload runs without an instance type; remove it" },
        compute: { not: {}, errorMessage: "an 'agent' workload has no compute; remove it" },
        genai: { not: {}, errorMessage: "only a 'genai' workload has a genai section; remove it" },
      },
    }),
    ofKind('genai', {
      required: ['genai'],
      properties: {
        instanceType: {
          not: {},
          errorMessage: "a 'genai' workload runs without an instance type (Bedrock serves its models); remove it",
        },
        compute: { not: {}, errorMessage: "a 'genai' workload has no compute (Bedrock serves its models); remove it" },
        genai: GENAI,
      },
    }),
  ],
};

const THROTTLE = (what: string, defaults?: { rateLimit: number; burstLimit: number }): Record<string, SchemaNode> => ({
  rateLimit: {
    type: 'number',
    description: `${what}: steady requests per second (> 0).`,
    exclusiveMinimum: 0,
    errorMessage: 'must be a number of requests per second greater than 0',
    ...(defaults ? { default: defaults.rateLimit } : {}),
  },
  burstLimit: {
    type: 'integer',
    description: `${what}: burst, in requests (an integer >= rateLimit).`,
    minimum: 1,
    errorMessage: 'must be a positive integer',
    ...(defaults ? { default: defaults.burstLimit } : {}),
  },
});

const API_CLIENT: SchemaNode = {
  type: 'object',
  description: 'A usage plan and API key for one calling workload.',
  errorMessage: 'must be an object',
  additionalProperties: false,
  required: ['caller', 'rateLimit', 'burstLimit', 'quotaLimit', 'quotaPeriod'],
  properties: {
    caller: {
      type: 'string',
      description: 'A workload that `invokes` an exposed workload.',
      errorMessage: 'must name a workload that invokes an exposed workload',
    },
    ...THROTTLE('The client'),
    quotaLimit: {
      type: 'integer',
      description: 'Requests per quota period.',
      minimum: 1,
      errorMessage: 'must be a positive integer of requests per period',
    },
    quotaPeriod: { enum: [...QUOTA_PERIODS], description: 'DAY, WEEK or MONTH.' },
    keyVersion: integer(1, 1_000_000, {
      description:
        'Version of the API key (default 1). Raise it to replace the key: a new value is generated in the secret `<platformName>/api-clients/<caller>`.',
    }),
  },
};

/** The `api` section; its defaults are `DEFAULT_API_CONFIG`. */
export const API_SCHEMA: SchemaNode = {
  type: 'object',
  description:
    'The API front door to the models: a private machine API for declared callers (IAM) and a regional people API (Cognito), both behind WAF.',
  additionalProperties: false,
  properties: {
    expose: {
      type: 'array',
      description: 'Realtime-inference workloads exposed through the API (default: all of them).',
      errorMessage: 'must be a list of workload names',
      items: { type: 'string', errorMessage: 'must name a realtime-inference workload' },
    },
    stageName: {
      type: 'string',
      description: 'Stage name.',
      pattern: '^[A-Za-z0-9_]{1,128}$',
      errorMessage: "must be 1-128 letters, digits or '_'",
      default: 'live',
    },
    throttle: {
      type: 'object',
      description: 'Stage-wide throttling.',
      default: { rateLimit: 50, burstLimit: 100 },
      additionalProperties: false,
      required: ['rateLimit', 'burstLimit'],
      properties: THROTTLE('The stage'),
    },
    maxPromptChars: integer(1, MAX_PROMPT_CHARS, {
      description: 'Longest prompt admitted, in characters; sizes the request schema and the WAF body limit.',
      errorMessage: `must be an integer from 1 to ${MAX_PROMPT_CHARS} (it sizes the WAF body limit, which must be > 0 and at most 64 KB)`,
      default: 8000,
    }),
    rateLimitPerIp: integer(10, 2_000_000_000, {
      description:
        "Requests one client IP may make in 5 minutes before WAF blocks it (on the machine API, raised to the busiest client's usage-plan rate over the window).",
      default: 1000,
    }),
    machineEndpointType: {
      enum: ['regional', 'private'],
      description:
        'private: only through the execute-api interface endpoint in the platform VPC; regional: from the internet. Behind WAF either way.',
      default: 'private',
    },
    people: {
      type: 'boolean',
      description: 'People reach each exposed model through a second, regional API behind WAF, with Cognito.',
      default: true,
    },
    clients: {
      type: 'array',
      description: 'Usage plans with API keys, one per calling workload.',
      default: [],
      items: API_CLIENT,
    },
  },
};

const arnList = (description: string, allowed: string, re: string): SchemaNode => ({
  type: 'array',
  description,
  minItems: 1,
  errorMessage: `must be a non-empty list of ${allowed}`,
  items: { type: 'string', pattern: re, errorMessage: `must be ${allowed}` },
});

/** The `modelIntegrity` section. */
export const MODEL_INTEGRITY_SCHEMA: SchemaNode = {
  type: 'object',
  description: 'Who signs models and who else may verify them.',
  additionalProperties: false,
  properties: {
    signerPrincipalArns: arnList(
      'Principals that may assume the signer role (the release pipeline), by ARN or pattern (default: roles under the path /release/).',
      SIGNER_ARN,
      '^arn:aws[a-z-]*:iam::\\d{12}:(role|user)\\/[\\w+=,.@/-]+\\*?$',
    ),
    verifierRoleArns: arnList(
      'Roles that may verify signatures and read the public key, besides the admission gate (default: none).',
      VERIFIER_ARN,
      '^arn:aws[a-z-]*:iam::\\d{12}:role\\/[\\w+=,.@/-]+$',
    ),
    allowBundlesWithoutSubject: {
      type: 'boolean',
      description: 'Admit bundles signed without --subject (they can be replayed under any workload). Default false.',
    },
  },
};

const ACCOUNT_ID: SchemaNode = {
  type: 'string',
  description: 'A 12-digit account id; quote it in YAML.',
  pattern: '^\\d{12}$',
  errorMessage: 'must be a 12-digit AWS account id',
};

const REGION: SchemaNode = {
  type: 'string',
  description: 'An AWS region code.',
  pattern: '^[a-z]{2}(-gov)?-[a-z]+-\\d$',
  errorMessage: "must be an AWS region such as 'eu-west-1'",
};

const DELIVERY_SCHEMA: SchemaNode = {
  type: 'object',
  description:
    'Multi-account delivery: `npx cdk synth` builds a CDK Pipelines pipeline in the tooling account instead of the platform, with one stage per environment.',
  additionalProperties: false,
  properties: {
    pipeline: {
      type: 'object',
      description:
        'The pipeline: source from a CodeConnections connection (no secret in the repository), the policy review before every promotion, a manual approval before production.',
      additionalProperties: false,
      required: ['connectionArn', 'repository', 'branch', 'toolingAccount', 'region', 'environments'],
      properties: {
        connectionArn: {
          type: 'string',
          description: 'ARN of the CodeStar Connections / CodeConnections connection to the repository host.',
          pattern:
            '^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\\d{12}:connection\\/[0-9a-f-]{36}$',
          errorMessage:
            "must be a connection ARN such as 'arn:aws:codeconnections:eu-west-1:111122223333:connection/<uuid>'",
          'x-errors': { required: 'required: the ARN of the CodeConnections connection to the repository, got none' },
        },
        repository: {
          type: 'string',
          description: "The repository as 'owner/name'.",
          pattern: '^[A-Za-z0-9_.-]+\\/[A-Za-z0-9_.-]+$',
          errorMessage: "must be 'owner/name'",
          'x-errors': { required: "required: the repository as 'owner/name', got none" },
        },
        branch: {
          type: 'string',
          description: 'The branch the pipeline delivers.',
          pattern: '^[\\w./-]{1,255}$',
          errorMessage: 'must be a branch name',
          'x-errors': { required: 'required: the branch the pipeline delivers, got none' },
        },
        toolingAccount: {
          ...ACCOUNT_ID,
          description: 'The account the pipeline runs in. A 12-digit account id; quote it in YAML.',
          'x-errors': { required: 'required: the 12-digit id of the tooling account, got none' },
        },
        region: {
          ...REGION,
          description: "The pipeline's region.",
          'x-errors': { required: "required: the pipeline's region, got none" },
        },
        environments: {
          type: 'array',
          description:
            'The environments, in promotion order: one stage each; production last, after a manual approval.',
          minItems: 1,
          errorMessage: 'must be a non-empty list',
          'x-errors': { required: 'required: the environments to deliver to, got none' },
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'account', 'region', 'profile'],
            properties: {
              name: {
                enum: [...DELIVERY_ENVIRONMENT_NAMES],
                description: 'dev, staging or production.',
                'x-errors': { required: 'required: dev, staging or production, got none' },
              },
              account: { ...ACCOUNT_ID, 'x-errors': { required: 'required: a 12-digit account id, got none' } },
              region: { ...REGION, 'x-errors': { required: "required: a region such as 'eu-west-1', got none" } },
              profile: {
                enum: [...PROFILES],
                description:
                  "The platform profile deployed to this environment ('production' turns on the account-level controls).",
                'x-errors': { required: 'required: dev or production, got none' },
              },
            },
          },
        },
      },
    },
  },
};

/** The platform configuration. */
export const PLATFORM_CONFIG_SCHEMA: SchemaNode = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Zero-trust AI platform configuration',
  description:
    'What `npx cdk synth -c config=platform.yaml` builds. Every field is optional but workloads of your own; omitted fields take their defaults.',
  type: 'object',
  additionalProperties: false,
  properties: {
    platformName: {
      type: 'string',
      description:
        "Prefix of stack names, bucket names, key aliases, role names and the boundary name. Not 'aws', no '--', no trailing '-', and none of S3's reserved prefixes (xn--, sthree-, amzn-s3-demo-).",
      pattern: '^[a-z][a-z0-9-]{1,19}$',
      errorMessage: "must be 2-20 lower-case letters, digits and '-', starting with a letter",
      default: 'ztai',
    },
    profile: {
      enum: [...PROFILES],
      description: 'production turns on the account-level controls (threat detection, malware scanning, Guard hook).',
      default: 'dev',
    },
    env: {
      type: 'object',
      description: 'Deploy to this account and region; omit for environment-agnostic templates.',
      additionalProperties: false,
      properties: {
        account: {
          type: 'string',
          description: 'A 12-digit account id; quote it in YAML.',
          pattern: '^\\d{12}$',
          errorMessage: 'must be a 12-digit AWS account id',
        },
        region: {
          type: 'string',
          description: 'An AWS region code.',
          pattern: '^[a-z]{2}(-gov)?-[a-z]+-\\d$',
          errorMessage: "must be an AWS region such as 'eu-west-1'",
        },
      },
    },
    network: NETWORK,
    logRetentionDays: {
      enum: LOG_RETENTION_DAYS,
      description: 'Retention of every log group, in days (a value CloudWatch Logs accepts).',
      default: 365,
    },
    adminPrincipalArns: {
      type: 'array',
      description:
        'Break-glass roles that may reach platform buckets from outside the S3 gateway endpoint (ARNs or ARN patterns).',
      default: [],
      errorMessage: 'must be a list',
      items: {
        type: 'string',
        pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role\\/[\\w+=,.@\\-/*]+$',
        errorMessage: `must be ${ROLE_ARN}`,
        allOf: [
          {
            not: { type: 'string', pattern: ':role\\/\\*' },
            errorMessage:
              "must name the break-glass roles (a wildcard may follow a fixed name or path), not 'role/*', which exempts every role of the account",
          },
        ],
      },
    },
    workloads: {
      type: 'array',
      description:
        'The workloads; a config file must list them (only the embedded default, used without a config file, has the four reference workloads).',
      errorMessage: 'must be a list',
      'x-errors': { minItems: 'must list at least one workload' },
      minItems: 1,
      default: REFERENCE_WORKLOADS,
      items: WORKLOAD,
    },
    api: API_SCHEMA,
    modelIntegrity: MODEL_INTEGRITY_SCHEMA,
    guardHookFailureMode: {
      enum: [...GUARD_HOOK_FAILURE_MODES],
      description:
        'Production profile only: warn records a failing stack in the stack events and lets it deploy (to observe before enforcing). Default fail.',
    },
    delivery: DELIVERY_SCHEMA,
  },
};
