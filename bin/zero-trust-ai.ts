#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { CONFIG_CONTEXT_KEY, loadPlatformConfig } from '../lib/config/load-config';
import { ConfigValidationError } from '../lib/config/validate-config';
import { buildPlatform } from '../lib/platform-app';
import { registerValidations } from '../lib/validation/register-validations';

async function main(): Promise<void> {
  const app = new App();
  const configFile = app.node.tryGetContext(CONFIG_CONTEXT_KEY);
  const config = loadPlatformConfig(configFile);
  if (config.delivery?.pipeline) {
    // Delivery mode: the pipeline in the tooling account, one stage of the platform per environment. Loaded
    // only here: CDK Pipelines is a large module the platform's own synth does not need.
    const { PlatformPipelineStack } = await import('../lib/delivery');
    new PlatformPipelineStack(app, `${config.platformName}-pipeline`, { config, configFile });
  } else {
    buildPlatform(app, config);
  }
  registerValidations(app);
}

main().catch((e: unknown) => {
  if (e instanceof ConfigValidationError || (e instanceof Error && e.name === 'PlatformValidationError')) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
});
