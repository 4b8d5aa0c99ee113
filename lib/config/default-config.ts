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
      description: 'Real-time GPU inference: scores transactions for fraud',
      instanceType: 'ml.g5.xlarge',
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
};
