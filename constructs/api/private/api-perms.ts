/**
 * The action lists of the API front door, in one place (constructs/private/perms.ts holds the
 * platform-wide ones; the model endpoint's own `grantInvoke` grants `sagemaker:InvokeEndpoint`).
 */

/** Call a method of a REST API (the only action a caller is ever admitted for, on its own routes). */
export const API_INVOKE = ['execute-api:Invoke'];

/** The service principal API Gateway assumes integration roles with. */
export const APIGATEWAY_SERVICE = 'apigateway.amazonaws.com';
