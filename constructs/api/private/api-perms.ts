/**
 * The action lists of the API front door, in one place (constructs/private/perms.ts holds the
 * platform-wide ones; the model endpoint's own `grantInvoke` grants `sagemaker:InvokeEndpoint`).
 */

/** Call a method of a REST API (the only action a caller is ever admitted for, on its own routes). */
export const API_INVOKE = ['execute-api:Invoke'];

/** The service principal API Gateway assumes integration roles with. */
export const APIGATEWAY_SERVICE = 'apigateway.amazonaws.com';

/**
 * Read an API client's key from its secret. `GetSecretValue` is the read itself (all the AWS CLI and
 * a plain SDK call make); the Secrets Manager caching clients also call `DescribeSecret` to see
 * whether the value changed ("Required permissions: secretsmanager:DescribeSecret,
 * secretsmanager:GetSecretValue", https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_cache-go.html).
 * DescribeSecret returns metadata only, never the value.
 */
export const API_KEY_SECRET_READ = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];

/** The one action the secret's resource policy reserves to the client (and the deploying role): reading the value. */
export const API_KEY_SECRET_VALUE = ['secretsmanager:GetSecretValue'];

/**
 * Decrypting the secret with its customer-managed key, which Secrets Manager does with the caller's
 * permissions (`kms:ViaService` secretsmanager.<region>.amazonaws.com):
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 */
export const API_KEY_SECRET_DECRYPT = ['kms:Decrypt'];
