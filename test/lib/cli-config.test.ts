import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/*
 * End to end, as a platform team runs it: `npx cdk synth -c config=<file>` in a child process with
 * an empty HOME and no AWS_* or CDK_* variables (so no credentials, profile or account can leak in).
 * Each run takes about 20 s, so there are only two.
 */

const ROOT = path.join(__dirname, '..', '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'platform.yaml');
const RUN_TIMEOUT_MS = 150_000;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ztai-cli-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** `npx cdk synth --quiet` with the given config file, writing to its own output directory. */
function synth(configFile: string, outdir: string): SpawnSyncReturns<string> {
  const home = fs.mkdtempSync(path.join(tmp, 'home-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|CDK_)/.test(key)) env[key] = value;
  }
  const result = spawnSync('npx', ['cdk', 'synth', '-c', `config=${configFile}`, '--quiet', '--output', outdir], {
    cwd: ROOT,
    env: { ...env, HOME: home, npm_config_update_notifier: 'false' },
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
  });
  if (result.error) throw result.error;
  return result;
}

const templatesIn = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')) : [];

test(
  'a bad config file fails the synth with the field and value, and no stack trace',
  () => {
    const bad = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(
      bad,
      [
        'network:',
        '  maxAzs: 7',
        'workloads:',
        '  - name: claims-agent',
        '    kind: agent',
        '    invokes: [claims-model]',
        '',
      ].join('\n'),
    );
    const outdir = path.join(tmp, 'out-bad');

    const { status, stderr } = synth(bad, outdir);

    expect(status).not.toBe(0);
    expect(stderr).toContain(`Invalid platform configuration (${bad}):`);
    expect(stderr).toContain('  - network.maxAzs: must be an integer from 2 to 6, got 7');
    expect(stderr).toContain(
      "  - workloads[0].invokes[0]: unknown workload 'claims-model'; known workloads: claims-agent",
    );
    expect(stderr.split('\n').filter((line) => /^\s+at /.test(line))).toEqual([]);
    expect(templatesIn(outdir)).toEqual([]);
  },
  RUN_TIMEOUT_MS + 30_000,
);

test(
  'a valid YAML config file synthesizes its own stacks, clean under every validation plugin',
  () => {
    const outdir = path.join(tmp, 'out-ok');

    const { status, stderr } = synth(FIXTURE, outdir);

    expect({ status, stderr }).toMatchObject({ status: 0 });
    expect(templatesIn(outdir).sort()).toEqual([
      'acme-ai-api.template.json',
      'acme-ai-audit.template.json',
      'acme-ai-platform.template.json',
      'acme-ai-workload-claims-agent.template.json',
      'acme-ai-workload-claims-model.template.json',
      'acme-ai-workload-claims-tuning.template.json',
    ]);
    for (const file of templatesIn(outdir)) {
      const template = JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8'));
      expect(Object.keys(template.Resources).length).toBeGreaterThan(0);
    }
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports as { pluginName: string; violations: unknown[] }[]).map((p) => [
      p.pluginName,
      p.violations.length,
    ]);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.filter(([, count]) => count !== 0)).toEqual([]);
  },
  RUN_TIMEOUT_MS + 30_000,
);
