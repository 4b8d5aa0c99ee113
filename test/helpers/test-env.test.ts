import { Annotations, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { newApp } from './stacks';
import { isCdkReport, realTmpdir, synthReports } from './test-env';

describe('test environment (test/helpers/test-env.ts)', () => {
  test("a synthesized app's cloud assembly lands in this file's own temporary directory", () => {
    const root = os.tmpdir();
    expect(path.dirname(root)).toBe(fs.realpathSync(realTmpdir()));
    expect(path.basename(root)).toMatch(/^ztai-test-/);
    expect(process.env.TMPDIR).toBe(root);
    const app = newApp();
    new Stack(app, 'Quiet');
    expect(path.dirname(app.synth().directory)).toBe(root);
  });

  test("aws-cdk-lib's synth-time report of a warning is captured, not printed", () => {
    const app = newApp();
    const stack = new Stack(app, 'Warns');
    Annotations.of(stack).addWarningV2('ztai:test-warning', 'a warning the test means to raise');
    Template.fromStack(stack);
    expect(synthReports()).toHaveLength(1);
    expect(synthReports()[0]).toMatch(/a warning the test means to raise/);
  });

  test('other console.error output is not taken for a report', () => {
    expect(isCdkReport('not a CDK report')).toBe(false);
    expect(isCdkReport(new Error('Acknowledge with x'))).toBe(false);
    expect(synthReports()).toEqual([]);
  });
});
