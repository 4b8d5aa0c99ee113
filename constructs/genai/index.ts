// Retrieval: the encrypted, VPC-only vector store and the knowledge base that fills it.
export * from './vector-store';
export * from './knowledge-base';
// Bedrock: models reached privately, through the platform guardrail, with invocation logging.
export * from './bedrock-model';
export * from './bedrock-guardrail';
export * from './bedrock-endpoints';
export * from './model-invocation-logging';
