/**
 * `npm run bootstrap-policy [-- -c config=<file>] [--out <dir>]`
 *
 * Writes the least-privilege `cdk bootstrap --cloudformation-execution-policies` policies of every
 * account the configuration deploys to (the default is AdministratorAccess), and prints the commands
 * that create them and bootstrap each account. The resource types come from the app synthesized from
 * that configuration, offline (no credentials, no lookups):
 *
 * - with `delivery.pipeline`: the tooling account (the pipeline stack, under the pipeline's boundary)
 *   and one policy set per environment (its stage's stacks, under the platform's boundary), each
 *   environment bootstrapped with `--trust <tooling account>`;
 * - without: the account of `env.account` (the platform's stacks).
 *
 * Exit codes: 0 written; 1 failed (an unknown resource type, an account missing); 2 bad arguments.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { CONFIG_CONTEXT_KEY, loadPlatformConfig } from '../../lib/config/load-config';
import { PlatformConfig } from '../../lib/config/platform-config';
import { PlatformPipelineStack } from '../../lib/delivery';
import { buildPlatform } from '../../lib/platform-app';
import { executionPolicies, PolicyDocument } from './execution-policy';
import { SERVICE_LINKED_ROLES } from './resource-actions';

const ROOT = path.resolve(__dirname, '..', '..');

/** The execution policies of one account. */
export interface AccountExecutionPolicy {
  /** `tooling`, or the environment's name (`dev`, `staging`, `production`), or `platform`. */
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** The account that deploys into this one (`cdk bootstrap --trust`), for an environment of a pipeline. */
  readonly trust?: string;
  /** The environment's profile name in the AWS CLI, a suggestion for the printed commands. */
  readonly profile: string;
  /** The resource types of its stacks. */
  readonly resourceTypes: readonly string[];
  /** The policy documents and the names to create them under. */
  readonly policies: ReadonlyArray<{ readonly name: string; readonly document: PolicyDocument }>;
}

type Template = { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** The execution policies of every account `config` deploys to. */
export function accountExecutionPolicies(
  config: PlatformConfig,
  configFile = 'platform.yaml',
): AccountExecutionPolicy[] {
  if (config.platformName === 'cdk') {
    // role/cdk-* would cover the CDK bootstrap roles themselves (cdk-<qualifier>-…-role-…).
    throw new Error(
      `platformName: the execution policy grants IAM on '<platformName>-*'; 'cdk' would cover the CDK bootstrap roles`,
    );
  }
  if (!config.delivery?.pipeline && (!config.env?.account || !config.env.region)) {
    throw new Error(
      'env.account and env.region: required to write the execution policy of the account the platform deploys to, got none',
    );
  }
  const context = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-bootstrap-policy-')), context });
  const prefix = config.platformName;
  // Only the templates are read: the validators are `cdk synth`'s job, not this tool's.
  const validation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const pipeline = config.delivery?.pipeline;
    if (pipeline) {
      const stack = new PlatformPipelineStack(app, `${prefix}-pipeline`, { config, configFile });
      const assembly = app.synth();
      const tooling = account({
        name: 'tooling',
        account: pipeline.toolingAccount,
        region: pipeline.region,
        profile: 'tooling',
        templates: [assembly.getStackArtifact(stack.artifactId).template as Template],
        namePrefix: prefix,
        boundaryName: stack.boundary.boundaryName,
        connectionArn: pipeline.connectionArn,
      });
      const environments = pipeline.environments.map((environment) => {
        const stage = stack.stages.get(environment.name)!;
        return account({
          name: environment.name,
          account: environment.account,
          region: environment.region,
          profile: environment.name,
          trust: pipeline.toolingAccount,
          templates: templatesOf(assembly.getNestedAssembly(stage.artifactId)),
          namePrefix: prefix,
          boundaryName: stage.platform.platform.boundary.boundaryName,
        });
      });
      return [tooling, ...environments];
    }
    const platform = buildPlatform(app, config);
    const assembly = app.synth();
    return [
      account({
        name: 'platform',
        account: config.env!.account!,
        region: config.env!.region!,
        profile: config.profile,
        templates: templatesOf(assembly),
        namePrefix: prefix,
        boundaryName: platform.platform.boundary.boundaryName,
      }),
    ];
  } finally {
    if (validation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = validation;
    fs.rmSync(app.outdir, { recursive: true, force: true });
  }
}

function templatesOf(assembly: CloudAssembly): Template[] {
  return assembly.stacksRecursively.map((s) => s.template as Template);
}

/** Every resource type of the templates, sorted. */
export function resourceTypesOf(templates: readonly Template[]): string[] {
  return [...new Set(templates.flatMap((t) => Object.values(t.Resources ?? {}).map((r) => r.Type)))].sort();
}

function account(options: {
  name: string;
  account: string;
  region: string;
  profile: string;
  trust?: string;
  templates: Template[];
  namePrefix: string;
  boundaryName: string;
  connectionArn?: string;
}): AccountExecutionPolicy {
  const resourceTypes = resourceTypesOf(options.templates);
  const serviceLinkedRoles = [
    ...resourceTypes.flatMap((t) => SERVICE_LINKED_ROLES[t] ?? []),
    ...options.templates.flatMap((t) =>
      Object.values(t.Resources ?? {})
        .filter((r) => r.Type === 'AWS::IAM::ServiceLinkedRole')
        .map((r) => String(r.Properties?.AWSServiceName)),
    ),
  ];
  const documents = executionPolicies({
    resourceTypes,
    account: options.account,
    regions: [options.region],
    namePrefix: options.namePrefix,
    boundaryName: options.boundaryName,
    serviceLinkedRoles,
    connectionArn: options.connectionArn,
  });
  return {
    name: options.name,
    account: options.account,
    region: options.region,
    profile: options.profile,
    ...(options.trust ? { trust: options.trust } : {}),
    resourceTypes,
    // Outside the platform's name prefix, so the execution role cannot change its own policies.
    policies: documents.map((document, i) => ({
      name: `cdk-exec-${options.namePrefix}-${options.name}-${i + 1}`,
      document,
    })),
  };
}

/** The shell commands that create the policies of one account and bootstrap it with them. */
export function bootstrapCommands(a: AccountExecutionPolicy, outDir: string): string[] {
  const arns = a.policies.map((p) => `arn:aws:iam::${a.account}:policy/${p.name}`);
  return [
    ...a.policies.map(
      (p) =>
        `aws iam create-policy --profile ${a.profile} --policy-name ${p.name} --policy-document file://${path.join(outDir, `${p.name}.json`)}`,
    ),
    [
      `npx cdk bootstrap aws://${a.account}/${a.region} --profile ${a.profile}`,
      ...(a.trust ? [`--trust ${a.trust}`] : []),
      `--cloudformation-execution-policies ${arns.join(',')}`,
    ].join(' '),
  ];
}

export function main(argv: string[], log: (line: string) => void = console.log): number {
  let configFile: string | undefined;
  let outDir = path.join('cdk.out', 'bootstrap-policy');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-c' && argv[i + 1]?.startsWith(`${CONFIG_CONTEXT_KEY}=`)) {
      configFile = argv[++i].slice(CONFIG_CONTEXT_KEY.length + 1);
    } else if (arg === '--out' && argv[i + 1]) {
      outDir = argv[++i];
    } else {
      log(
        `bootstrap-policy: unknown argument '${arg}'; usage: npm run bootstrap-policy -- [-c config=<file>] [--out <dir>]`,
      );
      return 2;
    }
  }
  try {
    const config = loadPlatformConfig(configFile);
    const accounts = accountExecutionPolicies(config, configFile);
    fs.mkdirSync(outDir, { recursive: true });
    for (const a of accounts) {
      for (const p of a.policies) {
        fs.writeFileSync(path.join(outDir, `${p.name}.json`), JSON.stringify(p.document, null, 2) + '\n');
      }
      log(`# ${a.name}: account ${a.account}, ${a.region}, ${a.resourceTypes.length} resource types`);
      for (const command of bootstrapCommands(a, outDir)) log(command);
      log('');
    }
    return 0;
  } catch (e) {
    log(`bootstrap-policy: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
