#!/usr/bin/env node
/**
 * The synth benchmark's baseline: the smallest useful CDK app, one stack with one SQS queue. `npm run bench`
 * synthesizes it with the same CLI, the same cdk.json (feature flags, CloudFormation's built-in validator)
 * and the same app runner as the reference app, so the ratio between the two is the cost of our app alone.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';

const app = new App();
const stack = new Stack(app, 'bench-one-queue');
new sqs.Queue(stack, 'Queue');
