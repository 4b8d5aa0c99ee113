import { Stack, Token } from 'aws-cdk-lib';
import {
  BedrockModel,
  FOUNDATION_MODEL_ID_PATTERN,
  INFERENCE_PROFILE_ID_PATTERN,
  modelResourceArns,
} from '../../../constructs/genai/bedrock-model';

const stack = new Stack();
const resolved = (arns: string[]) => stack.resolve(arns);

describe('BedrockModel', () => {
  test.each([
    'anthropic.claude-3-haiku-20240307-v1:0',
    'amazon.titan-embed-text-v2:0',
    'meta.llama3-8b-instruct-v1:0',
    'amazon.nova-pro-v1:0',
    'cohere.embed-english-v3',
  ])('%s is a foundation-model id', (id) => {
    expect(FOUNDATION_MODEL_ID_PATTERN.test(id)).toBe(true);
    const m = BedrockModel.fromId(id);
    expect(m.isInferenceProfile).toBe(false);
    expect(m.foundationModelId).toBe(id);
  });

  test('a foundation model is authorized on its ARN in this Region, with no account', () => {
    const m = BedrockModel.fromId('anthropic.claude-3-haiku-20240307-v1:0');
    expect(resolved(m.resourceArns)).toEqual([
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':bedrock:',
            { Ref: 'AWS::Region' },
            '::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
          ],
        ],
      },
    ]);
  });

  test('an inference profile is authorized on its own ARN (this account) and its foundation model in any Region', () => {
    const m = BedrockModel.fromId('eu.anthropic.claude-3-haiku-20240307-v1:0');
    expect(INFERENCE_PROFILE_ID_PATTERN.test(m.modelId)).toBe(true);
    expect(m.isInferenceProfile).toBe(true);
    expect(m.foundationModelId).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(resolved(m.resourceArns)).toEqual([
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':bedrock:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0',
          ],
        ],
      },
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0'],
        ],
      },
    ]);
  });

  test('modelResourceArns lists each ARN once', () => {
    const m = BedrockModel.fromId('amazon.titan-embed-text-v2:0');
    expect(modelResourceArns([m, m])).toHaveLength(1);
  });

  describe('an unknown model id format fails, naming the id and the allowed forms', () => {
    test.each([
      'claude-3-haiku',
      'Anthropic.Claude-3',
      'arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      'xx.anthropic.claude-3-haiku-20240307-v1:0:0:0',
      'anthropic.*',
      '',
    ])('%p', (id) => {
      expect(() => BedrockModel.fromId(id)).toThrow(
        new RegExp(
          `model id '${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is not a Bedrock model id: expected a foundation-model id '<provider>.<model>\\[:<version>\\]'.*inference profile '<us\\|us-gov\\|eu`,
        ),
      );
    });

    test('a token: the id must be known at synth', () => {
      expect(() => BedrockModel.fromId(Token.asString({ Ref: 'ModelId' }))).toThrow(
        /BedrockModel.fromId: modelId must be a literal id, got a token/,
      );
    });
  });
});
