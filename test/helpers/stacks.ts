import { App, Stack } from 'aws-cdk-lib';
import * as fs from 'fs';
import * as path from 'path';

/** The app's context from cdk.json: the feature flags every test must synthesize with, like the real app. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

/** A fresh app with the project's feature flags. */
export function newApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_CONTEXT, ...context } });
}

/** A fresh app (with the project's feature flags) and one environment-agnostic stack. */
export function newStack(id = 'Test'): { app: App; stack: Stack } {
  const app = newApp();
  const stack = new Stack(app, id);
  return { app, stack };
}

/** Every resource of a type in a synthesized template (untyped CloudFormation JSON), as [logicalId, resource] pairs. */
export function resourcesOfType(template: { Resources?: Record<string, any> }, type: string): [string, any][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}
