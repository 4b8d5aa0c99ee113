import { Annotations, Aws, Names, Stack, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { createHash } from 'crypto';
import { describeValue, PlatformValidationError } from '../private/validation';
import { BedrockModel, modelResourceArns } from './bedrock-model';
import * as perms from './private/genai-perms';

/** How strongly a guardrail filter acts: `HIGH` blocks the most (Bedrock `GuardrailFilterStrength`). */
export const FILTER_STRENGTHS = ['NONE', 'LOW', 'MEDIUM', 'HIGH'] as const;
export type FilterStrength = (typeof FILTER_STRENGTHS)[number];

/** The harmful-content categories of a guardrail's content filters (besides the prompt-attack filter). */
export const CONTENT_FILTER_TYPES = ['hate', 'insults', 'sexual', 'violence', 'misconduct'] as const;
export type ContentFilterType = (typeof CONTENT_FILTER_TYPES)[number];

/** What the sensitive-information filter does with a detected entity: mask it, or block the request or response. */
export const SENSITIVE_INFORMATION_ACTIONS = ['ANONYMIZE', 'BLOCK'] as const;
export type SensitiveInformationAction = (typeof SENSITIVE_INFORMATION_ACTIONS)[number];

/**
 * The PII entity types a guardrail's sensitive-information filter detects (AWS::Bedrock::Guardrail
 * PiiEntityConfig `Type`, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-bedrock-guardrail-piientityconfig.html).
 */
export const PII_ENTITY_TYPES = [
  'ADDRESS',
  'AGE',
  'AWS_ACCESS_KEY',
  'AWS_SECRET_KEY',
  'CA_HEALTH_NUMBER',
  'CA_SOCIAL_INSURANCE_NUMBER',
  'CREDIT_DEBIT_CARD_CVV',
  'CREDIT_DEBIT_CARD_EXPIRY',
  'CREDIT_DEBIT_CARD_NUMBER',
  'DRIVER_ID',
  'EMAIL',
  'INTERNATIONAL_BANK_ACCOUNT_NUMBER',
  'IP_ADDRESS',
  'LICENSE_PLATE',
  'MAC_ADDRESS',
  'NAME',
  'PASSWORD',
  'PHONE',
  'PIN',
  'SWIFT_CODE',
  'UK_NATIONAL_HEALTH_SERVICE_NUMBER',
  'UK_NATIONAL_INSURANCE_NUMBER',
  'UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER',
  'URL',
  'USERNAME',
  'US_BANK_ACCOUNT_NUMBER',
  'US_BANK_ROUTING_NUMBER',
  'US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER',
  'US_PASSPORT_NUMBER',
  'US_SOCIAL_SECURITY_NUMBER',
  'VEHICLE_IDENTIFICATION_NUMBER',
] as const;
export type PiiEntityType = (typeof PII_ENTITY_TYPES)[number];

/** Content filter strengths, by category. */
export type ContentFilters = { readonly [K in ContentFilterType]?: FilterStrength };

/** The sensitive-information (PII) filter. */
export interface SensitiveInformationFilter {
  /** What to do with a detected entity. */
  readonly action: SensitiveInformationAction;
  /** The entity types to detect; at least one. */
  readonly entities: readonly PiiEntityType[];
}

/** A topic the guardrail refuses, in input and output. */
export interface DeniedTopic {
  /** 1-100 letters, digits, spaces and `-_!?.`. */
  readonly name: string;
  /** What the topic is, 1-200 characters. */
  readonly definition: string;
  /** Up to five example phrases, 1-100 characters each. @default - none */
  readonly examples?: readonly string[];
}

/** The values a `BedrockGuardrail` takes for props that are not given: every filter at its strictest. */
export interface BedrockGuardrailDefaults {
  readonly promptAttack: FilterStrength;
  readonly contentFilters: Required<ContentFilters>;
  readonly sensitiveInformation: SensitiveInformationFilter;
  readonly blockedInputMessaging: string;
  readonly blockedOutputsMessaging: string;
}

/** The guardrail's secure defaults (a pure function: the config and the construct share them). */
export function bedrockGuardrailDefaults(): BedrockGuardrailDefaults {
  return {
    promptAttack: 'HIGH',
    contentFilters: { hate: 'HIGH', insults: 'HIGH', sexual: 'HIGH', violence: 'HIGH', misconduct: 'HIGH' },
    sensitiveInformation: {
      action: 'ANONYMIZE',
      entities: [
        'EMAIL',
        'PHONE',
        'US_SOCIAL_SECURITY_NUMBER',
        'CREDIT_DEBIT_CARD_NUMBER',
        'AWS_ACCESS_KEY',
        'AWS_SECRET_KEY',
        'PASSWORD',
      ],
    },
    blockedInputMessaging: 'This request was blocked by the platform guardrail.',
    blockedOutputsMessaging: 'The response was blocked by the platform guardrail.',
  };
}

export interface BedrockGuardrailProps {
  /** The customer key the guardrail is encrypted with (`KmsKeyArn`). */
  readonly encryptionKey: kms.IKey;
  /** 1-50 letters, digits, '-' and '_'. @default - derived from the construct path */
  readonly guardrailName?: string;
  /** What the guardrail is for. @default 'Zero-trust AI platform guardrail' */
  readonly description?: string;
  /**
   * Strength of the prompt-attack (jailbreak, prompt-injection) filter on input. Bedrock applies it to
   * input only; its output strength is always NONE.
   * @default 'HIGH'
   */
  readonly promptAttack?: FilterStrength;
  /**
   * TURNS OFF PROMPT-ATTACK FILTERING: required for `promptAttack: 'NONE'` (warns).
   * @default false
   */
  readonly allowNoPromptAttackFilter?: boolean;
  /** Content filter strengths (input and output), by category; a category left out stays HIGH. @default every category HIGH */
  readonly contentFilters?: ContentFilters;
  /** The sensitive-information filter. @default ANONYMIZE of email, phone, SSN, card number, AWS keys, passwords */
  readonly sensitiveInformation?: SensitiveInformationFilter;
  /** Topics the guardrail refuses. @default - none */
  readonly deniedTopics?: readonly DeniedTopic[];
  /** Returned instead of a blocked prompt. @default a platform message */
  readonly blockedInputMessaging?: string;
  /** Returned instead of a blocked response. @default a platform message */
  readonly blockedOutputsMessaging?: string;
  /**
   * Also enforce this guardrail (its published version) on every model invocation of the account and
   * Region, whatever the request says (`AWS::Bedrock::EnforcedGuardrailConfiguration`). Account-wide:
   * it binds principals outside the platform too.
   * @default false
   */
  readonly enforceOnAccount?: boolean;
}

/**
 * A Bedrock guardrail with its published version: encrypted with a customer key, a prompt-attack
 * filter on input, content filters, a sensitive-information filter and denied topics, all strict by
 * default; every loosening is explicit and warns. `grantInvoke()` lets a principal invoke named
 * models through it; `identifier` is the value of `bedrock:GuardrailIdentifier` a request that uses
 * the published version carries (its ARN, a colon and the version), which the permissions boundary
 * requires (`PlatformPermissionsBoundary.requireGuardrailForModelInvocation`).
 */
export class BedrockGuardrail extends Construct {
  public readonly guardrail: bedrock.CfnGuardrail;
  public readonly version: bedrock.CfnGuardrailVersion;
  /** The guardrail's ARN (without a version). */
  public readonly guardrailArn: string;
  public readonly guardrailId: string;
  /** The published version number requests name (`guardrailVersion`). */
  public readonly guardrailVersion: string;
  public readonly encryptionKey: kms.IKey;
  /** The account-level enforcement, with `enforceOnAccount`. */
  public readonly enforcement?: bedrock.CfnEnforcedGuardrailConfiguration;

  constructor(scope: Construct, id: string, props: BedrockGuardrailProps) {
    super(scope, id);
    const defaults = bedrockGuardrailDefaults();
    const promptAttack = props.promptAttack ?? defaults.promptAttack;
    const content: Required<ContentFilters> = { ...defaults.contentFilters, ...(props.contentFilters ?? {}) };
    const pii = props.sensitiveInformation ?? defaults.sensitiveInformation;
    const topics = props.deniedTopics ?? [];
    const name = props.guardrailName ?? Names.uniqueResourceName(this, { maxLength: 50, separator: '-' });
    const blockedInput = props.blockedInputMessaging ?? defaults.blockedInputMessaging;
    const blockedOutput = props.blockedOutputsMessaging ?? defaults.blockedOutputsMessaging;
    const problems = [
      ...this.validateFilters(props, promptAttack, content),
      ...validateSensitiveInformation(pii),
      ...validateDeniedTopics(topics),
      ...validateName(name),
      ...validateMessage('blockedInputMessaging', blockedInput),
      ...validateMessage('blockedOutputsMessaging', blockedOutput),
    ];
    if (problems.length > 0) throw new PlatformValidationError(this, problems.join('; '));
    this.warnOnLoosening(promptAttack, content);

    this.encryptionKey = props.encryptionKey;
    const guardrailProps: bedrock.CfnGuardrailProps = {
      name,
      description: props.description ?? 'Zero-trust AI platform guardrail',
      kmsKeyArn: props.encryptionKey.keyArn,
      blockedInputMessaging: blockedInput,
      blockedOutputsMessaging: blockedOutput,
      contentPolicyConfig: {
        filtersConfig: [
          // Bedrock filters prompt attacks on input only: the output strength must be NONE.
          ...(promptAttack === 'NONE'
            ? []
            : [{ type: 'PROMPT_ATTACK', inputStrength: promptAttack, outputStrength: 'NONE' }]),
          ...CONTENT_FILTER_TYPES.filter((t) => content[t] !== 'NONE').map((t) => ({
            type: t.toUpperCase(),
            inputStrength: content[t],
            outputStrength: content[t],
          })),
        ],
      },
      sensitiveInformationPolicyConfig: {
        piiEntitiesConfig: pii.entities.map((type) => ({ type, action: pii.action })),
      },
      topicPolicyConfig:
        topics.length > 0
          ? {
              topicsConfig: topics.map((t) => ({
                name: t.name,
                definition: t.definition,
                type: 'DENY',
                ...(t.examples && t.examples.length > 0 ? { examples: [...t.examples] } : {}),
              })),
            }
          : undefined,
    };
    this.guardrail = new bedrock.CfnGuardrail(this, 'Resource', guardrailProps);
    // A version is a snapshot: a new one is published whenever the configuration changes (its
    // description carries a digest of the configuration, and a changed description replaces it).
    const digest = createHash('sha256')
      .update(JSON.stringify(Stack.of(this).resolve({ ...guardrailProps, kmsKeyArn: undefined })))
      .digest('hex')
      .slice(0, 16);
    this.version = new bedrock.CfnGuardrailVersion(this, 'Version', {
      guardrailIdentifier: this.guardrail.attrGuardrailId,
      description: `Published by the platform; configuration ${digest}`,
    });
    this.guardrailArn = this.guardrail.attrGuardrailArn;
    this.guardrailId = this.guardrail.attrGuardrailId;
    this.guardrailVersion = this.version.attrVersion;

    this.allowKeyUseThroughBedrock(props.encryptionKey);
    if (props.enforceOnAccount) {
      this.enforcement = new bedrock.CfnEnforcedGuardrailConfiguration(this, 'AccountEnforcement', {
        guardrailIdentifier: this.guardrailArn,
        guardrailVersion: this.guardrailVersion,
      });
    }
  }

  /**
   * The value of the `bedrock:GuardrailIdentifier` condition key on a request that applies the
   * published version: `<guardrail ARN>:<version>`
   * (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html, example 1).
   */
  public get identifier(): string {
    return `${this.guardrailArn}:${this.guardrailVersion}`;
  }

  /**
   * Let `grantee` invoke these models (InvokeModel and Converse, InvokeModelWithResponseStream and
   * ConverseStream) on their ARNs only, through this guardrail only: an explicit deny in the grantee's
   * own policy refuses any invocation of these models whose `bedrock:GuardrailIdentifier` is not this
   * guardrail's published version (`identifier`), so another approved guardrail (another workload's)
   * does not do. It may also apply this guardrail and decrypt it with its key. The permissions boundary
   * (`PlatformPermissionsBoundary.requireGuardrailForModelInvocation`) denies, for every role, any
   * invocation naming no approved guardrail.
   *
   * Requests name the guardrail by `guardrailIdentifier` (its ARN or id) and `guardrailVersion`
   * (`guardrailVersion`); the condition key carries `<ARN>:<version>`
   * (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html, example 1).
   * A role granted the same model through two guardrails can invoke it through neither (fail closed).
   */
  public grantInvoke(grantee: iam.IGrantable, ...models: BedrockModel[]): iam.Grant {
    if (models.length === 0) {
      throw new PlatformValidationError(this, 'grantInvoke: name at least one model, got none');
    }
    const resourceArns = modelResourceArns(models);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: perms.BEDROCK_DENY_WITHOUT_GUARDRAIL,
        resources: resourceArns,
        // An ARN-typed key (Service Authorization Reference for Amazon Bedrock), hence the ARN operator.
        conditions: { ArnNotEquals: { 'bedrock:GuardrailIdentifier': this.identifier } },
      }),
    );
    return iam.Grant.addToPrincipal({
      grantee,
      actions: perms.BEDROCK_INVOKE,
      resourceArns,
    })
      .combine(this.grantApply(grantee))
      .combine(
        iam.Grant.addToPrincipal({
          grantee,
          actions: perms.GUARDRAIL_KEY_USE,
          resourceArns: [this.encryptionKey.keyArn],
        }),
      );
  }

  /** Let `grantee` evaluate content with this guardrail (`bedrock:ApplyGuardrail`). */
  public grantApply(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: perms.BEDROCK_APPLY_GUARDRAIL,
      resourceArns: [this.guardrailArn],
    });
  }

  private validateFilters(
    props: BedrockGuardrailProps,
    promptAttack: FilterStrength,
    content: Required<ContentFilters>,
  ): string[] {
    const problems: string[] = [];
    if (!FILTER_STRENGTHS.includes(promptAttack)) {
      problems.push(`promptAttack must be one of ${FILTER_STRENGTHS.join(', ')}, got ${describeValue(promptAttack)}`);
    } else if (promptAttack === 'NONE' && !props.allowNoPromptAttackFilter) {
      problems.push(
        "promptAttack is 'NONE', which turns off prompt-attack filtering; set allowNoPromptAttackFilter: true to accept that, or use LOW, MEDIUM or HIGH",
      );
    }
    for (const key of Object.keys(props.contentFilters ?? {})) {
      if (!(CONTENT_FILTER_TYPES as readonly string[]).includes(key)) {
        problems.push(`contentFilters.${key} is not a content filter; allowed: ${CONTENT_FILTER_TYPES.join(', ')}`);
      }
    }
    for (const t of CONTENT_FILTER_TYPES) {
      if (!FILTER_STRENGTHS.includes(content[t])) {
        problems.push(
          `contentFilters.${t} must be one of ${FILTER_STRENGTHS.join(', ')}, got ${describeValue(content[t])}`,
        );
      }
    }
    if (CONTENT_FILTER_TYPES.every((t) => content[t] === 'NONE')) {
      problems.push(
        `contentFilters: every content filter is NONE (${CONTENT_FILTER_TYPES.join(', ')}), an empty filter set; keep at least one at LOW, MEDIUM or HIGH`,
      );
    }
    return problems;
  }

  private warnOnLoosening(promptAttack: FilterStrength, content: Required<ContentFilters>): void {
    if (promptAttack === 'NONE') {
      Annotations.of(this).addWarningV2(
        'ztai:guardrail-no-prompt-attack-filter',
        'allowNoPromptAttackFilter is true: the guardrail does not filter prompt attacks (jailbreaks, prompt injection).',
      );
    } else if (promptAttack !== 'HIGH') {
      Annotations.of(this).addWarningV2(
        'ztai:guardrail-prompt-attack-lowered',
        `promptAttack is ${promptAttack}: prompt attacks are filtered below the strictest strength (HIGH).`,
      );
    }
    const lowered = CONTENT_FILTER_TYPES.filter((t) => content[t] !== 'HIGH');
    if (lowered.length > 0) {
      Annotations.of(this).addWarningV2(
        'ztai:guardrail-content-filters-lowered',
        `content filters below HIGH: ${lowered.map((t) => `${t}=${content[t]}`).join(', ')}.`,
      );
    }
  }

  /**
   * The key policy lets principals of this account use the key through Bedrock only (kms:ViaService),
   * which is how Bedrock encrypts the guardrail for CloudFormation and decrypts it for its users.
   * An imported key's policy is its owner's: a warning gives the statement to add.
   */
  private allowKeyUseThroughBedrock(key: kms.IKey): void {
    const viaBedrock = {
      'kms:CallerAccount': Aws.ACCOUNT_ID,
      'kms:ViaService': `bedrock.${Aws.REGION}.amazonaws.com`,
    };
    const statements = [
      new iam.PolicyStatement({
        sid: 'GuardrailUseThroughBedrock',
        principals: [new iam.AccountRootPrincipal()],
        actions: perms.GUARDRAIL_KEY_CREATE.filter((a) => a !== 'kms:CreateGrant'),
        resources: ['*'],
        conditions: { StringEquals: viaBedrock },
      }),
      // Grants only for AWS resources: Bedrock creating the grant on the caller's behalf
      // (https://docs.aws.amazon.com/kms/latest/developerguide/grant-authorization.html).
      new iam.PolicyStatement({
        sid: 'GuardrailGrantsThroughBedrock',
        principals: [new iam.AccountRootPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { StringEquals: viaBedrock, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    ];
    const target = keyWithPolicy(key);
    if (target) {
      for (const statement of statements) target.addToResourcePolicy(statement);
      return;
    }
    Annotations.of(this).addWarningV2(
      'ztai:imported-key-guardrail',
      `the guardrail's key is imported: its policy must let this account use it through Bedrock: ${JSON.stringify(
        statements.map((st) => Stack.of(this).resolve(st.toStatementJson())),
      )}`,
    );
  }
}

/** The key whose policy this app writes (a `kms.Key`, or a construct wrapping one as `key`), if any. */
function keyWithPolicy(key: kms.IKey): kms.Key | undefined {
  if (key instanceof kms.Key) return key;
  const inner = (key as IConstruct & { key?: unknown }).key;
  return inner instanceof kms.Key ? inner : undefined;
}

function validateSensitiveInformation(pii: SensitiveInformationFilter): string[] {
  const problems: string[] = [];
  if (!SENSITIVE_INFORMATION_ACTIONS.includes(pii.action)) {
    problems.push(
      `sensitiveInformation.action must be one of ${SENSITIVE_INFORMATION_ACTIONS.join(', ')}, got ${describeValue(pii.action)}`,
    );
  }
  if (!Array.isArray(pii.entities) || pii.entities.length === 0) {
    problems.push(
      `sensitiveInformation.entities must list at least one PII entity type (an empty filter set), got ${describeValue(pii.entities)}`,
    );
  } else {
    const unknown = pii.entities.filter((e) => !(PII_ENTITY_TYPES as readonly string[]).includes(e));
    if (unknown.length > 0) {
      problems.push(
        `sensitiveInformation.entities: unknown PII entity type(s) ${describeValue(unknown)}; allowed: ${PII_ENTITY_TYPES.join(', ')}`,
      );
    }
  }
  return problems;
}

function validateDeniedTopics(topics: readonly DeniedTopic[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  topics.forEach((t, i) => {
    if (typeof t.name !== 'string' || !/^[0-9a-zA-Z_ !?.-]{1,100}$/.test(t.name)) {
      problems.push(
        `deniedTopics[${i}].name must be 1-100 letters, digits, spaces and -_!?., got ${describeValue(t.name)}`,
      );
    } else if (seen.has(t.name)) {
      problems.push(`deniedTopics[${i}].name '${t.name}' is repeated; topic names must be unique`);
    }
    seen.add(t.name);
    if (typeof t.definition !== 'string' || t.definition.length < 1 || t.definition.length > 200) {
      problems.push(`deniedTopics[${i}].definition must be 1-200 characters, got ${describeValue(t.definition)}`);
    }
    const examples = t.examples ?? [];
    if (examples.length > 5 || examples.some((e) => typeof e !== 'string' || e.length < 1 || e.length > 100)) {
      problems.push(
        `deniedTopics[${i}].examples must be at most 5 phrases of 1-100 characters, got ${describeValue(examples)}`,
      );
    }
  });
  return problems;
}

function validateName(name: string): string[] {
  if (Token.isUnresolved(name) || /^[0-9a-zA-Z_-]{1,50}$/.test(name)) return [];
  return [`guardrailName must be 1-50 letters, digits, '-' and '_', got ${describeValue(name)}`];
}

function validateMessage(field: string, message: string): string[] {
  if (typeof message === 'string' && message.length >= 1 && message.length <= 500) return [];
  return [`${field} must be 1-500 characters, got ${describeValue(message)}`];
}
