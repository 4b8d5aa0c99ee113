/**
 * The admission gate's function code, both ways: from the package build it is the handler pre-bundled when
 * the package was built (a plain asset directory: nothing bundled at the consumer's synth, no esbuild, no
 * `.ts`); from this repository's sources it is handler.ts, bundled at synth (model-admission-gate.test.ts
 * covers that bundle). tools/package/consumer-smoke.sh checks the first against the real tarball.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { ModelAdmissionGate } from '../../constructs/integrity';
import {
  AdmissionHandlerCode,
  admissionHandlerCode,
  HANDLER_ENTRY,
  PREBUILT_HANDLER_DIRECTORY,
} from '../../constructs/integrity/private/admission-handler';
import { integrityFixture } from '../constructs/integrity/fixtures';

// The gate asks the locator where its code is; the tests answer for the package build or for the sources.
let located: AdmissionHandlerCode | undefined;
jest.mock('../../constructs/integrity/private/admission-handler', () => {
  const actual = jest.requireActual('../../constructs/integrity/private/admission-handler');
  return { ...actual, admissionHandlerCode: (dir: string) => located ?? actual.admissionHandlerCode(dir) };
});

const INTEGRITY_SOURCES = path.join(__dirname, '..', '..', 'constructs', 'integrity');
const PREBUILT_SOURCE = '"use strict";exports.handler=async()=>"pre-built";\n';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-admission-handler-'));
}

function gate(bundle: boolean) {
  const f = integrityFixture({ bundle });
  const g = new ModelAdmissionGate(f.stack, 'Gate', {
    modelsBucket: f.modelsBucket,
    signingKey: f.signingKey,
    network: f.network,
    logsKey: f.keys.logs.key,
  });
  return { ...f, gate: g };
}

describe('admissionHandlerCode', () => {
  const actual = jest.requireActual('../../constructs/integrity/private/admission-handler')
    .admissionHandlerCode as typeof admissionHandlerCode;

  test('next to the compiled gate of the package: the pre-built directory', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, PREBUILT_HANDLER_DIRECTORY));
    fs.writeFileSync(path.join(dir, PREBUILT_HANDLER_DIRECTORY, 'index.js'), PREBUILT_SOURCE);
    expect(actual(dir)).toEqual({ kind: 'prebuilt', directory: path.join(dir, PREBUILT_HANDLER_DIRECTORY) });
  });

  test("in this repository's sources: handler.ts, to bundle at synth", () => {
    expect(actual(INTEGRITY_SOURCES)).toEqual({ kind: 'source', entry: path.join(INTEGRITY_SOURCES, HANDLER_ENTRY) });
  });

  test('neither: an error naming both places and how the package is built', () => {
    const dir = tempDir();
    expect(() => actual(dir)).toThrow(/admission-handler\/index\.js.*npm run package.*admission\/handler\.ts/);
  });
});

describe('ModelAdmissionGate function code', () => {
  afterEach(() => {
    located = undefined;
  });

  test('from the package build: the pre-built handler as it is, never bundled (no esbuild, no Docker)', () => {
    const dir = path.join(tempDir(), PREBUILT_HANDLER_DIRECTORY);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'index.js'), PREBUILT_SOURCE);
    located = { kind: 'prebuilt', directory: dir };
    const previous = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/nonexistent/docker';
    try {
      const f = gate(true);
      expect(f.gate.function).not.toBeInstanceOf(nodejs.NodejsFunction);
      const fn = f.gate.function.node.defaultChild as lambda.CfnFunction;
      const assembly = f.app.synth();
      const code = f.stack.resolve(fn.code) as { s3Key: string };
      const asset = path.join(assembly.directory, `asset.${code.s3Key.replace(/\.zip$/, '')}`);
      expect(fs.readdirSync(asset)).toEqual(['index.js']);
      expect(fs.readFileSync(path.join(asset, 'index.js'), 'utf8')).toBe(PREBUILT_SOURCE);
      Template.fromStack(f.stack).hasResourceProperties('AWS::Lambda::Function', {
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
      });
    } finally {
      if (previous === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = previous;
    }
  });

  test('the same function either way: only its code differs', () => {
    const dir = path.join(tempDir(), PREBUILT_HANDLER_DIRECTORY);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'index.js'), PREBUILT_SOURCE);
    const fromSources = gate(false);
    located = { kind: 'prebuilt', directory: dir };
    const fromPackage = gate(false);
    expect(fromSources.gate.function).toBeInstanceOf(nodejs.NodejsFunction);
    const withoutCode = (f: ReturnType<typeof gate>) => {
      const resources = Template.fromStack(f.stack).toJSON().Resources as Record<string, { Properties?: object }>;
      return JSON.parse(
        JSON.stringify(resources, (key, value) => (key === 'Code' || key === 'Metadata' ? undefined : value)),
      );
    };
    expect(withoutCode(fromPackage)).toEqual(withoutCode(fromSources));
  });
});
