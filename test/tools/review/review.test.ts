import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EXIT_NEEDS_REVIEW, EXIT_OK, parseArgs, preflight, writeReview } from '../../../tools/review/review';
import { ENV, synthApp, tmpDir } from './helpers';

/** Two workloads sharing a data bucket, each with its own prefix; optionally a grant of a's data to b. */
function platform(options: { grantAToB?: boolean } = {}): string {
  return synthApp((app) => {
    const stack = new Stack(app, 'Platform', { env: ENV });
    const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.RETAIN });
    const bucket = new s3.Bucket(stack, 'Data', {
      encryptionKey: key,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const boundary = new iam.ManagedPolicy(stack, 'Boundary', {
      statements: [new iam.PolicyStatement({ actions: ['s3:*', 'kms:*'], resources: ['*'] })],
    });
    const roles = ['a', 'b'].map((w) => {
      const role = new iam.Role(stack, `Workload-${w}`, {
        assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
        permissionsBoundary: boundary,
      });
      Tags.of(role).add('ai-platform:workload', w);
      bucket.grantRead(role, `${w}/*`);
      return role;
    });
    if (options.grantAToB) bucket.grantRead(roles[1], 'a/*');
  });
}

describe('writeReview', () => {
  const baselineAssembly = platform();
  const changedAssembly = platform({ grantAToB: true });

  test('writes the five files (and the posture and diagram a later diff and the report use)', async () => {
    const out = tmpDir('out');
    const result = await writeReview({ assemblyDir: baselineAssembly, outDir: out });
    expect(result.exitCode).toBe(EXIT_OK);
    expect(fs.readdirSync(out).sort()).toEqual([
      'access-matrix.json',
      'cost.json',
      'findings.sarif',
      'journeys.json',
      'network.svg',
      'posture.json',
      'report.html',
      'report.md',
    ]);
    const matrix = JSON.parse(fs.readFileSync(path.join(out, 'access-matrix.json'), 'utf8'));
    expect(matrix.crossWorkloadAllowed).toEqual([]);
    const allowed = (p: string, r: string): string =>
      matrix.cells.find(
        (c: { principal: string; resource: string; action: string }) =>
          c.principal === p && c.resource === r && c.action === 's3:GetObject',
      ).decision;
    expect(allowed('Platform/Workload-a', 'Platform/Data#a/*')).toBe('Allowed');
    expect(allowed('Platform/Workload-b', 'Platform/Data#b/*')).toBe('Allowed');
    expect(allowed('Platform/Workload-a', 'Platform/Data#b/*')).toBe('ImplicitlyDenied');
    expect(allowed('Platform/Workload-b', 'Platform/Data#a/*')).toBe('ImplicitlyDenied');
    // Not a platform (no `<name>-platform` stack): the journeys say so instead of failing every step.
    const journeys = JSON.parse(fs.readFileSync(path.join(out, 'journeys.json'), 'utf8'));
    expect([journeys.applicable, journeys.journeys]).toEqual([false, []]);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain(
      '## Journeys\n\nNot evaluated: the assembly is not a platform',
    );
    const cost = JSON.parse(fs.readFileSync(path.join(out, 'cost.json'), 'utf8'));
    expect(cost.lines.map((l: { resource: string; monthly: number }) => [l.resource, l.monthly])).toEqual([
      ['Platform/DataKey', 1],
    ]);
  });

  test('the output is byte-for-byte stable across runs', async () => {
    const one = tmpDir('one');
    const two = tmpDir('two');
    await writeReview({ assemblyDir: baselineAssembly, outDir: one });
    await writeReview({ assemblyDir: baselineAssembly, outDir: two });
    for (const f of fs.readdirSync(one))
      expect(fs.readFileSync(path.join(two, f), 'utf8')).toBe(fs.readFileSync(path.join(one, f), 'utf8'));
  });

  test("with a baseline taken before a grant of one workload's data to another: exit 3, naming the new access", async () => {
    const before = tmpDir('before');
    await writeReview({ assemblyDir: baselineAssembly, outDir: before });
    const after = tmpDir('after');
    const result = await writeReview({ assemblyDir: changedAssembly, outDir: after, baselineDir: before });
    expect(result.exitCode).toBe(EXIT_NEEDS_REVIEW);
    expect(result.diff?.widensAccess).toBe(true);
    expect(result.diff?.newAllowed).toContainEqual(
      expect.objectContaining({
        principal: 'Platform/Workload-b',
        resource: 'Platform/Data#a/*',
        action: 's3:GetObject',
        crossWorkload: true,
      }),
    );
    const diff = JSON.parse(fs.readFileSync(path.join(after, 'diff.json'), 'utf8'));
    expect(diff.reasons).toContain(
      'CROSS-WORKLOAD new access: Platform/Workload-b (workload b) may s3:GetObject on Platform/Data#a/* (workload a) (was ImplicitlyDenied)',
    );
    expect(fs.readFileSync(path.join(after, 'report.md'), 'utf8')).toContain(
      '**This change needs a security reviewer:** it widens access',
    );
  });

  test('with a baseline and no change: exit 0', async () => {
    const before = tmpDir('same');
    await writeReview({ assemblyDir: baselineAssembly, outDir: before });
    const result = await writeReview({
      assemblyDir: baselineAssembly,
      outDir: tmpDir('same-after'),
      baselineDir: before,
    });
    expect(result.exitCode).toBe(EXIT_OK);
    expect(result.diff?.reasons).toEqual([]);
  });

  test('a baseline directory that is not a review output is an error naming the missing file', async () => {
    await expect(
      writeReview({ assemblyDir: baselineAssembly, outDir: tmpDir('x'), baselineDir: tmpDir('empty') }),
    ).rejects.toThrow(/is not a review output: access-matrix.json not found/);
  });
});

describe('the CLI', () => {
  test('parseArgs: defaults, flags, and usage errors', () => {
    expect(parseArgs([])).toEqual({ out: 'review', baseline: undefined, assembly: undefined, context: [] });
    expect(parseArgs(['--out', 'o', '--baseline', 'b', '--assembly', 'a'])).toEqual({
      out: 'o',
      baseline: 'b',
      assembly: 'a',
      context: [],
    });
    expect(parseArgs(['--out=o', '--baseline=b'])).toEqual(expect.objectContaining({ out: 'o', baseline: 'b' }));
    expect(() => parseArgs(['--baseline'])).toThrow(/--baseline needs a directory/);
    expect(() => parseArgs(['--frobnicate'])).toThrow(/unknown argument '--frobnicate'/);
  });

  test('-c config=<file> is passed on to the synth; with --assembly it is refused', () => {
    expect(parseArgs(['-c', 'config=examples/platform.yaml']).context).toEqual(['config=examples/platform.yaml']);
    expect(parseArgs(['--context', 'a=b', '-c', 'config=x.yaml']).context).toEqual(['a=b', 'config=x.yaml']);
    expect(() => parseArgs(['-c', 'config'])).toThrow(/-c needs key=value, got 'config'/);
    expect(() => parseArgs(['-c'])).toThrow(/-c needs key=value/);
    expect(() => parseArgs(['--assembly', 'a', '-c', 'config=x.yaml'])).toThrow(
      /with --assembly nothing is synthesized/,
    );
  });

  test('preflight: a bad --baseline, --assembly or config file fails before any synth, naming it', () => {
    const args = (over: Partial<ReturnType<typeof parseArgs>>) => ({ ...parseArgs([]), ...over });
    expect(() => preflight(args({ baseline: '/nonexistent/review' }))).toThrow(
      /--baseline \/nonexistent\/review: no such directory/,
    );
    expect(() => preflight(args({ baseline: tmpDir('not-a-review') }))).toThrow(
      /is not a review output: access-matrix.json not found/,
    );
    expect(() => preflight(args({ assembly: tmpDir('not-an-assembly') }))).toThrow(/not a cloud assembly/);
    expect(() => preflight(args({ context: ['config=/nonexistent.yaml'] }))).toThrow(
      /-c config=\/nonexistent.yaml: no such file/,
    );
    expect(() => preflight(args({ context: ['config=examples/platform.yaml'] }))).not.toThrow();
  });

  test('-c config=<file> reaches the app as CDK context', () => {
    const dir = tmpDir('context-app');
    fs.writeFileSync(path.join(dir, 'custom.yaml'), 'platformName: x\n');
    // The app prints the context the CLI gave it, then fails, so nothing else runs.
    fs.writeFileSync(
      path.join(dir, 'cdk.json'),
      JSON.stringify({ app: 'node -e "console.error(process.env.CDK_CONTEXT_JSON); process.exit(1)"' }),
    );
    const result = spawnSync(
      process.execPath,
      [
        require.resolve('ts-node/dist/bin'),
        '--transpile-only',
        path.resolve('tools/review/review.ts'),
        '-c',
        'config=custom.yaml',
        '--out',
        path.join(dir, 'review'),
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('"config":"custom.yaml"');
  });

  test('a bad --baseline exits 1 at once, without running the synth', () => {
    const dir = tmpDir('slow-app');
    // An app that leaves a marker, prints and would take a minute: the review must not start it. (Whether
    // it started is the proof, not how long the review took: a timed assertion only measures the machine.)
    const marker = path.join(dir, 'synth-ran');
    fs.writeFileSync(
      path.join(dir, 'cdk.json'),
      JSON.stringify({
        app: `node -e "require('fs').writeFileSync(${JSON.stringify(marker).replace(/"/g, "'")}, ''); console.error('synth ran'); setTimeout(() => {}, 60000)"`,
      }),
    );
    const result = spawnSync(
      process.execPath,
      [
        require.resolve('ts-node/dist/bin'),
        '--transpile-only',
        path.resolve('tools/review/review.ts'),
        '--baseline',
        path.join(dir, 'no-such-review'),
      ],
      { cwd: dir, encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`review: --baseline ${path.join(dir, 'no-such-review')}: no such directory`);
    expect(result.stderr).not.toContain('synth ran');
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('npm run review -- --assembly <dir> --baseline <dir>: exit 3 and the new access on stdout; bad arguments exit 2', async () => {
    const before = tmpDir('cli-before');
    await writeReview({ assemblyDir: platform(), outDir: before });
    const out = tmpDir('cli-after');
    const run = (args: string[]) =>
      spawnSync(
        process.execPath,
        [require.resolve('ts-node/dist/bin'), '--transpile-only', 'tools/review/review.ts', ...args],
        { encoding: 'utf8' },
      );
    const result = run(['--assembly', platform({ grantAToB: true }), '--out', out, '--baseline', before]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(3);
    expect(result.stdout).toContain(
      'CROSS-WORKLOAD new access: Platform/Workload-b (workload b) may s3:GetObject on Platform/Data#a/*',
    );
    expect(result.stdout).toMatch(
      /review: compared with .*, this change widens access: CROSS-WORKLOAD new access: Platform\/Workload-b .*A security reviewer must approve it \(exit 3\)/,
    );
    const bad = run(['--nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown argument '--nope'");
  });

  test('when cdk synth fails, the review fails (exit 1) and prints the synth output', () => {
    const dir = tmpDir('failing-app');
    fs.writeFileSync(
      path.join(dir, 'cdk.json'),
      JSON.stringify({ app: 'node -e "console.error(\'boom from the app\'); process.exit(1)"' }),
    );
    const result = spawnSync(
      process.execPath,
      [
        require.resolve('ts-node/dist/bin'),
        '--transpile-only',
        path.resolve('tools/review/review.ts'),
        '--out',
        path.join(dir, 'review'),
      ],
      {
        cwd: dir,
        encoding: 'utf8',
        env: process.env,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('review: cdk synth failed');
    expect(result.stderr).toContain('boom from the app');
    expect(fs.existsSync(path.join(dir, 'review'))).toBe(false);
  });
});
