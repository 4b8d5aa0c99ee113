/**
 * The journey suites' glue: the synthesized reference platform (once per input state, shared with the
 * other suites through test/helpers/reference-fixture.ts) and `describeJourney`, which turns each step
 * of a journey defined in tools/review/journeys.ts into a jest test.
 *
 * A journey step is one AWS request evaluated with @cloud-copilot/iam-simulate against every policy in
 * its way (tools/review/journey-dsl.ts), or one check of the templates. The same definitions make the
 * Journeys section of the review report, so what the tests assert is what a reviewer reads.
 */
import { DEFAULT_PLATFORM_CONFIG } from '../../lib/config/default-config';
import { PlatformConfig } from '../../lib/config/platform-config';
import { validatePlatformConfig } from '../../lib/config/validate-config';
import { CloudAssembly, loadAssembly } from '../../tools/review/assembly';
import { evaluateStep, Journey, JourneyWorld, RequestStep, Step, StepResult } from '../../tools/review/journey-dsl';
import { platformJourneys } from '../../tools/review/journeys';
import { synthesizedReference } from '../helpers/reference-fixture';

/** The placeholder environment the journeys resolve the (environment-agnostic) templates in. */
export const ENV = { account: '111122223333', region: 'eu-west-1' } as const;

export type Profile = 'dev' | 'production';

export interface ReferenceFixture {
  readonly profile: Profile;
  readonly config: PlatformConfig;
  readonly directory: string;
  readonly assembly: CloudAssembly;
  /** Set when `cdk synth` with every validator failed (the templates are still written and evaluated). */
  readonly validationError?: string;
}

/** The reference platform's configuration in a profile: the embedded default, validated as `cdk synth` does. */
export function referenceConfig(profile: Profile): PlatformConfig {
  return validatePlatformConfig({ ...DEFAULT_PLATFORM_CONFIG, profile });
}

const fixtures = new Map<Profile, ReferenceFixture>();

/**
 * The reference platform synthesized as `npx cdk synth` does (embedded default config, every cdk-nag pack
 * and the built-in CloudFormation validator), once: the assembly is shared with every other suite through
 * the on-disk cache of test/helpers/reference-fixture.ts.
 */
export function referenceFixture(profile: Profile = 'dev'): ReferenceFixture {
  const cached = fixtures.get(profile);
  if (cached) return cached;
  const { config, directory, validationError } = synthesizedReference(referenceConfig(profile));
  const fixture: ReferenceFixture = {
    profile,
    config,
    directory,
    assembly: loadAssembly(directory),
    ...(validationError ? { validationError } : {}),
  };
  fixtures.set(profile, fixture);
  return fixture;
}

/** The journeys' view of a reference fixture. */
export function world(fixture: ReferenceFixture): JourneyWorld {
  return new JourneyWorld(fixture.assembly, ENV);
}

/** A journey of the platform by id, resolved against a world. */
export function journey(w: JourneyWorld, id: number): Journey {
  const found = platformJourneys(w).find((j) => j.id === id);
  if (!found) throw new Error(`no journey ${id}`);
  return found;
}

/** What a step's outcome is compared with: the decision, the statements that decided it, what went wrong. */
export function seen(r: StepResult): Record<string, unknown> {
  return {
    step: r.id,
    decision: r.decision,
    decidedBy: r.deciding,
    problem: r.problem,
  };
}

/** The expected `seen` of a step. */
export function expected(step: Step, r: StepResult): Record<string, unknown> {
  const decision =
    step.kind === 'check'
      ? 'Pass'
      : step.expect === 'Allowed'
        ? 'Allowed'
        : expect.stringMatching(/^(Explicitly|Implicitly)Denied$/);
  const decidedBy =
    step.kind === 'request' && step.expect === 'Denied' && step.deniedBy
      ? expect.arrayContaining([expect.stringMatching(new RegExp(`^${escapeRe(step.deniedBy)}`))])
      : expect.any(Array);
  return { step: r.id, decision, decidedBy, problem: undefined };
}

export interface DescribeJourneyOptions {
  readonly profile?: Profile;
  /** Extra, fine-grained tests of the journey (they get the fixture, the world and the step results). */
  readonly extra?: (ctx: JourneyContext) => void;
}

export interface JourneyContext {
  readonly fixture: () => ReferenceFixture;
  readonly world: () => JourneyWorld;
  readonly result: (stepId: string) => StepResult;
}

/**
 * One `describe` per journey: one test per step (Allowed for what must work, Denied for the abuse cases,
 * Pass for the checks), the journey's own invariants, and `extra`'s tests.
 */
export function describeJourney(id: number, options: DescribeJourneyOptions = {}): void {
  const profile = options.profile ?? 'dev';
  // Synthesized (or read from the cache) while jest collects the tests: the steps are named from the assembly.
  const fixture = referenceFixture(profile);
  const w = world(fixture);
  const j = journey(w, id);
  const results = new Map<string, StepResult>();

  describe(`journey ${j.id}: ${j.title} (${profile} profile)`, () => {
    beforeAll(async () => {
      for (const step of j.steps) results.set(step.id, await evaluateStep(w, step));
    });

    test('the journey refuses at least one abuse, and every step cites the AWS documentation of its request', () => {
      const abuses = j.steps.filter((s): s is RequestStep => s.kind === 'request' && !!s.abuse);
      expect(abuses.length).toBeGreaterThan(0);
      for (const a of abuses) expect([a.id, a.expect]).toEqual([a.id, 'Denied']);
      for (const s of j.steps) {
        expect([s.id, s.doc.length > 0]).toEqual([s.id, true]);
        for (const url of s.doc)
          expect([s.id, url]).toEqual([s.id, expect.stringMatching(/^https:\/\/docs\.aws\.amazon\.com\//)]);
      }
    });

    test('every role acting in the journey is the role the design names (its fixed ARN)', () => {
      const mismatches = j.steps
        .filter((s): s is RequestStep => s.kind === 'request' && s.actor.kind === 'role' && s.profile === undefined)
        .map((s) => results.get(s.id)!)
        .filter((r) => r.designedArn !== undefined)
        .map((r) => `${r.id}: ${r.actor} (designed: ${r.designedArn})`);
      expect([...new Set(mismatches)]).toEqual([]);
    });

    for (const step of j.steps) {
      if (step.profile && step.profile !== profile) continue;
      const what = step.kind === 'check' ? 'Pass' : step.expect;
      test(`${step.id} ${step.title} → ${what}`, () => {
        const r = results.get(step.id)!;
        expect(seen(r)).toEqual(expected(step, r));
      });
    }

    options.extra?.({
      fixture: () => fixture,
      world: () => w,
      result: (stepId) => {
        const r = results.get(stepId);
        if (!r) throw new Error(`no result for step ${stepId} (steps: ${[...results.keys()].join(', ')})`);
        return r;
      },
    });
  });
}

/** A copy of an assembly whose templates a test may change (negative controls). */
export function mutableCopy(assembly: CloudAssembly): CloudAssembly {
  return {
    ...assembly,
    stacks: assembly.stacks.map((s) => ({ ...s, template: JSON.parse(JSON.stringify(s.template)) })),
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
