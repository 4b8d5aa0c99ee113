/**
 * Journey 7, generative AI (issue #14): the reference platform's genai workload invokes its Bedrock model
 * privately and only through its own guardrail; every platform role is denied model invocation without
 * an approved guardrail by the permissions boundary; the workload retrieves only from its own indexes.
 * The steps are defined in tools/review/journeys.ts (the review report's Journeys section shows them);
 * the extra tests below check the templates' promises one by one.
 */
import { buildAccessMatrix } from '../../tools/review/access-matrix';
import { estimateCost } from '../../tools/review/cost';
import { describeJourney, ENV } from './journey';

type Resource = { Type: string; Properties?: any };

describeJourney(7, {
  extra: ({ fixture, world }) => {
    const resources = (type: string): Resource[] =>
      fixture()
        .assembly.stacks.flatMap((s) => Object.values(s.template.Resources ?? {}) as Resource[])
        .filter((r) => r.Type === type);

    test('the guardrail is encrypted with a customer key and filters prompt attacks on input at HIGH', () => {
      const [guardrail] = resources('AWS::Bedrock::Guardrail');
      expect(guardrail.Properties.KmsKeyArn).toBeDefined();
      expect(guardrail.Properties.ContentPolicyConfig.FiltersConfig).toEqual(
        expect.arrayContaining([{ Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE' }]),
      );
      expect(resources('AWS::Bedrock::GuardrailVersion')).toHaveLength(1);
    });

    test('the bedrock-runtime interface endpoint has a policy: this account, the configured model, the guardrail', () => {
      const endpoint = world().endpoint('bedrock-runtime');
      expect(endpoint?.type).toBe('Interface');
      const statements = (endpoint?.policy as { Statement: { Sid: string; Resource: unknown }[] }).Statement;
      expect(statements.map((s) => s.Sid)).toEqual(['AdmittedModelsOnly', 'PlatformGuardrailsOnly']);
      expect(JSON.stringify(statements[0].Resource)).toContain(
        'foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      );
    });

    test('the permissions boundary denies bedrock:InvokeModel* without a guardrail of the account, leaving out the embedding model only (Region-free, so its size does not depend on the Region)', () => {
      const w = world();
      const boundary = w.index.roles().find((r) => r.boundary)?.boundary?.policy as {
        Statement: { Sid?: string; Effect: string; Action: unknown; NotResource?: unknown; Condition?: unknown }[];
      };
      const deny = boundary.Statement.find((s) => s.Sid === 'RequireGuardrail');
      expect(deny).toEqual({
        Sid: 'RequireGuardrail',
        Effect: 'Deny',
        Action: 'bedrock:InvokeModel*',
        NotResource: 'arn:aws:bedrock:*::foundation-model/amazon.titan-embed-text-v2:0',
        Condition: {
          ArnNotLike: { 'bedrock:GuardrailIdentifier': `arn:aws:bedrock:*:${w.account}:guardrail/*` },
        },
      });
    });

    test('every role of the platform is under that boundary', () => {
      const roles = world().index.roles();
      expect(roles.length).toBeGreaterThan(10);
      expect(roles.filter((r) => !r.boundary).map((r) => r.name)).toEqual([]);
    });

    test('the permissions boundary fits IAM’s managed-policy size (6,144 characters, resolved)', () => {
      const boundary = world()
        .index.roles()
        .find((r) => r.boundary)!.boundary!.policy;
      // Whitespace does not count (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
      expect(JSON.stringify(boundary).length).toBeLessThanOrEqual(6144);
    });

    test('the access matrix shows the genai resources: the model through each guardrail and none, the guardrail, the collection, the knowledge base', async () => {
      const genai = 'ztai-workload-support-assistant/Identity';
      const agent = 'ztai-workload-support-agent/Identity';
      const kb = 'ztai-workload-support-assistant/KnowledgeBase/Role';
      const matrix = await buildAccessMatrix(fixture().assembly, { ...ENV, principals: [genai, agent, kb] });
      const kinds = new Set(matrix.resources.map((r) => r.kind));
      for (const k of ['bedrock-model', 'bedrock-guardrail', 'vector-collection', 'knowledge-base'])
        expect(kinds).toContain(k);
      const decision = (
        principal: string,
        resource: (r: (typeof matrix.resources)[number]) => boolean,
        action: string,
      ) =>
        matrix.cells.find(
          (c) =>
            c.principal === principal &&
            c.action === action &&
            resource(matrix.resources.find((r) => r.id === c.resource)!),
        )?.decision;
      const model = (guardrail: string) => (r: (typeof matrix.resources)[number]) =>
        r.kind === 'bedrock-model' &&
        r.arn.endsWith('anthropic.claude-3-haiku-20240307-v1:0') &&
        r.guardrail === guardrail;
      const own = matrix.resources.find((r) => r.kind === 'bedrock-guardrail')!.id;
      expect(decision(genai, model(own), 'bedrock:InvokeModel')).toBe('Allowed');
      expect(decision(genai, model('none'), 'bedrock:InvokeModel')).toBe('ExplicitlyDenied');
      expect(decision(agent, model(own), 'bedrock:InvokeModel')).not.toBe('Allowed');
      expect(decision(genai, (r) => r.kind === 'vector-collection', 'aoss:APIAccessAll')).toBe('Allowed');
      expect(decision(agent, (r) => r.kind === 'vector-collection', 'aoss:APIAccessAll')).not.toBe('Allowed');
      expect(decision(genai, (r) => r.kind === 'knowledge-base', 'bedrock:Retrieve')).toBe('Allowed');
      expect(decision(genai, (r) => r.kind === 'bedrock-guardrail', 'bedrock:UpdateGuardrail')).not.toBe('Allowed');
      // Nothing of the genai workload is reachable by the other workload's role.
      expect(matrix.crossWorkloadAllowed.filter((c) => c.principal === agent)).toEqual([]);
    });

    test('the cost estimate lists the genai resources: the collection (OCU floor, no rate), the guardrail and knowledge base (usage only)', () => {
      const cost = estimateCost(fixture().assembly);
      const unpriced = new Map(cost.notPriced.map((n) => [n.type, n]));
      expect(unpriced.get('AWS::OpenSearchServerless::Collection')?.reason).toMatch(/^OCU-hours: .* no OCU-hour rate$/);
      expect(unpriced.get('AWS::Bedrock::Guardrail')?.fixedCharge).toBe(false);
      expect(unpriced.get('AWS::Bedrock::KnowledgeBase')?.fixedCharge).toBe(false);
      expect(cost.lines.filter((l) => l.item.includes('bedrock-runtime'))).toHaveLength(1);
      expect(cost.noFixedCharge.map((n) => n.type)).toEqual(
        expect.arrayContaining(['AWS::Bedrock::GuardrailVersion', 'AWS::OpenSearchServerless::AccessPolicy']),
      );
    });

    test('the vector collection has no public access and is encrypted with a customer key', () => {
      const policies = resources('AWS::OpenSearchServerless::SecurityPolicy');
      const text = (p: Resource) => JSON.stringify(p.Properties.Policy);
      const network = policies.filter((p) => p.Properties.Type === 'network');
      const encryption = policies.filter((p) => p.Properties.Type === 'encryption');
      expect(network.length).toBeGreaterThan(0);
      for (const p of network) expect(text(p)).toContain('\\"AllowFromPublic\\":false');
      for (const p of encryption) {
        expect(text(p)).toContain('\\"AWSOwnedKey\\":false');
        expect(text(p)).toContain('KmsARN');
      }
    });
  },
});
