import { DEFAULT_PLATFORM_CONFIG } from '../../lib/config/default-config';
import { validatePlatformConfig } from '../../lib/config/validate-config';
import { problemsOf } from '../helpers/config-problems';

/*
 * A `genai` workload: its Bedrock models, its guardrail's settings and its retrieval. Each negative
 * case breaks ONE field of a valid genai workload appended to the embedded default and expects exactly
 * one problem naming the field path, the value received and what is allowed.
 */

type Raw = Record<string, unknown>;

const GENAI: Raw = {
  name: 'helpdesk',
  kind: 'genai',
  genai: {
    models: ['anthropic.claude-3-haiku-20240307-v1:0', 'eu.anthropic.claude-3-5-sonnet-20240620-v1:0'],
    guardrail: {
      contentFilters: { insults: 'MEDIUM' },
      pii: { action: 'BLOCK', entities: ['EMAIL', 'PHONE'] },
      deniedTopics: [{ name: 'Legal advice', definition: 'Advice on lawsuits.', examples: ['Should I sue?'] }],
    },
    retrieval: { knowledgeBase: true },
  },
};

/** The default without its api section, plus the genai workload with `genai` fields replaced (undefined removes). */
function withGenai(workload: Raw = {}, genai: Raw = {}): Raw {
  const { api: _api, ...rest } = JSON.parse(JSON.stringify(DEFAULT_PLATFORM_CONFIG));
  const g = { ...(GENAI.genai as Raw), ...genai };
  return JSON.parse(JSON.stringify({ ...rest, workloads: [...rest.workloads, { ...GENAI, genai: g, ...workload }] }));
}
const withGuardrail = (guardrail: Raw): Raw =>
  withGenai({}, { guardrail: { ...((GENAI.genai as Raw).guardrail as Raw), ...guardrail } });

/** The appended genai workload's position: after the embedded default's reference workloads. */
const INDEX = DEFAULT_PLATFORM_CONFIG.workloads.length;
const AT = `workloads[${INDEX}]`;

describe('a genai workload', () => {
  test('is accepted with its models, guardrail and retrieval, unchanged', () => {
    const config = validatePlatformConfig(withGenai());
    const w = config.workloads[INDEX];
    expect(w.kind).toBe('genai');
    expect(w.genai).toEqual(GENAI.genai);
  });

  test('needs only models', () => {
    const config = validatePlatformConfig(withGenai({}, { guardrail: undefined, retrieval: undefined }));
    expect(config.workloads[INDEX].genai).toEqual({ models: (GENAI.genai as Raw).models });
  });

  test('the prompt-attack filter may be turned off with the explicit loosening field', () => {
    expect(() =>
      validatePlatformConfig(withGuardrail({ promptAttack: 'NONE', allowNoPromptAttackFilter: true })),
    ).not.toThrow();
  });

  test.each<[string, Raw, string, RegExp]>([
    [
      'no genai section',
      withGenai({ genai: undefined }),
      `${AT}.genai`,
      /a 'genai' workload needs genai.models.*got none/,
    ],
    [
      'no models',
      withGenai({}, { models: undefined }),
      `${AT}.genai.models`,
      /required: the Bedrock models the workload invokes, got none/,
    ],
    [
      'an empty model list',
      withGenai({}, { models: [] }),
      `${AT}.genai.models`,
      /must be a non-empty list of Bedrock model ids, got \[\]/,
    ],
    [
      'an unknown model id format (an ARN)',
      withGenai({}, { models: ['arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0'] }),
      `${AT}.genai.models[0]`,
      /^(?=.*got 'arn:aws:bedrock:)(?=.*must be a Bedrock model id: a foundation model '<provider>.<model>\[:<version>\]')/,
    ],
    [
      'an unknown model id format (no provider)',
      withGenai({}, { models: ['claude-3-haiku'] }),
      `${AT}.genai.models[0]`,
      /^(?=.*got 'claude-3-haiku')(?=.*or an inference profile '<us\|us-gov\|eu)/,
    ],
    [
      'the prompt-attack filter off without the loosening field',
      withGuardrail({ promptAttack: 'NONE' }),
      `${AT}.genai.guardrail.promptAttack`,
      /'NONE' turns off prompt-attack filtering; set allowNoPromptAttackFilter: true/,
    ],
    [
      'an unknown strength',
      withGuardrail({ promptAttack: 'MAXIMUM' }),
      `${AT}.genai.guardrail.promptAttack`,
      /^(?=.*got 'MAXIMUM')(?=.*NONE, LOW, MEDIUM, HIGH)/,
    ],
    [
      'an empty content filter set',
      withGuardrail({
        contentFilters: { hate: 'NONE', insults: 'NONE', sexual: 'NONE', violence: 'NONE', misconduct: 'NONE' },
      }),
      `${AT}.genai.guardrail.contentFilters`,
      /every content filter is NONE .*an empty filter set/,
    ],
    [
      'an unknown content filter',
      withGuardrail({ contentFilters: { spam: 'HIGH' } }),
      `${AT}.genai.guardrail.contentFilters.spam`,
      /not a content filter category \(hate, insults, sexual, violence, misconduct\)/,
    ],
    [
      'an empty PII filter set',
      withGuardrail({ pii: { action: 'ANONYMIZE', entities: [] } }),
      `${AT}.genai.guardrail.pii.entities`,
      /must be a non-empty list of PII entity types \(an empty list is an empty filter set\), got \[\]/,
    ],
    [
      'an unknown PII action',
      withGuardrail({ pii: { action: 'MASK' } }),
      `${AT}.genai.guardrail.pii.action`,
      /^(?=.*got 'MASK')(?=.*ANONYMIZE, BLOCK)/,
    ],
    [
      'an unknown PII entity',
      withGuardrail({ pii: { action: 'BLOCK', entities: ['SHOE_SIZE'] } }),
      `${AT}.genai.guardrail.pii.entities[0]`,
      /^(?=.*got 'SHOE_SIZE')(?=.*ADDRESS, AGE)/,
    ],
    [
      'a denied topic without a definition',
      withGuardrail({ deniedTopics: [{ name: 'Legal advice' }] }),
      `${AT}.genai.guardrail.deniedTopics[0].definition`,
      /required: what the topic is \(1-200 characters\), got none/,
    ],
    [
      'a denied topic with a bad name',
      withGuardrail({ deniedTopics: [{ name: 'no/slashes', definition: 'x' }] }),
      `${AT}.genai.guardrail.deniedTopics[0].name`,
      /^(?=.*got 'no\/slashes')(?=.*must be 1-100 letters, digits, spaces and -_!\?\.)/,
    ],
    [
      'a bad embedding model',
      withGenai({}, { retrieval: { knowledgeBase: true, embeddingModel: 'titan' } }),
      `${AT}.genai.retrieval.embeddingModel`,
      /^(?=.*got 'titan')(?=.*must be a Bedrock foundation-model id such as 'amazon.titan-embed-text-v2:0')/,
    ],
    [
      'an unknown retrieval field',
      withGenai({}, { retrieval: { index: 'x' } }),
      `${AT}.genai.retrieval.index`,
      /unknown field of retrieval/,
    ],
    [
      'an instance type on a genai workload',
      withGenai({ instanceType: 'g5.xlarge' }),
      `${AT}.instanceType`,
      /a 'genai' workload runs without an instance type/,
    ],
  ])('rejects %s', (_title, raw, field, message) => {
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(`${field}: `)).toBe(true);
    expect(problems[0]).toMatch(message);
  });

  test('a genai section on another kind is rejected', () => {
    const { api: _api, ...rest } = JSON.parse(JSON.stringify(DEFAULT_PLATFORM_CONFIG));
    rest.workloads[2] = { ...rest.workloads[2], genai: GENAI.genai };
    const problems = problemsOf(rest);
    expect(problems).toEqual([
      expect.stringMatching(/^workloads\[2\].genai: only a 'genai' workload has a genai section; remove it/),
    ]);
  });

  test('every problem at once', () => {
    const problems = problemsOf(
      withGenai({}, { models: ['nope'], guardrail: { promptAttack: 'NONE', pii: { action: 'BLOCK', entities: [] } } }),
    );
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      `${AT}.genai.guardrail.pii.entities`,
      `${AT}.genai.guardrail.promptAttack`,
      `${AT}.genai.models[0]`,
    ]);
  });
});
