// Retrieval: the encrypted, VPC-only vector store and the knowledge base that fills it.
export * from './vector-store';
export * from './knowledge-base';
