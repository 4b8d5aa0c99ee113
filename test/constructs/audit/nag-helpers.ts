import { App, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { nagFindings } from '../../helpers/nag';
import { newApp } from '../../helpers/stacks';

/** An app with the feature flags of cdk.json, so test apps behave like the real one. */
export function appWithFlags(): App {
  return newApp();
}

/** A stack in a fixed environment, so ARNs and names in templates are literal. */
export function testStack(app: App, id = 'Test'): Stack {
  return new Stack(app, id, { env: { account: '111122223333', region: 'eu-west-1' } });
}

/** Unacknowledged findings of the five packs on `scope`, as `Rule path` lines (see test/helpers/nag.ts). */
export function unacknowledgedFindings(scope: IConstruct): string[] {
  return nagFindings(scope).map((f) => `${f.rule} ${f.path}`);
}
