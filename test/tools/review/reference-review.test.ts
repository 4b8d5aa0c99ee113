/**
 * The review of the reference platform tells the truth: no control that does not apply fails, and against a
 * baseline a new workload with access to its own data only does not need a reviewer, while a new workload
 * that reaches another workload's resources does, naming the access.
 *
 * Three synthesized assemblies (shared with other suites through the on-disk reference cache): the
 * reference, the reference plus a batch workload, the reference plus an agent that invokes fraud-scoring.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_PLATFORM_CONFIG } from '../../../lib/config/default-config';
import { validatePlatformConfig } from '../../../lib/config/validate-config';
import { loadPriceTable } from '../../../tools/review/cost';
import { EXIT_NEEDS_REVIEW, EXIT_OK, needsReviewMessage, writeReview } from '../../../tools/review/review';
import { synthesizedReference } from '../../helpers/reference-fixture';
import { measureLayout, noteMissingBrowser, screenshot, withChromium } from './chromium';
import { tmpDir } from './helpers';

type Workload = Record<string, unknown>;

function referencePlus(...added: Workload[]): string {
  // The reference's API clients come with its workloads only when `workloads` is left out: keep them.
  const config = validatePlatformConfig(
    added.length === 0
      ? {}
      : ({
          workloads: [...structuredClone(DEFAULT_PLATFORM_CONFIG.workloads), ...added],
          api: structuredClone(DEFAULT_PLATFORM_CONFIG.api),
        } as never),
  );
  const { directory, validationError } = synthesizedReference(config);
  expect(validationError).toBeUndefined();
  return directory;
}

const read = (dir: string, file: string): string => fs.readFileSync(path.join(dir, file), 'utf8');

noteMissingBrowser();

/** The reference's genai vector store: the only resources with a fixed charge the price table has no rate for. */
const VECTOR_STORE_UNPRICED = ['AWS::OpenSearchServerless::Collection', 'AWS::OpenSearchServerless::VpcEndpoint'];
/** The types of the resources with a fixed charge a cost estimate leaves out. */
function fixedUnpriced(cost: { notPriced: { type: string; fixedCharge?: boolean }[] }): string[] {
  return cost.notPriced
    .filter((n) => n.fixedCharge !== false)
    .map((n) => n.type)
    .sort();
}

describe('npm run review on the reference platform', () => {
  let baseline: string;
  /** The review of the reference plus an agent that needs a reviewer (set by its test). */
  let needsReview: string | undefined;

  beforeAll(async () => {
    baseline = tmpDir('reference');
    const result = await writeReview({ assemblyDir: referencePlus(), outDir: baseline });
    expect(result.exitCode).toBe(EXIT_OK);
  });

  test('0 failed controls: the private API without a web ACL is not applicable, not failed', () => {
    const posture = JSON.parse(read(baseline, 'posture.json'));
    const failed = posture.controls.filter((c: { pass: boolean }) => !c.pass);
    expect(failed).toEqual([]);
    const waf = posture.controls.filter((c: { control: string }) => c.control === 'WAF web ACL');
    expect(waf.length).toBeGreaterThan(0);
    for (const c of waf) expect(c.value).toMatch(/^(associated|not applicable \(private API)/);
    expect(read(baseline, 'report.md')).toContain('### Failed checks (0)');
    expect(read(baseline, 'report.md')).toContain('- Failed controls: **0**');
  });

  test('the cost total of the reference is partial only for the vector store, which the price table has no rate for', () => {
    const cost = JSON.parse(read(baseline, 'cost.json'));
    expect(cost.partial).toBe(true);
    expect(cost.totalNote).toMatch(/^partial: leaves out 2 resources the price table cannot price \(/);
    expect(fixedUnpriced(cost)).toEqual(VECTOR_STORE_UNPRICED);
    expect(
      cost.notPriced.find((n: { type: string }) => n.type === 'AWS::OpenSearchServerless::Collection').reason,
    ).toMatch(
      /^OCU-hours: a vectorsearch collection keeps at least 1 OCU \(0.5 indexing, 0.5 search, no standby replicas\)/,
    );
  });

  test('the access matrix shows the Cognito authorizer as part of the decision on the people API', () => {
    const matrix = JSON.parse(read(baseline, 'access-matrix.json'));
    const people = matrix.cells.filter(
      (c: { resource: string; decision: string }) => c.resource.includes('PeopleGateway') && c.decision === 'Allowed',
    );
    expect(people.length).toBeGreaterThan(0);
    for (const c of people) expect(c.requires).toMatch(/^a Cognito token \(authorizer .+\)$/);
    expect(read(baseline, 'report.md')).toMatch(
      /Invoke \(allowed by IAM; requires a Cognito token \(authorizer [^)]+\)\)/,
    );
  });

  test('adding a workload whose access is its own data only: exit 0, reported as a new principal with its own data', async () => {
    const out = tmpDir('plus-batch');
    const result = await writeReview({
      assemblyDir: referencePlus({
        name: 'doc-classify',
        kind: 'batch',
        description: 'GPU batch classification',
        // A GPU fleet that scales from 0: no fixed charge, its hourly rate listed apart from the total.
        instanceType: 'g6e.xlarge',
      }),
      outDir: out,
      baselineDir: baseline,
    });
    expect(result.diff?.reasons).toEqual([]);
    expect(result.exitCode).toBe(EXIT_OK);
    expect(result.diff?.removedControls).toEqual([]);
    // Nothing of the baseline changes: the reference plus a workload is the reference, plus.
    expect(result.diff?.noLongerAllowed).toEqual([]);
    expect(result.diff?.removedPrincipals).toEqual([]);
    expect(result.diff?.newPrincipalAccess).toEqual([
      expect.objectContaining({
        principal: 'ztai-workload-doc-classify/Identity',
        workload: 'doc-classify',
        access: 'own-data-only',
        ownResources: expect.arrayContaining([
          'ztai-platform/DataBucket#workloads/doc-classify/*',
          'ztai-platform/ModelsBucket#approved/doc-classify/*',
        ]),
      }),
    ]);
    expect(result.diff?.notes).toContainEqual(
      expect.stringMatching(
        /^new principal with access to its own data only: ztai-workload-doc-classify\/Identity \(workload doc-classify\)/,
      ),
    );
    const md = read(out, 'report.md');
    expect(md).toContain('Compared with the baseline: no access widened, no control removed.');
    const cost = JSON.parse(read(out, 'cost.json'));
    // The fleet scales from 0: no fixed charge, so it adds nothing the total leaves out, and its hourly rate is listed apart.
    expect(fixedUnpriced(cost)).toEqual(VECTOR_STORE_UNPRICED);
    expect(cost.usageRates).toContainEqual(
      expect.objectContaining({
        resource: expect.stringContaining('doc-classify'),
        item: 'g6e.xlarge while scaled out',
        unitPrice: loadPriceTable().ec2InstanceHour['g6e.xlarge'],
      }),
    );
    expect(cost.notPriced.filter((n: { instanceType?: string }) => n.instanceType === 'g6e.xlarge')).toEqual([]);
    expect(md).toContain('new principal with access to its own data only');
  });

  test("adding a workload that reaches another workload's endpoint: exit 3, naming the access", async () => {
    const out = tmpDir('plus-agent');
    needsReview = out;
    const result = await writeReview({
      assemblyDir: referencePlus({
        name: 'claims-agent',
        kind: 'agent',
        description: 'Claims agent that calls the fraud-scoring model',
        invokes: ['fraud-scoring'],
      }),
      outDir: out,
      baselineDir: baseline,
    });
    expect(result.exitCode).toBe(EXIT_NEEDS_REVIEW);
    expect(result.diff?.widensAccess).toBe(true);
    expect(result.diff?.removesControl).toBe(false);
    expect(result.diff?.newAllowed).toContainEqual(
      expect.objectContaining({
        principal: 'ztai-workload-claims-agent/Identity',
        principalWorkload: 'claims-agent',
        resourceWorkload: 'fraud-scoring',
        crossWorkload: true,
      }),
    );
    const message = needsReviewMessage(result.diff!, baseline);
    expect(message).toMatch(/this change widens access: /);
    expect(message).toMatch(
      /CROSS-WORKLOAD new access: ztai-workload-claims-agent\/Identity \(workload claims-agent\) may \S+ on \S+.* \(workload fraud-scoring\)/,
    );
    expect(message).not.toContain('removes a control');
  });

  withChromium('report.html at 1,400 px in headless Chromium', () => {
    test('leads with the verdict, fits the page, and folds the acknowledged findings by rule', () => {
      for (const dir of [baseline, needsReview ?? baseline]) {
        const file = path.join(dir, 'report.html');
        const html = fs.readFileSync(file, 'utf8');
        const m = measureLayout(file, 1400);
        expect(m.scrollWidth).toBeLessThanOrEqual(1400);
        expect(m.verdictBeforeTables).toBe(true);
        expect(m.verdictTop).toBeLessThan(200);
        expect(m.details).toBeGreaterThan(0);
        expect(m.openDetails).toBe(0);
        expect(html.indexOf('<section id="verdict">')).toBeLessThan(html.indexOf('<table'));
      }
      // The first screens, for a person to look at: ZTAI_KEEP_SCREENSHOT=<dir> copies them there.
      for (const [name, dir] of [
        ['reference', baseline],
        ['needs-review', needsReview ?? baseline],
      ] as const) {
        const png = path.join(tmpDir('screenshot'), `report-${name}-1400.png`);
        screenshot(path.join(dir, 'report.html'), png, 1400, 1600);
        expect(fs.statSync(png).size).toBeGreaterThan(10_000);
        const keep = process.env.ZTAI_KEEP_SCREENSHOT;
        if (keep) fs.copyFileSync(png, path.join(fs.mkdirSync(keep, { recursive: true }) ?? keep, path.basename(png)));
      }
    });
  });
});
