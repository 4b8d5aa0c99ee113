import { filterPatternMatches, parseFilterPattern } from '../../../tools/review/filter-pattern';

/** The CloudWatch Logs JSON filter syntax (FilterAndPatternSyntax.html), the part the security alarms use. */
describe('filterPatternMatches', () => {
  const event = {
    eventSource: 'bedrock.amazonaws.com',
    eventName: 'InvokeModelWithResponseStream',
    userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::1:role/app' } } },
    resources: [{ ARN: 'arn:aws:kms:eu-west-1:1:key/k' }],
  };

  test.each([
    ['{ $.eventName = "InvokeModelWithResponseStream" }', true],
    ['{ $.eventName = "InvokeModel" }', false],
    ['{ $.eventName = "InvokeModel*" }', true],
    ['{ $.eventName = "*Stream" }', true],
    ['{ $.eventName = "*Response*" }', true],
    ['{ $.eventName = "Invoke*Stream" }', false], // a wildcard inside a value is a literal
    ['{ $.eventName != "InvokeModel" }', true],
    ['{ $.resources[0].ARN = "arn:aws:kms:*" }', true],
    ['{ $.resources[0].ARN = "arn:aws:s3:*" }', false],
    ['{ $.resources[0].ARN = "arn:aws:kms:eu-west-1:1:key/k" }', true],
    ['{ $.resources[1].ARN = "*" }', false],
    ['{ $.userIdentity.invokedBy NOT EXISTS }', true],
    ['{ $.userIdentity.type NOT EXISTS }', false],
    ['{ $.errorCode != "AccessDenied" }', false], // a condition on an absent field is false
    ['{ ($.eventSource = "s3.amazonaws.com") || ($.eventName = "Invoke*") }', true],
    ['{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "Invoke*") }', false],
    ['{ $.eventSource = "x" && $.eventName = "y" || $.userIdentity.type = "AssumedRole" }', true], // && binds tighter
    [
      '{ (($.userIdentity.type != "AssumedRole") || ($.userIdentity.sessionContext.sessionIssuer.arn != "arn:aws:iam::1:role/app")) }',
      false,
    ],
  ])('%s → %s', (pattern, matches) => {
    expect(filterPatternMatches(pattern, event)).toBe(matches);
  });

  test.each([
    ['$.eventName = "x"', /enclosed in \{ \}/],
    ['{ $.eventName ~ "x" }', /cannot read/],
    ['{ $.eventName = x }', /cannot read|expected a quoted value/],
    ['{ ($.eventName = "x" }', /expected \)/],
    ['{ $.eventName > "x" }', /cannot read|unsupported operator/],
  ])('refuses %s rather than not matching', (pattern, message) => {
    expect(() => parseFilterPattern(pattern)).toThrow(message);
  });
});
