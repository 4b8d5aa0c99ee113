import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { loadPlatformConfig } from '../../lib/config/load-config';
import { platformStackName } from '../../lib/config/names';
import { PlatformConfig } from '../../lib/config/platform-config';
import { validatePlatformConfig } from '../../lib/config/validate-config';
import { environmentConfig, PIPELINE_ROLE_CEILING, PlatformPipelineStack, PlatformStage } from '../../lib/delivery';
import { PlatformStack } from '../../lib/platform-stack';
import { registerValidations } from '../../lib/validation/register-validations';
import { describeFindings, nagFindings } from '../helpers/nag';
import { CDK_CONTEXT, resourcesOfType } from '../helpers/stacks';

const PIPELINE = {
  connectionArn: 'arn:aws:codeconnections:eu-west-1:111111111111:connection/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b',
  repository: 'example-org/zero-trust-ai',
  branch: 'main',
  toolingAccount: '111111111111',
  region: 'eu-west-1',
  environments: [
    { name: 'dev', account: '222222222222', region: 'eu-west-1', profile: 'dev' },
    { name: 'staging', account: '333333333333', region: 'eu-west-1', profile: 'dev' },
    { name: 'production', account: '444444444444', region: 'eu-west-1', profile: 'production' },
  ],
};

function newApp(): App {
  return new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-delivery-')), context: CDK_CONTEXT });
}

/** `[stack, logicalId]` of every AWS::IAM::Role without a PermissionsBoundary, in every nested assembly. */
function rolesWithoutBoundary(assembly: CloudAssembly): string[] {
  return assembly.stacksRecursively.flatMap((stack) =>
    resourcesOfType(stack.template, 'AWS::IAM::Role')
      .filter(([, r]) => r.Properties?.PermissionsBoundary === undefined)
      .map(([id]) => `${stack.hierarchicalId}/${id}`),
  );
}

function rolesIn(assembly: CloudAssembly): number {
  return assembly.stacksRecursively.reduce((n, s) => n + resourcesOfType(s.template, 'AWS::IAM::Role').length, 0);
}

/** Synthesize a Stage-wrapped platform with every validator on (registered on the App), after `tamper`. */
function synthStageTampered(tamper: (stage: PlatformStage) => void): void {
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'true';
  try {
    const app = newApp();
    const stage = new PlatformStage(app, 'Dev', { config: loadPlatformConfig() });
    registerValidations(app);
    tamper(stage);
    app.synth();
  } finally {
    process.env.CDK_VALIDATION = previous;
  }
}

describe('the platform inside a Stage', () => {
  const app = newApp();
  const stage = new PlatformStage(app, 'Dev', {
    env: { account: '222222222222', region: 'eu-west-1' },
    config: loadPlatformConfig(),
  });
  const assembly = app.synth();

  test('synthesizes its stacks into the stage assembly', () => {
    const nested = assembly.getNestedAssembly(stage.artifactId);
    expect(nested.stacks.map((s) => s.stackName)).toEqual(
      expect.arrayContaining([platformStackName('ztai'), 'ztai-audit', 'ztai-api']),
    );
  });

  test('every AWS::IAM::Role in every stage template has a PermissionsBoundary', () => {
    expect(rolesIn(assembly)).toBeGreaterThan(5);
    expect(rolesWithoutBoundary(assembly)).toEqual([]);
  });

  test('no cdk-nag pack has an unacknowledged finding on the stage', () => {
    const findings = nagFindings(stage);
    expect(describeFindings(findings)).toBe('');
  });
});

describe('negative control: the boundary applied to the App does not reach a Stage', () => {
  function platformInStage(boundaryOn: 'app' | 'stage'): CloudAssembly {
    const app = newApp();
    const stage = new Stage(app, 'Dev');
    const config: PlatformConfig = loadPlatformConfig();
    const platform = new PlatformStack(stage, platformStackName(config.platformName), { config });
    new iam.Role(platform, 'ExtraRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    platform.boundary.applyTo(boundaryOn === 'app' ? app : stage);
    return app.synth();
  }

  test('applied to the App (the old buildPlatform), the check finds unbounded roles', () => {
    expect(rolesWithoutBoundary(platformInStage('app'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/ExtraRole/)]),
    );
  });

  test('applied to the Stage, the same stack has none', () => {
    expect(rolesWithoutBoundary(platformInStage('stage'))).toEqual([]);
  });
});

describe('validations registered on the App reach the stacks inside a Stage', () => {
  test('the Guard rules: an escape hatch removing a model’s network isolation fails synth', () => {
    expect(() =>
      synthStageTampered((stage) => {
        const model = stage.platform.computes.get('fraud-scoring')!.endpoint!.model as sagemaker.CfnModel;
        model.addPropertyDeletionOverride('EnableNetworkIsolation');
      }),
    ).toThrow(/ZTAI_ISOLATION_SAGEMAKER_MODEL_NETWORK_ISOLATION/);
  });

  test('the nag packs: an unencrypted, unlogged bucket in a stage stack fails synth', () => {
    expect(() =>
      synthStageTampered((stage) => {
        new s3.Bucket(stage.platform.platform, 'UnsafeBucket', { encryption: s3.BucketEncryption.UNENCRYPTED });
      }),
    ).toThrow(/AwsSolutions-S1/);
  });
});

describe('delivery.pipeline in the configuration', () => {
  test('is validated, naming the field', () => {
    expect(() => validatePlatformConfig({ delivery: { pipeline: { ...PIPELINE, toolingAccount: '123' } } })).toThrow(
      /delivery\.pipeline\.toolingAccount/,
    );
    expect(() =>
      validatePlatformConfig({
        delivery: { pipeline: { ...PIPELINE, environments: [{ ...PIPELINE.environments[0], name: 'qa' }] } },
      }),
    ).toThrow(/delivery\.pipeline\.environments\[0\]\.name|delivery\.pipeline\.environments\.0\.name/);
    expect(() => validatePlatformConfig({ delivery: { pipeline: { ...PIPELINE, connectionArn: undefined } } })).toThrow(
      /delivery\.pipeline\.connectionArn/,
    );
  });

  test('environments come once each, in promotion order; production deploys the production profile', () => {
    const [dev, , production] = PIPELINE.environments;
    expect(() =>
      validatePlatformConfig({ delivery: { pipeline: { ...PIPELINE, environments: [production, dev] } } }),
    ).toThrow(/delivery\.pipeline\.environments\[1\]\.name: 'dev' comes after 'production'/);
    expect(() =>
      validatePlatformConfig({
        delivery: { pipeline: { ...PIPELINE, environments: [dev, { ...production, profile: 'dev' }] } },
      }),
    ).toThrow(/delivery\.pipeline\.environments\[1\]\.profile: the production environment must deploy/);
    expect(() => validatePlatformConfig({ delivery: { pipeline: PIPELINE } })).not.toThrow();
  });

  test('environmentConfig gives each stage its account, region and profile and no pipeline', () => {
    const config = validatePlatformConfig({ delivery: { pipeline: PIPELINE } });
    const production = environmentConfig(config, config.delivery!.pipeline!.environments[2]);
    expect(production).toMatchObject({ profile: 'production', env: { account: '444444444444', region: 'eu-west-1' } });
    expect(production.delivery).toBeUndefined();
  });
});

describe('the delivery pipeline', () => {
  const config = validatePlatformConfig({ delivery: { pipeline: PIPELINE } });
  const app = newApp();
  const stack = new PlatformPipelineStack(app, 'ztai-pipeline', { config, configFile: 'platform.yaml' });
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  const pipeline = () => Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties;
  const stageNames = () => pipeline().Stages.map((s: { Name: string }) => s.Name);
  const actionsOf = (name: string) =>
    pipeline().Stages.find((s: { Name: string }) => s.Name === name).Actions as {
      Configuration?: Record<string, unknown>;
      Name: string;
      RunOrder?: number;
      ActionTypeId: { Category: string; Provider: string };
    }[];

  test('lives in the tooling account and region', () => {
    expect(stack.account).toBe('111111111111');
    expect(stack.region).toBe('eu-west-1');
  });

  test('sources from the CodeConnections connection (no secret)', () => {
    const source = actionsOf('Source')[0];
    expect(source.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
    expect(source).toMatchObject({
      Configuration: {
        ConnectionArn: PIPELINE.connectionArn,
        FullRepositoryId: PIPELINE.repository,
        BranchName: 'main',
      },
    });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/OAuthToken|GitHubToken/);
  });

  test('one stage per environment, in order', () => {
    expect(stageNames().slice(0, 2)).toEqual(['Source', 'Build']);
    const envStages = stageNames().filter((n: string) => ['Dev', 'Staging', 'Production'].includes(n));
    expect(envStages).toEqual(['Dev', 'Staging', 'Production']);
  });

  test('the policy review runs before every deployment; production waits for a manual approval after it', () => {
    for (const name of ['Dev', 'Staging', 'Production']) {
      const actions = actionsOf(name);
      const review = actions.find((a) => a.Name.startsWith('PolicyReview'))!;
      expect(review.ActionTypeId.Provider).toBe('CodeBuild');
      const deploys = actions.filter((a) => a.ActionTypeId.Category === 'Deploy');
      expect(deploys.length).toBeGreaterThan(0);
      for (const d of deploys) expect(d.RunOrder!).toBeGreaterThan(review.RunOrder!);
      const approval = actions.find((a) => a.ActionTypeId.Category === 'Approval');
      if (name === 'Production') {
        expect(approval).toBeDefined();
        expect(approval!.RunOrder!).toBeGreaterThan(review.RunOrder!);
        for (const d of deploys) expect(d.RunOrder!).toBeGreaterThan(approval!.RunOrder!);
      } else {
        expect(approval).toBeUndefined();
      }
    }
  });

  test('the review step runs npm run review on the stage assembly (its non-zero exit fails the step)', () => {
    const projects = JSON.stringify(template.findResources('AWS::CodeBuild::Project'));
    for (const stage of stack.stages.values()) {
      expect(projects).toContain(`npm run review -- --assembly cdk.out/${stage.artifactId}`);
    }
  });

  test('the artifact bucket is encrypted with a key of its own, rotated', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArtifactsKey'), 'Arn'] },
            },
          },
        ],
      },
    });
  });

  test('every stage deploys to its own account and region, offline (no lookups)', () => {
    for (const [name, stage] of stack.stages) {
      const env = PIPELINE.environments.find((e) => e.name === name)!;
      const nested = assembly.getNestedAssembly(stage.artifactId);
      for (const s of nested.stacks) expect(s.environment).toMatchObject({ account: env.account, region: env.region });
    }
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });

  test('every AWS::IAM::Role in every stage template has a PermissionsBoundary', () => {
    const stageRoles = [...stack.stages.values()].flatMap((stage) =>
      rolesWithoutBoundary(assembly.getNestedAssembly(stage.artifactId)),
    );
    expect(stageRoles).toEqual([]);
  });

  test('every role of the pipeline stack is under the pipeline boundary', () => {
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThan(3);
    for (const role of roles) {
      expect(role.Properties.PermissionsBoundary).toEqual({ Ref: expect.stringMatching(/^Boundary/) });
    }
  });

  test('the pipeline boundary names every action the pipeline roles are granted (drift guard)', () => {
    const granted = new Set<string>();
    // The pipeline's grants are managed policies (pipeline-hardening.ts); the boundary itself is one too.
    const grants = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(
      ([id]) => !/^Boundary/.test(id),
    );
    expect(grants.length).toBeGreaterThan(3);
    expect(template.findResources('AWS::IAM::Policy')).toEqual({});
    for (const [, policy] of grants) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (statement.Effect === 'Allow') for (const action of [statement.Action].flat()) granted.add(action);
      }
    }
    expect(granted.size).toBeGreaterThan(10);
    // The ceiling is what the synthesized boundary allows: PIPELINE_ROLE_CEILING plus the artifact
    // bucket, key and connection actions that capTo adds on those resources only.
    const boundaries = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).filter(([id]) =>
      /^Boundary/.test(id),
    );
    expect(boundaries).toHaveLength(1);
    const ceiling = boundaries[0][1].Properties.PolicyDocument.Statement.filter(
      (s: { Effect: string }) => s.Effect === 'Allow',
    ).flatMap((s: { Action: string | string[] }) => [s.Action].flat());
    expect(ceiling).toEqual(expect.arrayContaining([...PIPELINE_ROLE_CEILING]));
    const covers = (pattern: string, action: string) =>
      new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(action);
    expect([...granted].filter((a) => !ceiling.some((p: string) => covers(p, a)))).toEqual([]);
    // …and the grants name exact actions: no wildcard for an action AWS adds later.
    expect([...granted].filter((a) => a.includes('*'))).toEqual([]);
  });

  test('only production has the Guard hook (the production profile)', () => {
    expect(stack.stages.get('production')!.platform.governance).toBeDefined();
    expect(stack.stages.get('dev')!.platform.governance).toBeUndefined();
  });
});
