import type { ApiClientConfig, WorkloadConfig } from './platform-config';

/**
 * The digest the embedded default configuration gives `fraud-scoring`: a documented placeholder.
 * The default config synthesizes without Docker or an account; deploying the endpoint needs a real
 * image pushed to the workload's repository and its digest here (`docker push`, then
 * `aws ecr describe-images --query 'imageDetails[0].imageDigest'`).
 */
export const PLACEHOLDER_IMAGE_DIGEST = `sha256:${'0'.repeat(64)}`;

/**
 * The reference workloads: the schema's default for `workloads`, so `npx cdk synth` with no config
 * file builds a platform with one workload of each kind.
 */
export const REFERENCE_WORKLOADS: readonly WorkloadConfig[] = [
  {
    name: 'fraud-scoring',
    kind: 'realtime-inference',
    description: 'Real-time accelerated inference: scores transactions for fraud',
    // Inferentia2: EBS-only, so the ML storage volume takes the models key (SageMaker refuses KmsKeyId
    // on instance types with local NVMe storage, such as ml.g5, whose storage is hardware-encrypted).
    instanceType: 'ml.inf2.xlarge',
    // The model the endpoint serves: approved/fraud-scoring/fraud-model/1/files/, written by the admission gate.
    compute: { imageDigest: PLACEHOLDER_IMAGE_DIGEST, model: { name: 'fraud-model', version: '1' } },
  },
  {
    name: 'doc-finetune',
    kind: 'batch',
    description: 'GPU batch fine-tuning of the document model',
    instanceType: 'g5.2xlarge',
  },
  {
    name: 'support-agent',
    kind: 'agent',
    description: 'Support agent that calls the fraud-scoring model',
    invokes: ['fraud-scoring'],
  },
  {
    name: 'support-assistant',
    kind: 'genai',
    description: 'Support assistant: answers from its own documents with a Bedrock model, through its guardrail',
    genai: {
      // Invoked through the bedrock-runtime interface endpoint, only with its own guardrail (the boundary
      // denies any invocation without an approved one).
      models: ['anthropic.claude-3-haiku-20240307-v1:0'],
      guardrail: {
        deniedTopics: [
          {
            name: 'Investment advice',
            definition: 'Recommendations on buying, selling or holding securities or other investments.',
            examples: ['Should I buy this stock?'],
          },
        ],
      },
      // Retrieves from its own indexes; a knowledge base reads workloads/support-assistant/ into support-assistant_kb.
      retrieval: { knowledgeBase: true },
    },
  },
];

/**
 * The API clients that come with the reference workloads (never alone: they name them): the support
 * agent gets its own usage plan and API key (so its IAM route also requires the key, x-api-key).
 */
export const REFERENCE_API_CLIENTS: readonly ApiClientConfig[] = [
  { caller: 'support-agent', rateLimit: 20, burstLimit: 40, quotaLimit: 500000, quotaPeriod: 'DAY' },
];
