import { assemblyResources, firstUserFrame, loadAssembly } from '../../../tools/review/assembly';
import { AssemblyResolver } from '../../../tools/review/intrinsics';
import { writeAssembly } from './helpers';

describe('loadAssembly', () => {
  test('throws naming the directory when it is not a cloud assembly', () => {
    expect(() => loadAssembly('/nonexistent-dir')).toThrow(
      /nonexistent-dir is not a cloud assembly: manifest.json not found/,
    );
  });

  test('reads stacks, environment and templates', () => {
    const dir = writeAssembly({ One: { Resources: { B: { Type: 'AWS::S3::Bucket' } } } });
    const assembly = loadAssembly(dir);
    expect(assembly.stacks.map((s) => [s.stackName, s.account, s.region, s.templateFile])).toEqual([
      ['One', '111111111111', 'us-east-1', 'One.template.json'],
    ]);
    expect(assemblyResources(assembly).map((r) => [r.logicalId, r.type, r.constructPath])).toEqual([
      ['B', 'AWS::S3::Bucket', undefined],
    ]);
    expect(assembly.validationReport).toBeUndefined();
  });
});

describe('firstUserFrame', () => {
  test('skips library and node frames and parses CDK condensed traces', () => {
    expect(
      firstUserFrame([
        '...new Bucket in aws-cdk-lib...',
        'at Object.<anonymous> (/repo/node_modules/x/y.js:1:2)',
        'node:internal/modules/cjs/loader:1:1',
        '<anonymous> (/repo/bin/app.ts:21:13)',
      ]),
    ).toEqual({ file: '/repo/bin/app.ts', line: 21, column: 13 });
  });

  test('returns undefined when no frame is user code', () => {
    expect(
      firstUserFrame(['...aws-cdk-lib...', '(no user code in 10 frames, use --stack-trace-limit to capture more)']),
    ).toBeUndefined();
  });
});

describe('AssemblyResolver', () => {
  const dir = writeAssembly({
    Producer: {
      Resources: {
        Bucket: { Type: 'AWS::S3::Bucket' },
        Named: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'literal-name' } },
        Key: { Type: 'AWS::KMS::Key' },
      },
      Outputs: {
        BucketArn: { Value: { 'Fn::GetAtt': ['Bucket', 'Arn'] }, Export: { Name: 'Producer:BucketArn' } },
        KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] } },
      },
      Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
      Parameters: { Stage: { Type: 'String', Default: 'prod' } },
    },
    Consumer: { Resources: {} },
  });
  const assembly = loadAssembly(dir);
  const producer = assembly.stacks.find((s) => s.stackName === 'Producer')!;
  const consumer = assembly.stacks.find((s) => s.stackName === 'Consumer')!;

  test('a reference resolves the same way in its own stack, through an export and through a stack output', () => {
    const resolver = new AssemblyResolver(assembly);
    const own = resolver.resolve(producer, { 'Fn::GetAtt': ['Bucket', 'Arn'] });
    expect(own).toBe('arn:aws:s3:::producer-bucket');
    expect(resolver.resolve(consumer, { 'Fn::ImportValue': 'Producer:BucketArn' })).toBe(own);
    expect(
      resolver.resolve(consumer, { 'Fn::GetStackOutput': { StackName: 'Producer', OutputName: 'BucketArn' } }),
    ).toBe(own);
    expect(
      resolver.resolve(consumer, { 'Fn::GetStackOutput': { StackName: 'Producer', OutputName: 'KeyArn' } }),
    ).toMatch(/^arn:aws:kms:us-east-1:111111111111:key\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(resolver.unresolved.size).toBe(0);
  });

  test('literal names win over derived ones', () => {
    const resolver = new AssemblyResolver(assembly);
    expect(resolver.resolve(producer, { Ref: 'Named' })).toBe('literal-name');
  });

  test('Join, Sub, Select, Split, If, pseudo parameters and NoValue', () => {
    const resolver = new AssemblyResolver(assembly);
    expect(
      resolver.resolve(producer, {
        joined: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Bucket' }, '/a/*']] },
        sub: { 'Fn::Sub': ['${Bucket.Arn}/${Prefix}/${AWS::Region}/${!Literal}', { Prefix: 'p' }] },
        selected: { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] },
        cond: { 'Fn::If': ['IsProd', 'yes', 'no'] },
        gone: { Ref: 'AWS::NoValue' },
        list: ['x', { Ref: 'AWS::NoValue' }, { Ref: 'AWS::AccountId' }],
      }),
    ).toEqual({
      joined: 'arn:aws:s3:::producer-bucket/a/*',
      sub: 'arn:aws:s3:::producer-bucket/p/us-east-1/${Literal}',
      selected: 'b',
      cond: 'yes',
      list: ['x', '111111111111'],
    });
  });

  test('what it cannot resolve becomes a named placeholder and is remembered', () => {
    const resolver = new AssemblyResolver(assembly);
    expect(resolver.resolve(consumer, { 'Fn::ImportValue': 'Missing:Export' })).toBe(
      'unresolved:ImportValue:Missing:Export',
    );
    expect(resolver.resolve(consumer, { 'Fn::GetAtt': ['Nope', 'Arn'] })).toBe('unresolved:GetAtt:Consumer.Nope.Arn');
    expect([...resolver.unresolved].sort()).toEqual(['GetAtt Consumer.Nope.Arn', 'ImportValue Missing:Export']);
  });
});
