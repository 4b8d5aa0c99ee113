#!/usr/bin/env node
/**
 * A team with an existing VPC, KMS key and bucket adds one GPU inference workload from
 * @ztai/cdk-constructs. The package is installed from its tarball (`npm run package` at the repository
 * root) and imported by its name, exactly as from a registry.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { FraudInferenceStack } from '../lib/fraud-inference-stack';

const app = new App();
new FraudInferenceStack(app, 'acme-fraud-inference');
// Every cdk-nag pack on every synth: the constructs acknowledge their own findings, narrowly.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app),
  new NIST80053R5Checks(app),
  new HIPAASecurityChecks(app),
  new PCIDSS321Checks(app),
  new ServerlessChecks(app),
);
