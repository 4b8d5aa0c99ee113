/**
 * Journey 8, retrieval: genai workloads retrieve from the platform's vector store, each from its own
 * indexes only, and a knowledge base reads only its workload's data prefix.
 *
 * Two layers decide a request to the collection, and this suite checks each where it is evaluated:
 * - IAM (identity policy and permissions boundary): evaluated with @cloud-copilot/iam-simulate on the
 *   synthesized templates. IAM only says whether a role may speak to the collection at all
 *   (`aoss:APIAccessAll` on the collection ARN): it has no per-index action.
 * - The collection's data-access policies (`AWS::OpenSearchServerless::AccessPolicy`, type data):
 *   evaluated by OpenSearch Serverless, not by IAM, so no IAM simulator can decide them. They are
 *   checked here as documents: each workload's policy names only its role (and its knowledge base's
 *   role), on only its own index pattern.
 *
 * The platform is built from the same wiring the reference app uses (lib/genai/retrieval.ts), with
 * three genai workloads: wl-a retrieves and has a knowledge base, wl-b does not retrieve (no grant),
 * wl-c retrieves without a knowledge base.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { WorkloadIdentity } from '../../constructs/identity/workload-identity';
import { WorkloadPrincipal } from '../../constructs/identity/workload-principal';
import { PlatformPermissionsBoundary } from '../../constructs/identity/platform-permissions-boundary';
import { PlatformKey } from '../../constructs/keys/platform-key';
import { PlatformEndpoint } from '../../constructs/network/platform-endpoint';
import { SegmentedNetwork } from '../../constructs/network/segmented-network';
import { EncryptedBucket } from '../../constructs/storage/encrypted-bucket';
import {
  addRetrieval,
  addVectorStore,
  knowledgeBaseRoleName,
  Retrieval,
  RetrievalConfig,
  retrievalDataExemptions,
  vectorAccessPolicyName,
  vectorStoreDnsDomains,
} from '../../lib/genai/retrieval';
import { maxWorkloadNameLength } from '../../lib/config/naming-rules';
import { ACCOUNT, CfnResolver, evaluate, REGION, RoleUnderTest, roleUnderTest } from '../helpers/iam-eval';
import { newApp } from '../helpers/stacks';

const CONFIG: RetrievalConfig = {
  platformName: 'ztai',
  profile: 'dev',
  workloads: [
    { name: 'wl-a', kind: 'genai', genai: { retrieval: { knowledgeBase: true } } },
    { name: 'wl-b', kind: 'genai', genai: {} },
    { name: 'wl-c', kind: 'genai', genai: { retrieval: { knowledgeBase: false } } },
    { name: 'scorer', kind: 'realtime-inference' },
  ],
};
const EMBEDDING_MODEL = `arn:aws:bedrock:${REGION}::foundation-model/amazon.titan-embed-text-v2:0`;
const OTHER_MODEL = `arn:aws:bedrock:${REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0`;

/**
 * The review tool's resolver (tools/review/intrinsics.ts) writes the collection's and the knowledge
 * base's ARNs in their real forms (Service Authorization Reference):
 * `arn:<partition>:aoss:<region>:<account>:collection/<id>` and
 * `arn:<partition>:bedrock:<region>:<account>:knowledge-base/<id>`. Before it did, it wrote the
 * CloudFormation service name and an unresolved attribute; this rewrite of those older forms is kept
 * so the suite states what it relies on.
 */
function realArns<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value)
      .split('arn:aws:opensearchserverless:')
      .join('arn:aws:aoss:')
      .replace(
        /Workload-([a-z0-9-]+)-KnowledgeBase[0-9A-F]{8}\.KnowledgeBaseArn/g,
        (_m, workload: string) =>
          `arn:aws:bedrock:${REGION}:${ACCOUNT}:knowledge-base/KB${workload.replace(/-/g, '').toUpperCase()}`,
      ),
  );
}

function build(): {
  app: App;
  retrievals: Record<string, Retrieval | undefined>;
  identities: Record<string, WorkloadIdentity>;
  bucketName: string;
  collectionArnToken: string;
  platform: Stack;
} {
  const app = newApp();
  const platform = new Stack(app, 'Platform');
  const boundary = new PlatformPermissionsBoundary(platform, 'Boundary', { boundaryName: 'ztai-platform-boundary' });
  const network = new SegmentedNetwork(platform, 'Network', {
    s3PrefixListId: 'pl-12345678',
    interfaceEndpoints: PlatformEndpoint.BASELINE,
  });
  const dataKey = new PlatformKey(platform, 'DataKey');
  const bucketName = 'ztai-data-111122223333-eu-west-1';
  const dataBucket = new EncryptedBucket(platform, 'DataBucket', { encryptionKey: dataKey, bucketName });
  boundary.capToBuckets(dataBucket.bucket);
  boundary.capToKeys(dataKey.key);
  const store = addVectorStore(platform, { boundary, network, dataKey: dataKey.key }, CONFIG)!;

  const retrievals: Record<string, Retrieval | undefined> = {};
  const identities: Record<string, WorkloadIdentity> = {};
  for (const workload of CONFIG.workloads.filter((w) => w.kind === 'genai')) {
    const stack = new Stack(app, `Workload-${workload.name}`);
    const identity = new WorkloadIdentity(stack, 'Identity', {
      workloadName: workload.name,
      runsAs: WorkloadPrincipal.LAMBDA,
      roleName: `ztai-${workload.name}`,
    });
    identities[workload.name] = identity;
    dataBucket.grantReadWritePrefix(identity, identity.dataPrefix);
    const securityGroup = new ec2.SecurityGroup(stack, 'SecurityGroup', { vpc: network.vpc, allowAllOutbound: false });
    retrievals[workload.name] = workload.genai?.retrieval
      ? addRetrieval(stack, { store, dataBucket, platformName: CONFIG.platformName, workload, identity, securityGroup })
      : undefined;
  }
  boundary.applyTo(app);
  return { app, retrievals, identities, bucketName, collectionArnToken: store.collectionArn, platform };
}

describe('journey 8: retrieval', () => {
  let resolver: CfnResolver;
  let built: ReturnType<typeof build>;
  const roles: Record<string, RoleUnderTest> = {};
  let collectionArn: string;

  beforeAll(() => {
    built = build();
    resolver = new CfnResolver(built.app);
    for (const name of ['wl-a', 'wl-b', 'wl-c']) {
      const stack = `Workload-${name}`;
      roles[name] = realArns(roleUnderTest(resolver, stack, resolver.find(stack, 'AWS::IAM::Role', 'Identity')[0]));
    }
    roles.kb = realArns(
      roleUnderTest(
        resolver,
        'Workload-wl-a',
        resolver.find('Workload-wl-a', 'AWS::IAM::Role', 'KnowledgeBaseRole')[0],
      ),
    );
    collectionArn = realArns(resolver.resolve('Platform', built.platform.resolve(built.collectionArnToken)));
  });

  describe('IAM: who may speak to the collection at all', () => {
    test('the collection ARN resolves to an aoss collection ARN of the account', () => {
      expect(collectionArn).toMatch(new RegExp(`^arn:aws:aoss:${REGION}:${ACCOUNT}:collection/`));
    });

    test("workload A's role is allowed aoss:APIAccessAll on the collection (identity grant and boundary)", async () => {
      expect(await evaluate({ role: roles['wl-a'], action: 'aoss:APIAccessAll', resourceArn: collectionArn })).toBe(
        'Allowed',
      );
    });

    test("workload B's role, which has no retrieval and so no grant, is denied by its identity policy", async () => {
      expect(await evaluate({ role: roles['wl-b'], action: 'aoss:APIAccessAll', resourceArn: collectionArn })).toBe(
        'ImplicitlyDenied',
      );
    });

    test("A's grant names the collection only: another collection of the account is denied", async () => {
      const other = `arn:aws:aoss:${REGION}:${ACCOUNT}:collection/someothercollectionid`;
      expect(await evaluate({ role: roles['wl-a'], action: 'aoss:APIAccessAll', resourceArn: other })).toBe(
        'ImplicitlyDenied',
      );
    });

    test('negative control: without the action the store adds to the boundary ceiling, A would be denied', async () => {
      const boundary = roles['wl-a'].boundary!;
      type Statement = { Sid?: string; Action?: string | string[] };
      const policy = boundary.policy as { Statement: Statement[] };
      const ceiling = policy.Statement.find((s) => s.Sid === 'ServiceCeiling')!;
      expect(ceiling.Action).toContain('aoss:APIAccessAll');
      const without = {
        ...roles['wl-a'],
        boundary: {
          name: boundary.name,
          policy: {
            ...policy,
            Statement: policy.Statement.map((s) =>
              s === ceiling ? { ...s, Action: (s.Action as string[]).filter((a) => a !== 'aoss:APIAccessAll') } : s,
            ),
          },
        },
      };
      expect(await evaluate({ role: without, action: 'aoss:APIAccessAll', resourceArn: collectionArn })).toBe(
        'ImplicitlyDenied',
      );
    });
  });

  describe("the knowledge base role: A's model, A's collection, A's data prefix", () => {
    test('may embed with its embedding model and no other model', async () => {
      expect(await evaluate({ role: roles.kb, action: 'bedrock:InvokeModel', resourceArn: EMBEDDING_MODEL })).toBe(
        'Allowed',
      );
      expect(await evaluate({ role: roles.kb, action: 'bedrock:InvokeModel', resourceArn: OTHER_MODEL })).toBe(
        'ImplicitlyDenied',
      );
    });

    test('may reach the collection', async () => {
      expect(await evaluate({ role: roles.kb, action: 'aoss:APIAccessAll', resourceArn: collectionArn })).toBe(
        'Allowed',
      );
    });

    test("reads A's data prefix, not C's, and writes nothing", async () => {
      const object = (key: string) => `arn:aws:s3:::${built.bucketName}/${key}`;
      expect(
        await evaluate({ role: roles.kb, action: 's3:GetObject', resourceArn: object('workloads/wl-a/doc.pdf') }),
      ).toBe('Allowed');
      expect(
        await evaluate({ role: roles.kb, action: 's3:GetObject', resourceArn: object('workloads/wl-c/doc.pdf') }),
      ).toBe('ImplicitlyDenied');
      expect(await evaluate({ role: roles.kb, action: 's3:PutObject', resourceArn: object('workloads/wl-a/x') })).toBe(
        'ImplicitlyDenied',
      );
      const list = (prefix: string) =>
        evaluate({
          role: roles.kb,
          action: 's3:ListBucket',
          resourceArn: `arn:aws:s3:::${built.bucketName}`,
          context: { 's3:prefix': prefix },
        });
      expect(await list('workloads/wl-a/')).toBe('Allowed');
      expect(await list('workloads/wl-c/')).toBe('ImplicitlyDenied');
    });
  });

  describe('querying the knowledge base', () => {
    /** The knowledge base's ARN as the resolver writes it in the grant of A. */
    function knowledgeBaseArn(): string {
      const statement = roles['wl-a'].identityPolicies
        .flatMap((p) => (p.policy as { Statement: { Action: unknown; Resource: unknown }[] }).Statement)
        .find((s) => JSON.stringify(s.Action).includes('bedrock:Retrieve'));
      return statement!.Resource as string;
    }

    test('the grant names a knowledge base of the account', () => {
      expect(knowledgeBaseArn()).toMatch(new RegExp(`^arn:aws:bedrock:${REGION}:${ACCOUNT}:knowledge-base/`));
    });

    test('A may query its own knowledge base; C (no knowledge base) and B may not', async () => {
      const resourceArn = knowledgeBaseArn();
      expect(await evaluate({ role: roles['wl-a'], action: 'bedrock:Retrieve', resourceArn })).toBe('Allowed');
      expect(await evaluate({ role: roles['wl-c'], action: 'bedrock:Retrieve', resourceArn })).toBe('ImplicitlyDenied');
      expect(await evaluate({ role: roles['wl-b'], action: 'bedrock:Retrieve', resourceArn })).toBe('ImplicitlyDenied');
    });
  });

  describe('data-access policies (evaluated by OpenSearch Serverless, not IAM): each names only its own', () => {
    /** The resolved document of a workload's data-access policy. */
    function document(
      workload: string,
    ): { Rules: { Resource: string[]; Permission: string[] }[]; Principal: string[] }[] {
      const access = built.retrievals[workload]!.access;
      const stackName = `Workload-${workload}`;
      const stack = Stack.of(access);
      const policy = resolver.template(stackName).Resources[stack.getLogicalId(access.policy)].Properties.Policy;
      return JSON.parse(resolver.resolve(stackName, policy));
    }

    test("A's policy names only A's role on A's index pattern, and A's knowledge base role on A's knowledge base index", () => {
      expect(document('wl-a')).toEqual([
        {
          Description: expect.any(String),
          Rules: [
            {
              ResourceType: 'index',
              Resource: ['index/ztai-rag/wl-a_*'],
              Permission: expect.arrayContaining(['aoss:ReadDocument', 'aoss:WriteDocument']),
            },
          ],
          Principal: [roles['wl-a'].roleArn],
        },
        {
          Description: expect.any(String),
          Rules: [{ ResourceType: 'index', Resource: ['index/ztai-rag/wl-a_kb'], Permission: expect.any(Array) }],
          Principal: [roles.kb.roleArn],
        },
      ]);
    });

    test("no policy names another workload's role, and B (no retrieval) has no policy at all", () => {
      const a = JSON.stringify(document('wl-a'));
      const c = JSON.stringify(document('wl-c'));
      expect(a).not.toContain(roles['wl-c'].roleArn);
      expect(a).not.toContain(roles['wl-b'].roleArn);
      expect(c).not.toContain(roles['wl-a'].roleArn);
      expect(c).not.toContain(roles.kb.roleArn);
      expect(document('wl-c').flatMap((e) => e.Rules.flatMap((r) => r.Resource))).toEqual(['index/ztai-rag/wl-c_*']);
      expect(built.retrievals['wl-b']).toBeUndefined();
      expect(resolver.find('Workload-wl-b', 'AWS::OpenSearchServerless::AccessPolicy')).toEqual([]);
    });
  });

  describe('wiring', () => {
    test("the data bucket's exemption: every knowledge base role (ztai-kb-*), reads of the prefix its workload tag names only", () => {
      expect(retrievalDataExemptions(CONFIG)).toEqual([
        {
          principalArnPattern: expect.stringMatching(/:role\/ztai-kb-\*$/),
          principalTagKey: 'ai-platform:workload',
          keyPrefix: 'workloads/',
          actions: ['s3:GetObject', 's3:ListBucket'],
          reason: expect.any(String),
        },
      ]);
      expect(
        retrievalDataExemptions({ ...CONFIG, workloads: CONFIG.workloads.filter((w) => w.name !== 'wl-a') }),
      ).toEqual([]);
      expect(roles.kb.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/${knowledgeBaseRoleName('ztai', 'wl-a')}`);
    });

    test('no vector store when no workload retrieves; the DNS name workloads resolve', () => {
      const app = newApp();
      const stack = new Stack(app, 'P');
      const boundary = new PlatformPermissionsBoundary(stack, 'B');
      const network = new SegmentedNetwork(stack, 'N', { s3PrefixListId: 'pl-12345678', interfaceEndpoints: [] });
      const key = new PlatformKey(stack, 'K');
      const none = addVectorStore(stack, { boundary, network, dataKey: key.key }, { ...CONFIG, workloads: [] });
      expect(none).toBeUndefined();
      expect(stack.resolve(vectorStoreDnsDomains())).toEqual([
        { 'Fn::Join': ['', ['*.', { Ref: 'AWS::Region' }, '.aoss.amazonaws.com']] },
      ]);
    });

    test('the data-access policy name fits OpenSearch Serverless (32 characters) whatever the names: readable when it can be, else cut with a digest', () => {
      const shape = { kind: 'genai' as const, repository: false, people: false };
      expect(maxWorkloadNameLength('a-twenty-char-platfo', { ...shape, retrieval: true })).toBe(
        maxWorkloadNameLength('a-twenty-char-platfo', shape),
      );
      expect(vectorAccessPolicyName('ztai', 'support-assistant')).toBe('ztai-rag-support-assistant');
      const long = vectorAccessPolicyName('a-twenty-char-platfo', 'support-assistant');
      expect(long).toMatch(/^support-assistant-[0-9a-f]{8}$/);
      expect(vectorAccessPolicyName('another-20-char-plat', 'support-assistant')).not.toBe(long);
      const longest = vectorAccessPolicyName('a-twenty-char-platfo', `a${'b'.repeat(31)}`);
      expect(longest.length).toBeLessThanOrEqual(32);
      expect(longest).toMatch(/^[a-z][a-z0-9-]{2,31}$/);
    });

    test('addRetrieval refuses a workload without genai.retrieval', () => {
      const app = newApp();
      const stack = new Stack(app, 'W');
      const identity = new WorkloadIdentity(stack, 'I', { workloadName: 'wl-b', runsAs: WorkloadPrincipal.LAMBDA });
      expect(() =>
        addRetrieval(stack, {
          store: {} as never,
          dataBucket: {} as never,
          platformName: 'ztai',
          workload: CONFIG.workloads[1],
          identity,
        }),
      ).toThrow(/workload 'wl-b' has no genai.retrieval/);
    });
  });
});
