import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';

export const ENV = { account: '111111111111', region: 'us-east-1' };

/** A fresh temporary directory. */
export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ztai-review-${prefix}-`));
}

/**
 * Synthesize a small app into a temporary cloud assembly and return its directory.
 *
 * Validation plugins the builder registers run; when they report errors `app.synth()` throws after
 * writing validation-report.json, which is what the review reads, so that error is swallowed here
 * unless `expectClean` is set.
 */
export function synthApp(
  build: (app: App) => void,
  options: { context?: Record<string, unknown>; expectClean?: boolean } = {},
): string {
  const outdir = tmpDir('cdkout');
  const app = new App({ outdir, context: { '@aws-cdk/core:defaultCrossStackReferences': 'weak', ...options.context } });
  build(app);
  try {
    app.synth();
  } catch (e) {
    if (options.expectClean || !fs.existsSync(path.join(outdir, 'validation-report.json'))) throw e;
  }
  return outdir;
}

/** Write a cloud assembly by hand: one stack per template. */
export function writeAssembly(templates: Record<string, unknown>, env = ENV): string {
  const dir = tmpDir('handmade');
  const artifacts: Record<string, unknown> = {};
  for (const [name, template] of Object.entries(templates)) {
    fs.writeFileSync(path.join(dir, `${name}.template.json`), JSON.stringify(template, undefined, 1));
    artifacts[name] = {
      type: 'aws:cloudformation:stack',
      environment: `aws://${env.account}/${env.region}`,
      properties: { templateFile: `${name}.template.json` },
      displayName: name,
    };
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '55.0.0', artifacts }));
  return dir;
}
