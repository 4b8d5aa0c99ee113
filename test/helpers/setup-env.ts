// Unit tests synthesize small stacks; the built-in CloudFormation validator costs ~1.5 s to start
// and is exercised by the reference-app test, which turns it back on explicitly.
process.env.CDK_VALIDATION ??= 'false';
