import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import { KnowledgeBase, KnowledgeBaseProps } from '../../../constructs/genai/knowledge-base';
import { VectorStore } from '../../../constructs/genai/vector-store';
import {
  KNOWLEDGE_BASE_INDEX_PERMISSIONS,
  WORKLOAD_INDEX_PERMISSIONS,
} from '../../../constructs/genai/vector-store-perms';
import { WorkloadIdentity } from '../../../constructs/identity/workload-identity';
import { WorkloadPrincipal } from '../../../constructs/identity/workload-principal';
import { PlatformKey } from '../../../constructs/keys/platform-key';
import { PlatformEndpoint } from '../../../constructs/network/platform-endpoint';
import { SegmentedNetwork, SubnetTier } from '../../../constructs/network/segmented-network';
import { EncryptedBucket } from '../../../constructs/storage/encrypted-bucket';
import { nagFindings } from '../../helpers/nag';
import { newApp } from '../../helpers/stacks';

const MODEL = 'amazon.titan-embed-text-v2:0';

function setup(options: { allowBedrock?: boolean } = {}) {
  const app = newApp();
  const platformStack = new Stack(app, 'Platform');
  const network = new SegmentedNetwork(platformStack, 'Network', {
    s3PrefixListId: 'pl-12345678',
    interfaceEndpoints: PlatformEndpoint.BASELINE,
  });
  const key = new PlatformKey(platformStack, 'DataKey');
  const dataBucket = new EncryptedBucket(platformStack, 'DataBucket', { encryptionKey: key });
  const store = new VectorStore(platformStack, 'VectorStore', {
    collectionName: 'ztai-rag',
    encryptionKey: key,
    vpc: network.vpc,
    subnets: network.tierSubnets(SubnetTier.DATA),
    allowBedrockKnowledgeBases: options.allowBedrock ?? true,
  });
  const workloads = new Stack(app, 'Workloads');
  const identity = new WorkloadIdentity(workloads, 'Identity', {
    workloadName: 'assistant',
    runsAs: WorkloadPrincipal.LAMBDA,
  });
  const indexAccess = store.grantIndex(identity);
  const kb = (props: Partial<KnowledgeBaseProps> = {}) =>
    new KnowledgeBase(workloads, 'KnowledgeBase', {
      store,
      workload: identity,
      indexAccess,
      dataBucket,
      embeddingModelId: MODEL,
      ...props,
    });
  return { app, platformStack, workloads, dataBucket, store, identity, indexAccess, key, kb };
}

/** A CloudFormation string value (literal or Fn::Join) as text, references written `<<...>>`. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(text).join(v['Fn::Join'][0]);
  if (v.Ref) return `<<Ref:${v.Ref}>>`;
  if (v['Fn::GetAtt']) return `<<GetAtt:${(v['Fn::GetAtt'] as string[]).join('.')}>>`;
  return `<<${JSON.stringify(v)}>>`;
}

const partitionRegion = (rest: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', { Ref: 'AWS::Region' }, rest]],
});

describe('KnowledgeBase', () => {
  test('a VECTOR knowledge base on the collection, index <workload>_kb, the embedding model from props and its field mapping', () => {
    const { workloads, kb } = setup();
    const knowledgeBase = kb();
    expect(knowledgeBase.indexName).toBe('assistant_kb');
    Template.fromStack(workloads).hasResourceProperties('AWS::Bedrock::KnowledgeBase', {
      Name: 'assistant-kb',
      RoleArn: { 'Fn::GetAtt': [workloads.getLogicalId(knowledgeBase.role.node.defaultChild as any), 'Arn'] },
      KnowledgeBaseConfiguration: {
        Type: 'VECTOR',
        VectorKnowledgeBaseConfiguration: {
          EmbeddingModelArn: partitionRegion(`::foundation-model/${MODEL}`),
          EmbeddingModelConfiguration: { BedrockEmbeddingModelConfiguration: { Dimensions: 1024 } },
        },
      },
      StorageConfiguration: {
        Type: 'OPENSEARCH_SERVERLESS',
        OpensearchServerlessConfiguration: {
          CollectionArn: { 'Fn::GetStackOutput': Match.objectLike({ StackName: 'Platform' }) },
          VectorIndexName: 'assistant_kb',
          FieldMapping: { VectorField: 'embedding', TextField: 'text', MetadataField: 'metadata' },
        },
      },
    });
  });

  test('the service role trusts bedrock.amazonaws.com only for knowledge bases of this account (aws:SourceAccount, aws:SourceArn)', () => {
    const { workloads, kb } = setup();
    const role = kb().role;
    const doc =
      Template.fromStack(workloads).toJSON().Resources[workloads.getLogicalId(role.node.defaultChild as any)].Properties
        .AssumeRolePolicyDocument;
    expect(doc.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'bedrock.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':bedrock:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':knowledge-base/*',
                ],
              ],
            },
          },
        },
      },
    ]);
  });

  test("the role may embed with its model, reach the collection, and read only the workload's own data prefix", () => {
    const { workloads, kb } = setup();
    const knowledgeBase = kb();
    const policies = Template.fromStack(workloads).findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Roles: [{ Ref: workloads.getLogicalId(knowledgeBase.role.node.defaultChild as any) }] },
    });
    expect(Object.keys(policies)).toHaveLength(1);
    const statements = Object.values(policies)[0].Properties.PolicyDocument.Statement as any[];
    const rendered = statements.map((s) => ({
      Action: s.Action,
      Resource: ([] as unknown[]).concat(s.Resource).map(text),
      Condition: s.Condition,
    }));
    expect(rendered).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'bedrock:InvokeModel',
          Resource: [expect.stringMatching(/::foundation-model\/amazon\.titan-embed-text-v2:0$/)],
        }),
        expect.objectContaining({
          Action: 'aoss:APIAccessAll',
          Resource: [expect.stringMatching(/^<<\{"Fn::GetStackOutput"/)],
        }),
        expect.objectContaining({
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Resource: [expect.stringMatching(/\/workloads\/assistant\/\*$/)],
        }),
        expect.objectContaining({
          Action: 's3:ListBucket',
          Condition: { StringLike: { 's3:prefix': ['workloads/assistant/*'] } },
        }),
        expect.objectContaining({ Action: 'kms:Decrypt' }),
      ]),
    );
    // Nothing else: no write, no other prefix, no other model.
    expect(statements).toHaveLength(5);
    expect(JSON.stringify(statements)).not.toMatch(/s3:PutObject|bedrock:\*|aoss:\*/);
  });

  test('an S3 data source on the workload prefix only, keeping the vectors when it is deleted', () => {
    const { workloads, dataBucket, kb, platformStack } = setup();
    kb();
    Template.fromStack(workloads).hasResourceProperties('AWS::Bedrock::DataSource', {
      DataDeletionPolicy: 'RETAIN',
      DataSourceConfiguration: {
        Type: 'S3',
        S3Configuration: {
          BucketArn: { 'Fn::GetStackOutput': Match.objectLike({ StackName: 'Platform' }) },
          BucketOwnerAccountId: { Ref: 'AWS::AccountId' },
          InclusionPrefixes: ['workloads/assistant/'],
        },
      },
    });
    expect(dataBucket.node.path).toContain(platformStack.node.id);
  });

  test("the workload's data-access policy admits the knowledge base role to its one index only, beside the workload's own rule", () => {
    const { indexAccess, identity, kb } = setup();
    const knowledgeBase = kb();
    expect(indexAccess.rules.map((r) => ({ p: r.principalArn, i: r.indexResource, perms: r.permissions }))).toEqual([
      { p: identity.role.roleArn, i: 'index/ztai-rag/assistant_*', perms: WORKLOAD_INDEX_PERMISSIONS },
      { p: knowledgeBase.role.roleArn, i: 'index/ztai-rag/assistant_kb', perms: KNOWLEDGE_BASE_INDEX_PERMISSIONS },
    ]);
  });

  test('the knowledge base is created after its grants and its data-access policy', () => {
    const { workloads, indexAccess, kb } = setup();
    const knowledgeBase = kb();
    const resource =
      Template.fromStack(workloads).toJSON().Resources[workloads.getLogicalId(knowledgeBase.knowledgeBase)];
    expect(resource.DependsOn).toEqual(expect.arrayContaining([workloads.getLogicalId(indexAccess.policy)]));
    expect(resource.DependsOn.some((d: string) => d.startsWith('KnowledgeBasePolicy'))).toBe(true);
  });

  test('the index comes first: an info annotation names it, and indexMapping gives its body', () => {
    const { workloads, kb } = setup();
    const knowledgeBase = kb();
    Annotations.fromStack(workloads).hasInfo(
      `/${knowledgeBase.node.path}`,
      Match.stringLikeRegexp('needs the index assistant_kb of collection ztai-rag before it is created'),
    );
    expect(knowledgeBase.indexMapping).toEqual({
      settings: { index: { knn: true } },
      mappings: {
        properties: {
          embedding: {
            type: 'knn_vector',
            dimension: 1024,
            method: { name: 'hnsw', engine: 'faiss', space_type: 'l2' },
          },
          text: { type: 'text' },
          metadata: { type: 'text', index: false },
        },
      },
    });
  });

  test('embeddingDimensions picks a size the model supports', () => {
    const { workloads, kb } = setup();
    kb({ embeddingDimensions: 512 });
    Template.fromStack(workloads).hasResourceProperties('AWS::Bedrock::KnowledgeBase', {
      KnowledgeBaseConfiguration: {
        VectorKnowledgeBaseConfiguration: {
          EmbeddingModelConfiguration: { BedrockEmbeddingModelConfiguration: { Dimensions: 512 } },
        },
      },
    });
  });

  describe('bad input fails at synth', () => {
    test.each([
      [
        'no embedding model',
        { embeddingModelId: undefined as unknown as string },
        /embeddingModelId must be a Bedrock foundation-model id .*got undefined/,
      ],
      [
        'an empty embedding model',
        { embeddingModelId: '' },
        /embeddingModelId must be a Bedrock foundation-model id .*got ''/,
      ],
      [
        'a text model',
        { embeddingModelId: 'anthropic.claude-3-haiku-20240307-v1:0' },
        /embeddingModelId must be an embedding model .*got 'anthropic\.claude-3-haiku-20240307-v1:0'/,
      ],
      [
        'a size the model lacks',
        { embeddingDimensions: 768 },
        /embeddingDimensions of amazon\.titan-embed-text-v2:0 must be one of 1024, 512, 256, got 768/,
      ],
      [
        'a bad knowledge base name',
        { knowledgeBaseName: 'two--dashes' },
        /knowledgeBaseName must be 1-100 letters and digits/,
      ],
      ['a bad index suffix', { indexSuffix: 'Upper' }, /indexSuffix must be 1-31 lower-case/],
    ])('%s', (_title, props, message) => {
      const { kb } = setup();
      expect(() => kb(props)).toThrow(message);
    });

    test('a store whose network policy does not admit Bedrock', () => {
      const { kb } = setup({ allowBedrock: false });
      expect(() => kb()).toThrow(/does not admit Bedrock knowledge bases .*allowBedrockKnowledgeBases: true/);
    });

    test("another workload's index access", () => {
      const { workloads, store, dataBucket, indexAccess } = setup();
      const other = new WorkloadIdentity(workloads, 'Other', {
        workloadName: 'other',
        runsAs: WorkloadPrincipal.LAMBDA,
      });
      expect(
        () =>
          new KnowledgeBase(workloads, 'Kb2', {
            store,
            workload: other,
            indexAccess,
            dataBucket,
            embeddingModelId: MODEL,
          }),
      ).toThrow(/indexAccess is workload 'assistant''s, but the knowledge base is workload 'other''s/);
    });

    test("an index outside the workload's pattern cannot be admitted", () => {
      const { indexAccess, kb } = setup();
      const role = kb().role;
      expect(() => indexAccess.admitKnowledgeBase(role, 'other_kb')).toThrow(
        /indexName must be an index of workload 'assistant'/,
      );
    });
  });

  test('cdk-nag: all five packs clean', () => {
    const { app, kb } = setup();
    kb();
    expect(nagFindings(app)).toEqual([]);
  });
});
