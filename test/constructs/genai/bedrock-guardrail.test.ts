import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { BedrockGuardrail, BedrockGuardrailProps } from '../../../constructs/genai/bedrock-guardrail';
import { BedrockModel } from '../../../constructs/genai/bedrock-model';
import { PlatformPermissionsBoundary } from '../../../constructs/identity/platform-permissions-boundary';
import { WorkloadIdentity } from '../../../constructs/identity/workload-identity';
import { WorkloadPrincipal } from '../../../constructs/identity/workload-principal';
import { PlatformKey } from '../../../constructs/keys/platform-key';
import { ACCOUNT, CfnResolver, evaluate, REGION, RoleUnderTest, roleUnderTest } from '../../helpers/iam-eval';
import { nagFindings, describeFindings } from '../../helpers/nag';
import { newApp, newStack } from '../../helpers/stacks';

const HAIKU = BedrockModel.fromId('anthropic.claude-3-haiku-20240307-v1:0');
const SONNET = BedrockModel.fromId('anthropic.claude-3-5-sonnet-20240620-v1:0');
const EMBED = BedrockModel.fromId('amazon.titan-embed-text-v2:0');

function guardrail(props: Partial<BedrockGuardrailProps> = {}) {
  const { app, stack } = newStack();
  const key = new PlatformKey(stack, 'Key');
  const g = new BedrockGuardrail(stack, 'Guardrail', { encryptionKey: key, ...props });
  return { app, stack, key, g, template: () => Template.fromStack(stack) };
}

function filters(template: Template): { Type: string; InputStrength: string; OutputStrength: string }[] {
  const [resource] = Object.values(template.findResources('AWS::Bedrock::Guardrail'));
  return resource.Properties.ContentPolicyConfig.FiltersConfig;
}

describe('BedrockGuardrail', () => {
  describe('secure defaults', () => {
    test('encrypted with the customer key, a HIGH prompt-attack filter on input, every content filter HIGH both ways', () => {
      const { stack, key, template } = guardrail();
      template().hasResourceProperties('AWS::Bedrock::Guardrail', {
        KmsKeyArn: { 'Fn::GetAtt': [stack.getLogicalId(key.key.node.defaultChild as kms.CfnKey), 'Arn'] },
        BlockedInputMessaging: Match.stringLikeRegexp('.+'),
        BlockedOutputsMessaging: Match.stringLikeRegexp('.+'),
      });
      expect(filters(template())).toEqual([
        { Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE' },
        ...['HATE', 'INSULTS', 'SEXUAL', 'VIOLENCE', 'MISCONDUCT'].map((Type) => ({
          Type,
          InputStrength: 'HIGH',
          OutputStrength: 'HIGH',
        })),
      ]);
    });

    test('PII is anonymized by default (email, phone, SSN, card number, AWS keys, passwords)', () => {
      const { template } = guardrail();
      const [r] = Object.values(template().findResources('AWS::Bedrock::Guardrail'));
      const pii = r.Properties.SensitiveInformationPolicyConfig.PiiEntitiesConfig;
      expect(pii.map((p: { Type: string }) => p.Type)).toEqual(
        expect.arrayContaining(['EMAIL', 'US_SOCIAL_SECURITY_NUMBER', 'AWS_SECRET_KEY']),
      );
      expect(new Set(pii.map((p: { Action: string }) => p.Action))).toEqual(new Set(['ANONYMIZE']));
    });

    test('a published version of the guardrail, whose description changes with the configuration', () => {
      const a = guardrail();
      const b = guardrail({ sensitiveInformation: { action: 'BLOCK', entities: ['EMAIL'] } });
      const version = (t: Template) => Object.values(t.findResources('AWS::Bedrock::GuardrailVersion'))[0];
      const va = version(a.template());
      expect(va.Properties.GuardrailIdentifier).toEqual({
        'Fn::GetAtt': [a.stack.getLogicalId(a.g.guardrail), 'GuardrailId'],
      });
      expect(va.Properties.Description).not.toEqual(version(b.template()).Properties.Description);
      expect(guardrail().template().toJSON()).toEqual(a.template().toJSON());
    });

    test('identifier is <guardrail ARN>:<published version>, the bedrock:GuardrailIdentifier of a request using it', () => {
      const { stack, g } = guardrail();
      expect(stack.resolve(g.identifier)).toEqual({
        'Fn::Join': [
          '',
          [
            { 'Fn::GetAtt': [stack.getLogicalId(g.guardrail), 'GuardrailArn'] },
            ':',
            { 'Fn::GetAtt': [stack.getLogicalId(g.version), 'Version'] },
          ],
        ],
      });
    });

    test('the key policy admits this account through Bedrock only (kms:ViaService)', () => {
      const { stack, key } = guardrail();
      const statements =
        Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(key.key.node.defaultChild as kms.CfnKey)]
          .Properties.KeyPolicy.Statement;
      const viaBedrock = {
        'kms:CallerAccount': { Ref: 'AWS::AccountId' },
        'kms:ViaService': { 'Fn::Join': ['', ['bedrock.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
      };
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Sid: 'GuardrailUseThroughBedrock',
            Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
            Condition: { StringEquals: viaBedrock },
          }),
          expect.objectContaining({
            Sid: 'GuardrailGrantsThroughBedrock',
            Action: 'kms:CreateGrant',
            Condition: { StringEquals: viaBedrock, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
          }),
        ]),
      );
    });

    test('no account-level enforcement unless asked; with enforceOnAccount, the published version is enforced', () => {
      guardrail().template().resourceCountIs('AWS::Bedrock::EnforcedGuardrailConfiguration', 0);
      const { stack, g, template } = guardrail({ enforceOnAccount: true });
      template().hasResourceProperties('AWS::Bedrock::EnforcedGuardrailConfiguration', {
        GuardrailIdentifier: { 'Fn::GetAtt': [stack.getLogicalId(g.guardrail), 'GuardrailArn'] },
        GuardrailVersion: { 'Fn::GetAtt': [stack.getLogicalId(g.version), 'Version'] },
      });
    });

    test('an imported key is used as is, with a warning giving the statement its policy needs', () => {
      const { stack } = newStack();
      const key = kms.Key.fromKeyArn(
        stack,
        'K',
        'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      );
      const g = new BedrockGuardrail(stack, 'G', { encryptionKey: key });
      Annotations.fromStack(stack).hasWarning(`/${g.node.path}`, Match.stringLikeRegexp('ztai:imported-key-guardrail'));
    });
  });

  describe('configuration from props', () => {
    test('denied topics become DENY topics; PII BLOCK is honoured', () => {
      const { template } = guardrail({
        sensitiveInformation: { action: 'BLOCK', entities: ['EMAIL', 'PHONE'] },
        deniedTopics: [{ name: 'Investment advice', definition: 'Recommendations on securities.', examples: ['Buy?'] }],
      });
      template().hasResourceProperties('AWS::Bedrock::Guardrail', {
        TopicPolicyConfig: {
          TopicsConfig: [
            {
              Name: 'Investment advice',
              Definition: 'Recommendations on securities.',
              Type: 'DENY',
              Examples: ['Buy?'],
            },
          ],
        },
        SensitiveInformationPolicyConfig: {
          PiiEntitiesConfig: [
            { Type: 'EMAIL', Action: 'BLOCK' },
            { Type: 'PHONE', Action: 'BLOCK' },
          ],
        },
      });
    });

    test('lowering a content filter keeps the others HIGH, drops a NONE category and warns', () => {
      const { stack, g, template } = guardrail({ contentFilters: { insults: 'MEDIUM', sexual: 'NONE' } });
      const types = filters(template()).map((f) => `${f.Type}=${f.InputStrength}`);
      expect(types).toEqual(['PROMPT_ATTACK=HIGH', 'HATE=HIGH', 'INSULTS=MEDIUM', 'VIOLENCE=HIGH', 'MISCONDUCT=HIGH']);
      Annotations.fromStack(stack).hasWarning(
        `/${g.node.path}`,
        Match.stringLikeRegexp('insults=MEDIUM, sexual=NONE.*ztai:guardrail-content-filters-lowered'),
      );
    });

    test('promptAttack NONE with allowNoPromptAttackFilter: no prompt-attack filter, and a warning', () => {
      const { stack, g, template } = guardrail({ promptAttack: 'NONE', allowNoPromptAttackFilter: true });
      expect(filters(template()).map((f) => f.Type)).not.toContain('PROMPT_ATTACK');
      Annotations.fromStack(stack).hasWarning(
        `/${g.node.path}`,
        Match.stringLikeRegexp('ztai:guardrail-no-prompt-attack-filter'),
      );
    });

    test('the strict defaults raise no warning', () => {
      const { stack } = guardrail();
      Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('ztai:guardrail'));
    });
  });

  describe('bad input fails at synth, naming the field, the value and what is allowed', () => {
    test.each<[string, Partial<BedrockGuardrailProps>, RegExp]>([
      [
        'prompt-attack filter off without the loosening prop',
        { promptAttack: 'NONE' },
        /promptAttack is 'NONE'.*set allowNoPromptAttackFilter: true/,
      ],
      [
        'an unknown strength',
        { promptAttack: 'MAX' as never },
        /promptAttack must be one of NONE, LOW, MEDIUM, HIGH, got 'MAX'/,
      ],
      [
        'an empty content filter set',
        { contentFilters: { hate: 'NONE', insults: 'NONE', sexual: 'NONE', violence: 'NONE', misconduct: 'NONE' } },
        /contentFilters: every content filter is NONE.*an empty filter set/,
      ],
      [
        'an unknown content filter',
        { contentFilters: { spam: 'HIGH' } as never },
        /contentFilters.spam is not a content filter; allowed: hate/,
      ],
      [
        'an empty PII filter set',
        { sensitiveInformation: { action: 'ANONYMIZE', entities: [] } },
        /sensitiveInformation.entities must list at least one PII entity type \(an empty filter set\), got \[\]/,
      ],
      [
        'an unknown PII action',
        { sensitiveInformation: { action: 'MASK' as never, entities: ['EMAIL'] } },
        /sensitiveInformation.action must be one of ANONYMIZE, BLOCK, got 'MASK'/,
      ],
      [
        'an unknown PII entity',
        { sensitiveInformation: { action: 'BLOCK', entities: ['SHOE_SIZE' as never] } },
        /unknown PII entity type\(s\) \["SHOE_SIZE"\]; allowed: ADDRESS/,
      ],
      [
        'a denied topic with a bad name',
        { deniedTopics: [{ name: 'no/slashes', definition: 'x' }] },
        /deniedTopics\[0\].name must be 1-100 letters, digits, spaces and -_!\?\., got 'no\/slashes'/,
      ],
      [
        'repeated denied topics',
        {
          deniedTopics: [
            { name: 'a', definition: 'x' },
            { name: 'a', definition: 'y' },
          ],
        },
        /deniedTopics\[1\].name 'a' is repeated/,
      ],
      [
        'too many examples',
        { deniedTopics: [{ name: 'a', definition: 'x', examples: ['1', '2', '3', '4', '5', '6'] }] },
        /deniedTopics\[0\].examples must be at most 5 phrases/,
      ],
      [
        'a bad name',
        { guardrailName: 'has spaces' },
        /guardrailName must be 1-50 letters, digits, '-' and '_', got 'has spaces'/,
      ],
    ])('%s', (_title, props, message) => {
      expect(() => guardrail(props)).toThrow(message);
    });

    test('every problem is reported at once, with the construct path', () => {
      expect(() =>
        guardrail({ promptAttack: 'NONE', sensitiveInformation: { action: 'BLOCK', entities: [] } }),
      ).toThrow(/^Test\/Guardrail: promptAttack is 'NONE'.*; sensitiveInformation.entities must list/);
    });

    test.each<[string, object, RegExp]>([
      ['no guardrail', { guardrailIdentifiers: [] }, /guardrailIdentifiers must be guardrail identifiers/],
      [
        'a bare wildcard',
        { guardrailIdentifiers: ['*'] },
        /guardrailIdentifiers must be guardrail identifiers.*got \["\*"\]/,
      ],
      [
        'a wildcard unguarded model',
        { guardrailIdentifiers: ['arn:aws:bedrock:eu-west-1:111122223333:guardrail/*'], unguardedModelArns: ['*'] },
        /unguardedModelArns must be model ARNs with an exact model id \(the Region may be '\*'\), got \["\*"\]/,
      ],
    ])('the boundary refuses %s', (_t, props, message) => {
      const { stack } = newStack();
      const boundary = new PlatformPermissionsBoundary(stack, 'B');
      expect(() => boundary.requireGuardrailForModelInvocation(props as never)).toThrow(message);
    });

    test('the boundary requires guardrails once', () => {
      const { stack } = newStack();
      const boundary = new PlatformPermissionsBoundary(stack, 'B');
      boundary.requireGuardrailForModelInvocation({
        guardrailIdentifiers: ['arn:aws:bedrock:eu-west-1:111122223333:guardrail/*'],
      });
      expect(() =>
        boundary.requireGuardrailForModelInvocation({
          guardrailIdentifiers: ['arn:aws:bedrock:eu-west-1:111122223333:guardrail/*'],
        }),
      ).toThrow(/already requires .*call it once/);
    });

    test('grantInvoke names at least one model', () => {
      const { stack, g } = guardrail();
      const identity = new WorkloadIdentity(stack, 'Id', { workloadName: 'wl', runsAs: WorkloadPrincipal.LAMBDA });
      expect(() => g.grantInvoke(identity)).toThrow(/grantInvoke: name at least one model, got none/);
    });
  });

  test('nag packs: no findings', () => {
    const { app } = guardrail({ enforceOnAccount: true });
    const findings = nagFindings(app);
    expect(describeFindings(findings)).toBe('');
  });
});

/**
 * IAM evaluation: a platform with one approved guardrail under the permissions boundary, workload A
 * granted Haiku, workload B granted Sonnet; a knowledge-base role that embeds without a guardrail.
 */
describe('model invocation under the permissions boundary (IAM evaluation)', () => {
  let resolver: CfnResolver;
  let a: RoleUnderTest;
  let b: RoleUnderTest;
  let kb: RoleUnderTest;
  let unbounded: RoleUnderTest;
  let plain: RoleUnderTest;
  let identifier: string;
  let otherIdentifier: string;
  const KB_ROLE = 'ztai-wl-a-kb';

  beforeAll(() => {
    const app: App = newApp();
    const platform = new Stack(app, 'Platform');
    const boundary = new PlatformPermissionsBoundary(platform, 'Boundary', { boundaryName: 'ztai-platform-boundary' });
    const key = new PlatformKey(platform, 'Key');
    boundary.capToKeys(key.key);
    const g = new BedrockGuardrail(platform, 'Guardrail', { encryptionKey: key });
    // A second approved guardrail: workload B's.
    const other = new BedrockGuardrail(platform, 'OtherGuardrail', {
      encryptionKey: key,
      sensitiveInformation: { action: 'BLOCK', entities: ['EMAIL'] },
    });
    boundary.requireGuardrailForModelInvocation({
      guardrailIdentifiers: [g.identifier, other.identifier],
      unguardedModelArns: EMBED.resourceArns,
    });
    const workloads = new Stack(app, 'Workloads');
    const identity = (name: string, roleName: string) =>
      new WorkloadIdentity(workloads, `Id-${name}`, { workloadName: name, runsAs: WorkloadPrincipal.LAMBDA, roleName });
    const idA = identity('wl-a', 'ztai-wl-a');
    const idB = identity('wl-b', 'ztai-wl-b');
    const idKb = identity('wl-kb', KB_ROLE);
    // A is granted the embedding model too, through its guardrail: its own policy still requires the guardrail.
    g.grantInvoke(idA, HAIKU, EMBED);
    other.grantInvoke(idB, SONNET);
    // The knowledge base's role: the embedding model (as KnowledgeBase grants it), and Haiku through the guardrail.
    iam.Grant.addToPrincipal({ grantee: idKb, actions: ['bedrock:InvokeModel'], resourceArns: EMBED.resourceArns });
    g.grantInvoke(idKb, HAIKU);
    // A role outside the boundary: shows that the denies come from the boundary.
    const outside = new Stack(app, 'Outside');
    const free = new WorkloadIdentity(outside, 'Free', {
      workloadName: 'free',
      runsAs: WorkloadPrincipal.LAMBDA,
      roleName: 'free',
    });
    g.grantInvoke(free, HAIKU);
    const loose = new WorkloadIdentity(outside, 'Loose', {
      workloadName: 'loose',
      runsAs: WorkloadPrincipal.LAMBDA,
      roleName: 'loose',
    });
    iam.Grant.addToPrincipal({ grantee: loose, actions: ['bedrock:InvokeModel'], resourceArns: HAIKU.resourceArns });
    boundary.applyTo(platform);
    boundary.applyTo(workloads);
    resolver = new CfnResolver(app);
    a = roleUnderTest(resolver, 'Workloads', workloads.getLogicalId(idA.role.node.defaultChild as any));
    b = roleUnderTest(resolver, 'Workloads', workloads.getLogicalId(idB.role.node.defaultChild as any));
    kb = roleUnderTest(resolver, 'Workloads', workloads.getLogicalId(idKb.role.node.defaultChild as any));
    unbounded = roleUnderTest(resolver, 'Outside', outside.getLogicalId(free.role.node.defaultChild as any));
    plain = roleUnderTest(resolver, 'Outside', outside.getLogicalId(loose.role.node.defaultChild as any));
    identifier = resolver.resolve('Platform', platform.resolve(g.identifier));
    otherIdentifier = resolver.resolve('Platform', platform.resolve(other.identifier));
  });

  const arnOf = (m: BedrockModel) => `arn:aws:bedrock:${REGION}::foundation-model/${m.foundationModelId}`;
  const invoke = (
    role: RoleUnderTest,
    model: BedrockModel,
    guardrailIdentifier?: string,
    action = 'bedrock:InvokeModel',
  ) =>
    evaluate({
      role,
      action,
      resourceArn: arnOf(model),
      context: guardrailIdentifier ? { 'bedrock:GuardrailIdentifier': guardrailIdentifier } : {},
    });

  test('the approved identifier resolves to <guardrail ARN>:<version>', () => {
    expect(identifier).toMatch(new RegExp(`^arn:aws:bedrock:${REGION}:${ACCOUNT}:guardrail/[a-z0-9]{12}:1$`));
  });

  test('A invokes its model through the approved guardrail: Allowed (InvokeModel and the streaming action)', async () => {
    expect(await invoke(a, HAIKU, identifier)).toBe('Allowed');
    expect(await invoke(a, HAIKU, identifier, 'bedrock:InvokeModelWithResponseStream')).toBe('Allowed');
  });

  test('A invokes its model without a guardrail: ExplicitlyDenied by the boundary', async () => {
    expect(await invoke(a, HAIKU)).toBe('ExplicitlyDenied');
    expect(await invoke(a, HAIKU, undefined, 'bedrock:InvokeModelWithResponseStream')).toBe('ExplicitlyDenied');
  });

  test('A invokes its model with another guardrail, or another version of the approved one: ExplicitlyDenied', async () => {
    expect(await invoke(a, HAIKU, `arn:aws:bedrock:${REGION}:${ACCOUNT}:guardrail/otherguardrl:1`)).toBe(
      'ExplicitlyDenied',
    );
    expect(await invoke(a, HAIKU, identifier.replace(/:1$/, ':2'))).toBe('ExplicitlyDenied');
    expect(await invoke(a, HAIKU, identifier.replace(/:1$/, ''))).toBe('ExplicitlyDenied');
  });

  test('A invokes its model through another approved guardrail (B’s): ExplicitlyDenied by A’s own policy', async () => {
    expect(otherIdentifier).not.toBe(identifier);
    expect(await invoke(a, HAIKU, otherIdentifier)).toBe('ExplicitlyDenied');
    expect(await invoke(b, SONNET, otherIdentifier)).toBe('Allowed');
    expect(await invoke(b, SONNET, identifier)).toBe('ExplicitlyDenied');
  });

  test('A cannot invoke a model it was not given (B’s), even through the guardrail', async () => {
    expect(await invoke(a, SONNET, identifier)).toBe('ImplicitlyDenied');
    expect(await invoke(a, SONNET, otherIdentifier)).toBe('ImplicitlyDenied');
    expect(await invoke(b, HAIKU, otherIdentifier)).toBe('ImplicitlyDenied');
  });

  test('A may apply the approved guardrail and no other', async () => {
    const guardrailArn = identifier.replace(/:1$/, '');
    expect(await evaluate({ role: a, action: 'bedrock:ApplyGuardrail', resourceArn: guardrailArn })).toBe('Allowed');
    expect(
      await evaluate({
        role: a,
        action: 'bedrock:ApplyGuardrail',
        resourceArn: `arn:aws:bedrock:${REGION}:${ACCOUNT}:guardrail/otherguardrl`,
      }),
    ).not.toBe('Allowed');
  });

  test('the knowledge-base role embeds without a guardrail (left out of the boundary’s deny); a role granted it through grantInvoke cannot; the knowledge-base role still needs a guardrail for Haiku', async () => {
    expect(await invoke(kb, EMBED)).toBe('Allowed');
    expect(await invoke(a, EMBED)).toBe('ExplicitlyDenied');
    expect(await invoke(kb, HAIKU)).toBe('ExplicitlyDenied');
    expect(await invoke(kb, HAIKU, identifier)).toBe('Allowed');
  });

  test('outside the boundary, the role’s own deny still refuses an invocation without its guardrail', async () => {
    expect(await invoke(unbounded, HAIKU, identifier)).toBe('Allowed');
    expect(await invoke(unbounded, HAIKU)).toBe('ExplicitlyDenied');
  });

  test('negative control: a plain grant outside the boundary invokes without a guardrail', async () => {
    expect(await invoke(plain, HAIKU)).toBe('Allowed');
  });
});
