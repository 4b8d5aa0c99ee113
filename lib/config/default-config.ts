import { PLACEHOLDER_IMAGE_DIGEST } from '../workloads/compute';
import { PlatformConfig } from './platform-config';

/**
 * The embedded default: what `npx cdk synth` builds with no config file. Environment-agnostic, so
 * it synthesizes without credentials or lookups.
 */
export const DEFAULT_PLATFORM_CONFIG: PlatformConfig = {
  platformName: 'ztai',
  profile: 'dev',
  network: {
    cidr: '10.40.0.0/16',
    maxAzs: 2,
    gpuTierCidrMask: 20,
    endpointsTierCidrMask: 24,
    dataTierCidrMask: 22,
    openInternetEgress: false,
  },
  logRetentionDays: 365,
  adminPrincipalArns: [],
  workloads: [
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
  ],
  // The API's defaults (lib/api-stack.ts DEFAULT_API_CONFIG), plus one metered client: the support
  // agent gets its own usage plan and API key (so its IAM route also requires the key, x-api-key).
  api: {
    clients: [{ caller: 'support-agent', rateLimit: 20, burstLimit: 40, quotaLimit: 500000, quotaPeriod: 'DAY' }],
  },
};
