/**
 * The delivery mode as `npx cdk synth -c config=test/lib/fixtures/delivery.yaml` runs it: the real app
 * (bin/zero-trust-ai.ts) in a child process with no AWS environment variable and no AWS configuration,
 * every validator on. Then what the issue asks of it: every validator reaches the pipeline stack and
 * every stage (with a negative control per validator and stack), the connection ARN is checked at
 * synth, the pipeline roles' service trusts carry only the context keys their services send, and the
 * policy review's widened-access exit code fails its step and so blocks the promotion.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { loadPlatformConfig } from '../../lib/config/load-config';
import { ConfigValidationError, validatePlatformConfig } from '../../lib/config/validate-config';
import { PlatformPipelineStack, REVIEW_EXIT_NEEDS_REVIEW } from '../../lib/delivery';
import { SERVICE_TRUST_CONTEXT, trustForThisAccount } from '../../lib/delivery/private/pipeline-hardening';
import type { Platform } from '../../lib/platform-app';
import { registerValidations } from '../../lib/validation/register-validations';
import { EXIT_NEEDS_REVIEW } from '../../tools/review/review';
import { simulateRequest } from '../../tools/review/simulate';
import { CDK_CONTEXT, resourcesOfType } from '../helpers/stacks';

/**
 * CDK Pipelines synthesizes a stage when it is added to the pipeline, inside PlatformPipelineStack's
 * constructor: a stage can only be tampered with while it is built. buildPlatform is wrapped to call
 * `mockAfterBuild` (the negative control sets it) on each platform it builds.
 */
const mockAfterBuild: { hook?: (platform: Platform) => void } = {};
jest.mock('../../lib/platform-app', () => {
  const actual = jest.requireActual('../../lib/platform-app');
  return {
    ...actual,
    buildPlatform: (...args: Parameters<typeof actual.buildPlatform>) => {
      const platform = actual.buildPlatform(...args);
      mockAfterBuild.hook?.(platform);
      return platform;
    },
  };
});

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE = 'test/lib/fixtures/delivery.yaml';
const TOOLING = '111111111111';
const REGION = 'eu-west-1';

type Json = any;

interface PluginReport {
  pluginName: string;
  conclusion: string;
  violations: { ruleName: string; violatingConstructs: { constructPath?: string }[] }[];
  suppressedViolations?: { ruleName: string; violatingConstructs: { constructPath?: string }[] }[];
}

function report(outdir: string): PluginReport[] {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')).pluginReports;
}

/** `rule at path` for every open finding of a plugin. */
function findings(reports: PluginReport[], plugin: string): string[] {
  const r = reports.find((p) => p.pluginName === plugin);
  return (r?.violations ?? []).flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`));
}

/**
 * `npx cdk synth` of the fixture, as the CLI runs the app (context and output directory through
 * CDK_CONTEXT_JSON and CDK_OUTDIR), in an environment with no AWS_* variable and a HOME without
 * ~/.aws: nothing to look anything up with.
 */
function synthLikeTheCli(): { outdir: string; status: number | null; output: string; env: NodeJS.ProcessEnv } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-delivery-cli-'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-delivery-home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_CONTEXT, config: FIXTURE }),
  };
  const run = spawnSync(
    process.execPath,
    [require.resolve('ts-node/dist/bin'), '--transpile-only', '--prefer-ts-exts', 'bin/zero-trust-ai.ts'],
    { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return { outdir, status: run.status, output: `${run.stdout}\n${run.stderr}`, env };
}

describe('delivery mode synthesized like `npx cdk synth -c config=test/lib/fixtures/delivery.yaml`', () => {
  let cli: ReturnType<typeof synthLikeTheCli>;
  let assembly: CloudAssembly;
  let pipelineTemplate: Json;
  beforeAll(() => {
    cli = synthLikeTheCli();
    assembly = new CloudAssembly(cli.outdir);
    pipelineTemplate = assembly.getStackByName('ztai-pipeline').template;
  }, 600_000);

  test('exits 0 with no AWS environment variable and no AWS configuration', () => {
    expect({ status: cli.status, output: cli.status === 0 ? '' : cli.output }).toEqual({ status: 0, output: '' });
    expect(Object.keys(cli.env).sort()).toEqual(['CDK_CONTEXT_JSON', 'CDK_OUTDIR', 'HOME', 'PATH']);
    expect(fs.readdirSync(cli.env.HOME!)).not.toContain('.aws');
  });

  test('looks nothing up: no missing context, every stack in a concrete account and region', () => {
    expect(assembly.manifest.missing ?? []).toEqual([]);
    const stacks = assembly.stacksRecursively;
    expect(stacks.length).toBeGreaterThan(10);
    for (const stack of stacks) {
      expect(stack.environment.account).toMatch(/^\d{12}$/);
      expect(stack.environment.region).toBe(REGION);
    }
  });

  test('every nag pack ran on the pipeline stack and on every stage, with no open finding', () => {
    const reports = report(cli.outdir);
    const packs = ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321', 'Serverless'];
    for (const pack of packs) {
      const r = reports.find((p) => p.pluginName === pack)!;
      expect({ pack, conclusion: r.conclusion, open: r.violations.length }).toEqual({
        pack,
        conclusion: 'success',
        open: 0,
      });
    }
    // Reached: acknowledged findings on constructs of the pipeline stack itself and of each stage.
    const acknowledgedAt = reports
      .filter((r) => packs.includes(r.pluginName))
      .flatMap((r) => r.suppressedViolations ?? [])
      .flatMap((v) => v.violatingConstructs.map((c) => c.constructPath ?? ''));
    for (const scope of [
      'ztai-pipeline/Boundary/',
      'ztai-pipeline/Dev/',
      'ztai-pipeline/Staging/',
      'ztai-pipeline/Production/',
    ]) {
      expect(acknowledgedAt.some((p) => p.startsWith(scope))).toBe(true);
    }
    // The built-in validator and the Guard rules report only what they find: none open here, and one
    // acknowledgement, on the role of CodePipeline, which sends no aws:SourceAccount (pipeline-hardening.ts).
    const validate = reports.find((p) => p.pluginName === 'CloudFormation Validate');
    expect(validate?.violations ?? []).toEqual([]);
    expect(
      (validate?.suppressedViolations ?? []).map(
        (v: Json) => `${v.ruleName} at ${v.violatingConstructs[0].constructPath}`,
      ),
    ).toEqual(['ZTAI_ACCESS_TRUST_SOURCE_ACCOUNT at ztai-pipeline/Pipeline/Pipeline/Role/Resource']);
  });

  describe('the service trusts of the pipeline roles carry only the keys their service sends', () => {
    const roles = () =>
      resourcesOfType(pipelineTemplate, 'AWS::IAM::Role').flatMap(([id, r]) =>
        (r.Properties.AssumeRolePolicyDocument.Statement as Json[])
          .filter((s) => s.Principal?.Service)
          .map((s) => ({
            id,
            service: s.Principal.Service as string,
            statement: s,
            trust: r.Properties.AssumeRolePolicyDocument,
          })),
      );

    test('CodeBuild: aws:SourceAccount of the tooling account; CodePipeline: no condition', () => {
      const services = new Set(roles().map((r) => r.service));
      expect([...services].sort()).toEqual(['codebuild.amazonaws.com', 'codepipeline.amazonaws.com']);
      for (const { service, statement } of roles()) {
        if (service === 'codebuild.amazonaws.com') {
          expect(statement.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': TOOLING } });
        } else {
          expect(statement.Condition).toBeUndefined();
        }
      }
    });

    /** sts:AssumeRole by the service, evaluated against the role's trust policy, with `context`. */
    const assume = async (service: string, trust: Json, context: Record<string, string>) =>
      (
        await simulateRequest({
          principal: { service },
          action: 'sts:AssumeRole',
          resource: `arn:aws:iam::${TOOLING}:role/ztai-pipeline-role`,
          resourceAccount: TOOLING,
          context: { 'aws:PrincipalIsAWSService': 'true', 'aws:PrincipalServiceName': service, ...context },
          resourcePolicy: trust,
        })
      ).decision;

    test('CodeBuild assumes its roles for a project of the tooling account, not of another', async () => {
      const codebuild = roles().filter((r) => r.service === 'codebuild.amazonaws.com');
      expect(codebuild.length).toBeGreaterThan(3);
      // https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html: the project's
      // owner (aws:SourceAccount) and ARN (aws:SourceArn).
      const project = (account: string) => ({
        'aws:SourceAccount': account,
        'aws:SourceArn': `arn:aws:codebuild:${REGION}:${account}:project/ztai-build`,
      });
      for (const { trust } of codebuild) {
        expect(await assume('codebuild.amazonaws.com', trust, project(TOOLING))).toBe('Allowed');
        expect(await assume('codebuild.amazonaws.com', trust, project('999999999999'))).toBe('ImplicitlyDenied');
      }
    });

    test('CodePipeline, which documents no source key, can assume its role (negative control: with the condition it could not)', async () => {
      const [pipeline] = roles().filter((r) => r.service === 'codepipeline.amazonaws.com');
      expect(await assume('codepipeline.amazonaws.com', pipeline.trust, {})).toBe('Allowed');
      const conditioned = trustForThisAccount(pipeline.trust, TOOLING);
      expect(conditioned).toEqual(pipeline.trust);
      const blocked = {
        ...pipeline.trust,
        Statement: [{ ...pipeline.statement, Condition: { StringEquals: { 'aws:SourceAccount': TOOLING } } }],
      };
      expect(await assume('codepipeline.amazonaws.com', blocked, {})).toBe('ImplicitlyDenied');
    });

    test('a service the table does not know fails the synth instead of getting a guessed condition', () => {
      expect(Object.keys(SERVICE_TRUST_CONTEXT).sort()).toEqual([
        'codebuild.amazonaws.com',
        'codepipeline.amazonaws.com',
      ]);
      const trust = {
        Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'events.amazonaws.com' } }],
      };
      expect(() => trustForThisAccount(trust, TOOLING)).toThrow(
        /service principal \["events.amazonaws.com"\] is not in SERVICE_TRUST_CONTEXT \(allowed: codebuild.amazonaws.com, codepipeline.amazonaws.com\)/,
      );
    });
  });

  describe('the policy review step: exit 3 (widened access) fails the step and blocks the promotion', () => {
    /** The build commands of the review project of one environment, as CodeBuild gets them. */
    const reviewCommands = (environment: string): string[] => {
      const [, project] = resourcesOfType(pipelineTemplate, 'AWS::CodeBuild::Project').find(([id]) =>
        id.includes(`PolicyReview${environment}`),
      )!;
      return JSON.parse(project.Properties.Source.BuildSpec).phases.build.commands;
    };

    test('the step runs the review on its stage and nothing that could swallow its exit code', () => {
      expect(REVIEW_EXIT_NEEDS_REVIEW).toBe(EXIT_NEEDS_REVIEW);
      expect(reviewCommands('dev')).toEqual([
        'npm ci',
        'if [ -d review-baseline/dev ]; then BASELINE="--baseline review-baseline/dev"; else BASELINE=""; fi',
        'npm run review -- --assembly cdk.out/assembly-ztai-pipeline-Dev --out review/dev $BASELINE',
      ]);
      for (const command of ['dev', 'staging', 'production'].flatMap(reviewCommands)) {
        expect(command).not.toMatch(/\|\||set \+e|; *true|\| *tee|&\s*$/);
      }
    });

    /**
     * The commands run as CodeBuild runs a build phase (buildspec 0.2): one shell for the phase; when a
     * command exits non-zero CodeBuild skips the phase's remaining commands and the phase, and so the
     * build, fails ("If any command in a phase fails, the phase fails":
     * https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html). `npm` is a stub
     * that records its arguments and exits with STUB_EXIT for `npm run review`.
     */
    function runPhase(commands: string[], reviewExit: number, withBaseline: boolean) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-review-step-'));
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.writeFileSync(
        path.join(dir, 'bin', 'npm'),
        '#!/bin/sh\necho "$@" >> "$NPM_LOG"\nif [ "$1" = "run" ]; then exit "$STUB_EXIT"; fi\nexit 0\n',
        { mode: 0o755 },
      );
      if (withBaseline) fs.mkdirSync(path.join(dir, 'review-baseline', 'dev'), { recursive: true });
      const script = commands
        .map((c) => `${c}\nrc=$?; if [ $rc -ne 0 ]; then echo "phase failed: exit $rc"; exit $rc; fi`)
        .concat(['echo "phase succeeded"'])
        .join('\n');
      const run = spawnSync('bash', ['-c', script], {
        cwd: dir,
        env: {
          PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
          NPM_LOG: path.join(dir, 'npm.log'),
          STUB_EXIT: String(reviewExit),
        },
        encoding: 'utf8',
      });
      const npmCalls = fs.readFileSync(path.join(dir, 'npm.log'), 'utf8').trim().split('\n');
      fs.rmSync(dir, { recursive: true, force: true });
      return { status: run.status, stdout: run.stdout.trim(), npmCalls };
    }

    test('the review exits 3: the phase fails with 3, the build fails', () => {
      const run = runPhase(reviewCommands('dev'), EXIT_NEEDS_REVIEW, true);
      expect(run).toEqual({
        status: 3,
        stdout: 'phase failed: exit 3',
        npmCalls: [
          'ci',
          'run review -- --assembly cdk.out/assembly-ztai-pipeline-Dev --out review/dev --baseline review-baseline/dev',
        ],
      });
    });

    test('the review exits 0: the phase succeeds (without a baseline, nothing to compare)', () => {
      const run = runPhase(reviewCommands('dev'), 0, false);
      expect(run.status).toBe(0);
      expect(run.npmCalls[1]).toBe('run review -- --assembly cdk.out/assembly-ztai-pipeline-Dev --out review/dev');
    });

    test('npm run passes the script’s exit code 3 through (not npm’s generic 1)', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-npm-exit-'));
      fs.writeFileSync(path.join(dir, 'review.js'), `process.exit(${EXIT_NEEDS_REVIEW});\n`);
      fs.writeFileSync(
        path.join(dir, 'package.json'),
        JSON.stringify({ name: 'exit-code', version: '1.0.0', scripts: { review: 'node review.js' } }),
      );
      const run = spawnSync('npm', ['run', 'review', '--', '--assembly', 'cdk.out/x'], { cwd: dir, encoding: 'utf8' });
      fs.rmSync(dir, { recursive: true, force: true });
      expect(run.status).toBe(EXIT_NEEDS_REVIEW);
    });

    test('the failed review action comes before every deploy action of its stage: the stage fails before deploying', () => {
      // Actions with a higher runOrder run after the lower ones, in series
      // (https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-pipeline-structure.html), and
      // a stage with a failed action fails and does not transition to the next stage
      // (https://docs.aws.amazon.com/codepipeline/latest/userguide/actions-retry.html).
      const [, pipeline] = resourcesOfType(pipelineTemplate, 'AWS::CodePipeline::Pipeline')[0];
      for (const stage of (pipeline.Properties.Stages as Json[]).filter((s) =>
        ['Dev', 'Staging', 'Production'].includes(s.Name),
      )) {
        const review = (stage.Actions as Json[]).find((a) => a.Name.startsWith('PolicyReview'));
        const later = (stage.Actions as Json[]).filter((a) => a !== review);
        expect(later.length).toBeGreaterThan(0);
        for (const action of later) expect(action.RunOrder).toBeGreaterThan(review.RunOrder);
      }
    });
  });
});

describe('every validator in a pipeline-mode synth: negative controls on the pipeline stack and a stage', () => {
  test('a finding of the nag packs, the Guard rules and the built-in validator in either fails the synth', () => {
    const base = loadPlatformConfig(path.join(ROOT, FIXTURE));
    const pipeline = base.delivery!.pipeline!;
    // One environment is enough to show a stage is checked; dev keeps the synth short.
    const config = { ...base, delivery: { pipeline: { ...pipeline, environments: [pipeline.environments[0]] } } };
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-delivery-negative-'));
    const previous = process.env.CDK_VALIDATION;
    process.env.CDK_VALIDATION = 'true';
    // Stage: a model without network isolation (Guard) and a bucket without encryption (nag).
    mockAfterBuild.hook = (platform) => {
      (platform.computes.get('fraud-scoring')!.endpoint!.model as sagemaker.CfnModel).addPropertyDeletionOverride(
        'EnableNetworkIsolation',
      );
      new s3.Bucket(platform.platform, 'UnsafeBucket', { encryption: s3.BucketEncryption.UNENCRYPTED });
    };
    try {
      const app = new App({ outdir, context: CDK_CONTEXT });
      const stack = new PlatformPipelineStack(app, 'ztai-pipeline', { config, configFile: FIXTURE });
      registerValidations(app);
      // Pipeline stack: a bucket without encryption (nag, Guard) and a property CloudFormation does not know (built-in).
      new s3.Bucket(stack, 'UnsafeBucket', { encryption: s3.BucketEncryption.UNENCRYPTED });
      (stack.pipeline.pipeline.node.defaultChild as codepipeline.CfnPipeline).addPropertyOverride('NotAProperty', true);
      expect(() => app.synth()).toThrow(/CloudFormation Validate/);
    } finally {
      mockAfterBuild.hook = undefined;
      if (previous === undefined) delete process.env.CDK_VALIDATION;
      else process.env.CDK_VALIDATION = previous;
    }
    const reports = report(outdir);
    const guard = findings(reports, 'CloudFormation Validate');
    expect(guard).toEqual(
      expect.arrayContaining([
        'F3002 at ztai-pipeline/Pipeline/Pipeline/Resource',
        'ZTAI_ENCRYPTION_S3_KMS at ztai-pipeline/UnsafeBucket/Resource',
        expect.stringMatching(
          /^ZTAI_ISOLATION_SAGEMAKER_MODEL_NETWORK_ISOLATION at ztai-pipeline\/Dev\/ztai-workload-fraud-scoring\//,
        ),
      ]),
    );
    expect(findings(reports, 'AwsSolutions')).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1 at ztai-pipeline/UnsafeBucket/Resource',
        'AwsSolutions-S1 at ztai-pipeline/Dev/ztai-platform/UnsafeBucket/Resource',
      ]),
    );
    fs.rmSync(outdir, { recursive: true, force: true });
  });
});

describe('the connection ARN is validated at synth', () => {
  const pipeline = () => ({ ...loadPlatformConfig(path.join(ROOT, FIXTURE)).delivery!.pipeline! });

  test.each([
    ['a GitHub token in its place', 'ghp_0123456789abcdef0123456789abcdef0123'],
    ['another service', 'arn:aws:codecommit:eu-west-1:111111111111:zero-trust-ai'],
    ['no connection id', 'arn:aws:codeconnections:eu-west-1:111111111111:connection/'],
  ])('%s: the error names the field, the value and what is allowed', (_what, connectionArn) => {
    let error: unknown;
    try {
      validatePlatformConfig({ delivery: { pipeline: { ...pipeline(), connectionArn } } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    const message = (error as Error).message;
    expect(message).toContain('delivery.pipeline.connectionArn');
    expect(message).toContain(connectionArn);
    expect(message).toMatch(
      /must be a connection ARN such as 'arn:aws:codeconnections:eu-west-1:111122223333:connection\/<uuid>'/,
    );
  });

  test('both service prefixes are accepted (CodeStar Connections was renamed CodeConnections)', () => {
    const arn = pipeline().connectionArn;
    expect(() =>
      validatePlatformConfig({ delivery: { pipeline: { ...pipeline(), connectionArn: arn } } }),
    ).not.toThrow();
    const legacy = arn.replace(':codeconnections:', ':codestar-connections:');
    expect(() =>
      validatePlatformConfig({ delivery: { pipeline: { ...pipeline(), connectionArn: legacy } } }),
    ).not.toThrow();
  });

  test('the app exits 1 with that message before synthesizing anything', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-bad-arn-'));
    const file = path.join(dir, 'delivery.yaml');
    const bad = 'arn:aws:codecommit:eu-west-1:111111111111:zero-trust-ai';
    fs.writeFileSync(
      file,
      fs.readFileSync(path.join(ROOT, FIXTURE), 'utf8').replace(/connectionArn: .*/, `connectionArn: ${bad}`),
    );
    const run = spawnSync(
      process.execPath,
      [require.resolve('ts-node/dist/bin'), '--transpile-only', '--prefer-ts-exts', 'bin/zero-trust-ai.ts'],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          CDK_OUTDIR: path.join(dir, 'out'),
          CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_CONTEXT, config: file }),
        },
        encoding: 'utf8',
      },
    );
    fs.rmSync(dir, { recursive: true, force: true });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('delivery.pipeline.connectionArn');
    expect(run.stderr).toContain(bad);
  });
});
