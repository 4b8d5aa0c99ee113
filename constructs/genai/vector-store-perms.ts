/**
 * Every permission the vector store and the knowledge base grant, in one place, so the
 * least-privilege surface of retrieval can be read without reading the constructs.
 *
 * Two layers decide a data-plane request to an OpenSearch Serverless collection:
 * - IAM: the one data-plane action, `aoss:APIAccessAll`, on the collection ARN (Service Authorization
 *   Reference, "Actions defined by Amazon OpenSearch Serverless":
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonopensearchserverless.html).
 *   IAM has no per-index action: it only says "this principal may speak to this collection at all".
 * - The collection's data-access policies (`AWS::OpenSearchServerless::AccessPolicy`, type `data`),
 *   evaluated by OpenSearch Serverless itself, not by IAM: they name principals and, per index
 *   pattern, the `aoss:*` permissions of
 *   https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-genref.html.
 */

/** The IAM action of every OpenSearch API call to a collection (identity policy, on the collection ARN). */
export const AOSS_DATA_PLANE = ['aoss:APIAccessAll'];

/**
 * What a workload may do in its own indexes (data-access policy, index rules): create and update its
 * indexes (`PUT <index>`, mappings), describe them, read (search) and write documents. No
 * `aoss:DeleteIndex`: an index is the workload's retained data, dropped by an administrator.
 * No collection-level permission: aliases, templates and pipelines (`aoss:*CollectionItems`) are
 * collection-wide objects another workload's indexes could be reached through.
 */
export const WORKLOAD_INDEX_PERMISSIONS = [
  'aoss:CreateIndex',
  'aoss:DescribeIndex',
  'aoss:ReadDocument',
  'aoss:UpdateIndex',
  'aoss:WriteDocument',
];

/**
 * What a Bedrock knowledge base's service role may do in its one index: the permissions Amazon
 * Bedrock documents for a knowledge base on OpenSearch Serverless
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/kb-create-security.html).
 */
export const KNOWLEDGE_BASE_INDEX_PERMISSIONS = ['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument'];

/**
 * A workload queries its own knowledge base (`Retrieve`: the passages, no generation; a generation
 * goes through the model invocation path and its guardrail).
 */
export const KNOWLEDGE_BASE_RETRIEVE = ['bedrock:Retrieve'];

/** A knowledge base embeds documents and queries with its embedding model. */
export const KNOWLEDGE_BASE_EMBEDDING = ['bedrock:InvokeModel'];

/**
 * What OpenSearch Serverless needs of a customer key, for the principal that creates the collection
 * (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-encryption.html,
 * "Key policy for a customer managed key"): it checks the key, then creates a grant
 * (GenerateDataKey, Decrypt) for the collection.
 */
export const AOSS_KEY_DESCRIBE = ['kms:DescribeKey'];
export const AOSS_KEY_CREATE_GRANT = ['kms:CreateGrant'];
