import { Aws, Token } from 'aws-cdk-lib';
import { PlatformValidationError } from '../private/validation';

/**
 * A foundation-model id as Bedrock names it: `<provider>.<model>[:<version>[:<variant>]]`, lower case,
 * e.g. `anthropic.claude-3-haiku-20240307-v1:0`, `amazon.titan-embed-text-v2:0`.
 */
export const FOUNDATION_MODEL_ID_PATTERN =
  /^[a-z][a-z0-9-]{1,31}\.[a-z0-9][a-z0-9.-]{0,99}(:\d{1,3}(:[a-z0-9]{1,16})?)?$/;

/** The geographic prefixes of system-defined (cross-Region) inference profiles, e.g. `us.`, `eu.`, `global.`. */
export const INFERENCE_PROFILE_PREFIXES = ['us', 'us-gov', 'eu', 'apac', 'ca', 'jp', 'au', 'global'] as const;

/** A system-defined inference profile id: a geographic prefix, then a foundation-model id (`us.anthropic.claude-3-haiku-20240307-v1:0`). */
export const INFERENCE_PROFILE_ID_PATTERN = new RegExp(
  `^(${INFERENCE_PROFILE_PREFIXES.join('|')})\\.(${FOUNDATION_MODEL_ID_PATTERN.source.slice(1, -1)})$`,
);

/**
 * A model the platform admits on Bedrock: a foundation model (in this Region), or a system-defined
 * inference profile that routes to that foundation model in several Regions.
 *
 * ARNs (Service Authorization Reference for Amazon Bedrock, resource types `foundation-model` and
 * `inference-profile`): a foundation model has no account, `arn:<partition>:bedrock:<region>::foundation-model/<id>`;
 * an inference profile has one, `arn:<partition>:bedrock:<region>:<account>:inference-profile/<id>`.
 * Invoking through a profile also needs the foundation model in every Region the profile routes to
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html), and those
 * Regions are not known at synth, so the profile's foundation model is admitted in any Region (`*`).
 */
export class BedrockModel {
  /**
   * A model by its id: a foundation-model id, or an inference-profile id (a geographic prefix such as
   * `us.`). Fails naming the id and the allowed form.
   */
  public static fromId(modelId: string): BedrockModel {
    if (Token.isUnresolved(modelId)) {
      throw new PlatformValidationError(undefined, 'BedrockModel.fromId: modelId must be a literal id, got a token');
    }
    const profile = INFERENCE_PROFILE_ID_PATTERN.exec(modelId);
    if (profile) return new BedrockModel(modelId, profile[2], true);
    if (FOUNDATION_MODEL_ID_PATTERN.test(modelId)) return new BedrockModel(modelId, modelId, false);
    throw new PlatformValidationError(
      undefined,
      `model id '${modelId}' is not a Bedrock model id: expected a foundation-model id '<provider>.<model>[:<version>]' ` +
        `such as 'anthropic.claude-3-haiku-20240307-v1:0', or an inference profile '<${INFERENCE_PROFILE_PREFIXES.join('|')}>.<foundation-model id>'`,
    );
  }

  private constructor(
    /** The id requests name (`modelId`). */
    public readonly modelId: string,
    /** The foundation model it runs. */
    public readonly foundationModelId: string,
    /** Whether the id is a system-defined inference profile. */
    public readonly isInferenceProfile: boolean,
  ) {}

  /** The ARN a request names: the foundation model's, or the inference profile's. */
  public get invokeArn(): string {
    return this.isInferenceProfile
      ? `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}:${Aws.ACCOUNT_ID}:inference-profile/${this.modelId}`
      : foundationModelArn(Aws.REGION, this.foundationModelId);
  }

  /** Every ARN a request for this model is authorized against (for an inference profile, its foundation model too). */
  public get resourceArns(): string[] {
    return this.isInferenceProfile
      ? [this.invokeArn, foundationModelArn('*', this.foundationModelId)]
      : [this.invokeArn];
  }
}

function foundationModelArn(region: string, id: string): string {
  return `arn:${Aws.PARTITION}:bedrock:${region}::foundation-model/${id}`;
}

/** The ARNs of several models, without repeats. */
export function modelResourceArns(models: readonly BedrockModel[]): string[] {
  return [...new Set(models.flatMap((m) => m.resourceArns))];
}
