import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import { VectorStore } from '../../../constructs/genai/vector-store';
import { describeRuleFile, fails, GuardFragment, passes } from '../../helpers/guard';

/**
 * The vector store's Guard rules (policy/guard/vector-store.guard), each with compliant and
 * non-compliant fragments, judged by the in-process validator, the standalone cfn-guard and the
 * Guard hook's bundle.
 */
const NO_PUBLIC = 'ZTAI_ISOLATION_AOSS_NO_PUBLIC_COLLECTION';
const CUSTOMER_KEY = 'ZTAI_ENCRYPTION_AOSS_CUSTOMER_KEY';
const COLLECTION_KEY = 'ZTAI_ENCRYPTION_AOSS_COLLECTION_KEY';

/** A VectorStore in an imported VPC (no VPC resources in the fragment). */
function store(stack: Stack, props: { allowBedrockKnowledgeBases?: boolean } = {}): VectorStore {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-12345678',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    isolatedSubnetIds: ['subnet-11111111', 'subnet-22222222'],
  });
  const encryptionKey = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  return new VectorStore(stack, 'Store', {
    collectionName: 'guarded',
    encryptionKey,
    vpc,
    subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ...props,
  });
}

function networkPolicy(stack: Stack, policy: unknown): aoss.CfnSecurityPolicy {
  return new aoss.CfnSecurityPolicy(stack, 'Net', {
    name: 'net',
    type: 'network',
    policy: typeof policy === 'string' ? policy : JSON.stringify(policy),
  });
}

function encryptionPolicy(stack: Stack, policy: unknown): aoss.CfnSecurityPolicy {
  return new aoss.CfnSecurityPolicy(stack, 'Enc', {
    name: 'enc',
    type: 'encryption',
    policy: typeof policy === 'string' ? policy : JSON.stringify(policy),
  });
}

const RULES = [{ ResourceType: 'collection', Resource: ['collection/c'] }];

const fragments: GuardFragment[] = [
  // ZTAI_ISOLATION_AOSS_NO_PUBLIC_COLLECTION
  passes(NO_PUBLIC, 'VectorStore: VPC endpoint only', (stack) => store(stack).networkPolicy),
  passes(NO_PUBLIC, 'VectorStore with Bedrock knowledge bases: VPC endpoint and bedrock.amazonaws.com', (stack) =>
    store(stack, { allowBedrockKnowledgeBases: true }),
  ),
  passes(NO_PUBLIC, 'literal policy, VPC endpoint only', (stack) =>
    networkPolicy(stack, [{ Rules: RULES, AllowFromPublic: false, SourceVPCEs: ['vpce-050f79086ee71ac05'] }]),
  ),
  fails(NO_PUBLIC, 'literal policy with AllowFromPublic true', (stack) =>
    networkPolicy(stack, [{ Rules: RULES, AllowFromPublic: true }]),
  ),
  fails(NO_PUBLIC, 'a public rule set beside a VPC rule set (public wins)', (stack) =>
    networkPolicy(stack, [
      { Rules: RULES, AllowFromPublic: false, SourceVPCEs: ['vpce-050f79086ee71ac05'] },
      { Rules: [{ ResourceType: 'dashboard', Resource: ['collection/c'] }], AllowFromPublic: true },
    ]),
  ),
  fails(NO_PUBLIC, 'negative control: VectorStore network policy overridden to public (Fn::Join)', (stack) => {
    const s = store(stack);
    const policy = stack.resolve(s.networkPolicy.policy) as { 'Fn::Join': [string, unknown[]] };
    const parts = policy['Fn::Join'][1].map((p) =>
      typeof p === 'string' ? p.replace('"AllowFromPublic":false', '"AllowFromPublic":true') : p,
    );
    s.networkPolicy.addPropertyOverride('Policy', { 'Fn::Join': ['', parts] });
    return s.networkPolicy;
  }),
  fails(NO_PUBLIC, 'a policy built with Fn::Sub cannot be read: fails closed', (stack) => {
    const p = networkPolicy(stack, '[]');
    p.addPropertyOverride('Policy', { 'Fn::Sub': '[{"AllowFromPublic":${Public}}]' });
    return p;
  }),

  // ZTAI_ENCRYPTION_AOSS_CUSTOMER_KEY
  passes(CUSTOMER_KEY, 'VectorStore: the customer key by ARN (Fn::Join)', (stack) => store(stack).encryptionPolicy),
  passes(CUSTOMER_KEY, 'literal policy naming a key ARN', (stack) =>
    encryptionPolicy(stack, {
      Rules: RULES,
      AWSOwnedKey: false,
      KmsARN: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    }),
  ),
  fails(CUSTOMER_KEY, 'literal policy with an AWS owned key', (stack) =>
    encryptionPolicy(stack, { Rules: RULES, AWSOwnedKey: true }),
  ),
  fails(CUSTOMER_KEY, 'negative control: VectorStore encryption policy overridden to an AWS owned key', (stack) => {
    const s = store(stack);
    s.encryptionPolicy.addPropertyOverride(
      'Policy',
      JSON.stringify({ Rules: [{ ResourceType: 'collection', Resource: ['collection/guarded'] }], AWSOwnedKey: true }),
    );
    return s.encryptionPolicy;
  }),
  fails(CUSTOMER_KEY, 'Fn::Join policy that says AWSOwnedKey true beside a key', (stack) => {
    const p = encryptionPolicy(stack, '{}');
    p.addPropertyOverride('Policy', {
      'Fn::Join': ['', ['{"Rules":[],"AWSOwnedKey":true,"KmsARN":"', { Ref: 'AWS::NoValue' }, '"}']],
    });
    return p;
  }),

  // ZTAI_ENCRYPTION_AOSS_COLLECTION_KEY
  passes(COLLECTION_KEY, 'VectorStore collection: no EncryptionConfig, the encryption policy decides', (stack) =>
    store(stack),
  ),
  passes(
    COLLECTION_KEY,
    'collection EncryptionConfig with a customer key',
    (stack) =>
      new aoss.CfnCollection(stack, 'C', {
        name: 'c1',
        type: 'VECTORSEARCH',
        encryptionConfig: {
          awsOwnedKey: false,
          kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      }),
  ),
  fails(
    COLLECTION_KEY,
    'collection EncryptionConfig with an AWS owned key',
    (stack) =>
      new aoss.CfnCollection(stack, 'C', { name: 'c1', type: 'VECTORSEARCH', encryptionConfig: { awsOwnedKey: true } }),
  ),
];

describeRuleFile('vector-store.guard', fragments);
