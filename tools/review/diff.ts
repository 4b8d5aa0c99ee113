/**
 * Compare two review outputs (a baseline directory and a new one): new principals, new Allowed cells,
 * widened trust, new public surfaces, removed or weakened controls, rising findings and acknowledgements,
 * validators no longer run, and the cost delta.
 *
 * `widensAccess` or `removesControl` make `npm run review -- --baseline <dir>` exit 3 so CI can require a reviewer.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AccessMatrix, MatrixCell } from './access-matrix';
import type { CostEstimate } from './cost';
import { byString } from './json';
import type { Posture, PublicSurface } from './posture';

/** The machine-readable outputs a diff reads from a review directory. */
export interface ReviewOutputs {
  readonly matrix: AccessMatrix;
  readonly posture: Posture;
  readonly cost: CostEstimate;
}

/**
 * Why a new Allowed cell does not need a reviewer on its own:
 * - `own-data`: a new workload's role on its own workload's resource;
 * - `like-other-workloads`: a new workload's role on a shared resource (no workload tag) that a workload role of the baseline already reaches the same way (same action, same service);
 * - `behind-authorizer`: a new workload's role on an API route every workload role of the baseline is allowed at the IAM layer, where an authorizer (Cognito, Lambda) decides;
 * - `extends-to-new-workload`: an existing role on a new workload's new resource, as it may on every other workload's sibling resource.
 * Absent when it needs a reviewer.
 */
export type AccessPattern = 'own-data' | 'like-other-workloads' | 'behind-authorizer' | 'extends-to-new-workload';

export interface NewAccess {
  readonly principal: string;
  readonly resource: string;
  readonly action: string;
  readonly via?: string;
  /** The decision in the baseline (`absent` when the principal, resource or action was not evaluated). */
  readonly was: string;
  /** The role's workload differs from the resource's. */
  readonly crossWorkload: boolean;
  readonly principalWorkload?: string;
  readonly resourceWorkload?: string;
  /** Set when the access follows a pattern the baseline already approved (see AccessPattern). */
  readonly pattern?: AccessPattern;
}

/** A principal that is not in the baseline, and what it may reach. */
export interface NewPrincipal {
  readonly principal: string;
  readonly arn: string;
  readonly workload?: string;
  /** `own-data-only`: every new access follows a pattern (its own workload's data, plus what every workload already reaches). */
  readonly access: 'own-data-only' | 'needs-review';
  readonly ownResources: string[];
  readonly sharedLikeOtherWorkloads: string[];
  /** API routes IAM allows it, as every workload role, where an authorizer decides (see MatrixCell.requires). */
  readonly behindAuthorizer: string[];
}

export interface ReviewDiff {
  readonly schemaVersion: 1;
  readonly widensAccess: boolean;
  readonly removesControl: boolean;
  /** One line per reason the diff widens access or removes a control (empty when neither): what needs a reviewer. */
  readonly reasons: string[];
  /** Changes that follow patterns the baseline already has (a new workload with access to its own data only, its acknowledgements): reported, not failing. */
  readonly notes: string[];
  readonly newPrincipals: string[];
  readonly newPrincipalAccess: NewPrincipal[];
  readonly removedPrincipals: string[];
  readonly newAllowed: NewAccess[];
  readonly noLongerAllowed: Array<{ principal: string; resource: string; action: string; via?: string; now: string }>;
  readonly trustWidened: Array<{ principal: string; added: string[] }>;
  readonly newUnevaluatedPolicies: Array<{ principal: string; added: string[] }>;
  readonly newPublicSurfaces: PublicSurface[];
  /** New public surfaces on a new workload's constructs of the same kind and detail as one the baseline already has. */
  readonly newPublicSurfacesLikeBaseline: PublicSurface[];
  readonly removedPublicSurfaces: PublicSurface[];
  readonly removedControls: Array<{ subject: string; control: string; was: string; now: string }>;
  readonly findingChanges: Array<{
    plugin: string;
    rule: string;
    open: [number, number];
    acknowledged: [number, number];
    rising: boolean;
    /** New acknowledged findings that name a new workload (its constructs or its prefix): informational. */
    newForNewWorkloads?: string[];
  }>;
  readonly validatorsNoLongerRun: string[];
  readonly cost: {
    readonly before: number;
    readonly after: number;
    readonly delta: number;
    readonly changes: Array<{ resource: string; item: string; before: number; after: number }>;
  };
}

export const REVIEW_FILES = {
  matrix: 'access-matrix.json',
  posture: 'posture.json',
  cost: 'cost.json',
} as const;

/** Read the outputs of a review directory; throws naming the missing file. */
export function readReviewOutputs(dir: string): ReviewOutputs {
  const read = <T>(file: string): T => {
    const p = path.join(dir, file);
    if (!fs.existsSync(p)) throw new Error(`${dir} is not a review output: ${file} not found`);
    return JSON.parse(fs.readFileSync(p, 'utf8')) as T;
  };
  return {
    matrix: read<AccessMatrix>(REVIEW_FILES.matrix),
    posture: read<Posture>(REVIEW_FILES.posture),
    cost: read<CostEstimate>(REVIEW_FILES.cost),
  };
}

/** Compare a baseline with a new review. */
export function diffReviews(baseline: ReviewOutputs, current: ReviewOutputs): ReviewDiff {
  const reasons: string[] = [];
  const notes: string[] = [];

  // Principals.
  const beforePrincipals = new Map(baseline.matrix.principals.map((p) => [p.id, p]));
  const afterPrincipals = new Map(current.matrix.principals.map((p) => [p.id, p]));
  const newPrincipals = [...afterPrincipals.keys()].filter((id) => !beforePrincipals.has(id)).sort(byString);
  const removedPrincipals = [...beforePrincipals.keys()].filter((id) => !afterPrincipals.has(id)).sort(byString);
  const baselineWorkloads = new Set(baseline.matrix.principals.map((p) => p.workload).filter((w) => w !== undefined));
  /** Workloads that only the new principals carry: a workload added by this change. */
  const newWorkloads = new Set(
    newPrincipals
      .map((id) => afterPrincipals.get(id)!.workload)
      .filter((w): w is string => !!w && !baselineWorkloads.has(w)),
  );

  const trustWidened: ReviewDiff['trustWidened'] = [];
  const newUnevaluatedPolicies: ReviewDiff['newUnevaluatedPolicies'] = [];
  for (const [id, after] of afterPrincipals) {
    const before = beforePrincipals.get(id);
    if (!before) continue;
    const added = after.trustedBy.filter((t) => !before.trustedBy.includes(t));
    if (added.length > 0) {
      trustWidened.push({ principal: id, added });
      reasons.push(`${id} may now be assumed by ${added.join(', ')}`);
    }
    const unevaluated = after.unevaluatedPolicies.filter((t) => !before.unevaluatedPolicies.includes(t));
    if (unevaluated.length > 0) {
      newUnevaluatedPolicies.push({ principal: id, added: unevaluated });
      reasons.push(`${id} has new policies the review cannot evaluate: ${unevaluated.join(', ')}`);
    }
  }

  // Cells.
  const key = (c: Pick<MatrixCell, 'principal' | 'resource' | 'action' | 'via'>): string =>
    `${c.principal}\0${c.resource}\0${c.action}\0${c.via ?? ''}`;
  const beforeCells = new Map(baseline.matrix.cells.map((c) => [key(c), c]));
  const afterCells = new Map(current.matrix.cells.map((c) => [key(c), c]));
  const resourceWorkload = new Map(current.matrix.resources.map((r) => [r.id, r.workload]));
  const beforeResources = new Map(baseline.matrix.resources.map((r) => [r.id, r]));
  const afterResources = new Map(current.matrix.resources.map((r) => [r.id, r]));
  const beforeWorkloadPrincipals = baseline.matrix.principals.filter((p) => p.workload !== undefined);
  const allowedBefore = (principal: string, resource: string, action: string, via?: string): boolean =>
    beforeCells.get(key({ principal, resource, action, via }))?.decision === 'Allowed';

  // A resource without a workload tag whose id names a workload as a path segment (an API route
  // `/v1/<workload>/invoke`) belongs to that workload for this comparison.
  const knownWorkloads = new Set(
    [...baseline.matrix.principals, ...current.matrix.principals].map((p) => p.workload).filter((w) => !!w),
  ) as Set<string>;
  const workloadOf = (resource: string): string | undefined =>
    resourceWorkload.get(resource) ?? [...knownWorkloads].find((w) => resource.split(/[/#\s]/).includes(w));

  const patternOf = (c: MatrixCell, pw: string | undefined, rw: string | undefined): AccessPattern | undefined => {
    const everyWorkloadBefore = (): boolean =>
      beforeWorkloadPrincipals.length > 0 &&
      beforeWorkloadPrincipals.every((p) => allowedBefore(p.id, c.resource, c.action, c.via));
    if (!beforePrincipals.has(c.principal)) {
      if (pw === undefined || !newWorkloads.has(pw)) return undefined;
      if (rw === pw) return 'own-data';
      // Allowed by IAM to every workload role alike, and an authorizer (Cognito, Lambda) decides who calls it.
      if (c.requires && beforeResources.has(c.resource) && everyWorkloadBefore()) return 'behind-authorizer';
      if (rw !== undefined) return undefined; // another workload's
      // A shared resource that workload roles of the baseline already reach the same way (same action, same service).
      if (beforeResources.has(c.resource)) {
        const peers = beforeWorkloadPrincipals.some((p) => allowedBefore(p.id, c.resource, c.action, c.via));
        return peers ? 'like-other-workloads' : undefined;
      }
      return undefined;
    }
    if (pw !== undefined && rw !== undefined && pw !== rw) return undefined;
    // An existing role on a resource this change adds for a new workload: it reaches every other workload's
    // sibling (same bucket or API, same kind) the same way.
    if (beforeResources.has(c.resource) || rw === undefined || !newWorkloads.has(rw)) return undefined;
    const r = afterResources.get(c.resource)!;
    const siblings = baseline.matrix.resources.filter(
      (s) => s.parent === r.parent && s.kind === r.kind && s.workload !== undefined && s.id !== r.id,
    );
    if (r.parent === undefined || siblings.length === 0) return undefined;
    return siblings.every((s) => allowedBefore(c.principal, s.id, c.action, c.via))
      ? 'extends-to-new-workload'
      : undefined;
  };

  const newAllowed: NewAccess[] = [];
  for (const [k, c] of afterCells) {
    if (c.decision !== 'Allowed') continue;
    const before = beforeCells.get(k);
    if (before?.decision === 'Allowed') continue;
    const pw = afterPrincipals.get(c.principal)?.workload;
    const rw = workloadOf(c.resource);
    const crossWorkload = pw !== undefined && rw !== undefined && pw !== rw;
    const pattern = patternOf(c, pw, rw);
    newAllowed.push({
      principal: c.principal,
      resource: c.resource,
      action: c.action,
      ...(c.via ? { via: c.via } : {}),
      was: before?.decision ?? 'absent',
      crossWorkload,
      ...(pw ? { principalWorkload: pw } : {}),
      ...(rw ? { resourceWorkload: rw } : {}),
      ...(pattern ? { pattern } : {}),
    });
  }

  const newPrincipalAccess: NewPrincipal[] = newPrincipals.map((id) => {
    const p = afterPrincipals.get(id)!;
    const mine = newAllowed.filter((n) => n.principal === id);
    const ok = p.workload !== undefined && newWorkloads.has(p.workload) && mine.every((n) => n.pattern);
    const uniq = (pattern: AccessPattern): string[] =>
      [...new Set(mine.filter((n) => n.pattern === pattern).map((n) => n.resource))].sort(byString);
    return {
      principal: id,
      arn: p.arn,
      ...(p.workload ? { workload: p.workload } : {}),
      access: ok ? 'own-data-only' : 'needs-review',
      ownResources: uniq('own-data'),
      sharedLikeOtherWorkloads: uniq('like-other-workloads'),
      behindAuthorizer: uniq('behind-authorizer'),
    };
  });
  for (const n of newPrincipalAccess) {
    if (n.access === 'own-data-only') {
      notes.push(
        `new principal with access to its own data only: ${n.principal} (workload ${n.workload}) reaches ${n.ownResources.join(', ') || 'none of its own resources'}${n.sharedLikeOtherWorkloads.length ? `; the shared ${n.sharedLikeOtherWorkloads.join(', ')} as existing workloads do` : ''}${n.behindAuthorizer.length ? `; allowed by IAM, as every workload, on ${n.behindAuthorizer.join(', ')}, where the authorizer requires ${[...new Set(newAllowed.filter((a) => a.principal === n.principal && a.pattern === 'behind-authorizer').map((a) => afterCells.get(key(a))?.requires))].join(', ')}` : ''}`,
      );
    } else {
      reasons.push(
        `new principal ${n.principal} (${n.arn})${n.workload ? ` (workload ${n.workload})` : ' (no workload tag)'} with access beyond its own data`,
      );
    }
  }
  for (const n of newAllowed) {
    const who = n.principalWorkload ? `${n.principal} (workload ${n.principalWorkload})` : n.principal;
    const what = n.resourceWorkload ? `${n.resource} (workload ${n.resourceWorkload})` : n.resource;
    const line = `${n.crossWorkload ? 'CROSS-WORKLOAD ' : ''}new access: ${who} may ${n.action}${n.via ? ` (${n.via})` : ''} on ${what} (was ${n.was})`;
    if (n.pattern === 'extends-to-new-workload')
      notes.push(`${line}: as it may on every other workload's ${afterResources.get(n.resource)?.kind ?? 'resource'}`);
    else if (!n.pattern) reasons.push(line);
  }
  const noLongerAllowed: ReviewDiff['noLongerAllowed'] = [];
  for (const [k, c] of beforeCells) {
    if (c.decision !== 'Allowed') continue;
    const after = afterCells.get(k);
    if (after?.decision === 'Allowed') continue;
    noLongerAllowed.push({
      principal: c.principal,
      resource: c.resource,
      action: c.action,
      ...(c.via ? { via: c.via } : {}),
      now: after?.decision ?? 'absent',
    });
  }

  // Public surfaces. One on a new workload's construct, of the same kind and detail as a surface the baseline
  // already has, repeats what was approved: reported, not failing.
  const beforeSurfaces = new Set(baseline.posture.publicSurfaces.map((s) => s.key));
  const afterSurfaces = new Set(current.posture.publicSurfaces.map((s) => s.key));
  const beforeShapes = new Set(baseline.posture.publicSurfaces.map((s) => `${s.kind}\0${s.detail}`));
  const addedSurfaces = current.posture.publicSurfaces.filter((s) => !beforeSurfaces.has(s.key));
  const mentionsNewWorkload = (text: string): boolean =>
    [...newWorkloads].some((w) =>
      new RegExp(`(^|[^a-z0-9])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^a-z0-9-]|$)`).test(text),
    );
  const newPublicSurfacesLikeBaseline = addedSurfaces.filter(
    (s) => beforeShapes.has(`${s.kind}\0${s.detail}`) && mentionsNewWorkload(s.resource),
  );
  const newPublicSurfaces = addedSurfaces.filter((s) => !newPublicSurfacesLikeBaseline.includes(s));
  const removedPublicSurfaces = baseline.posture.publicSurfaces.filter((s) => !afterSurfaces.has(s.key));
  for (const s of newPublicSurfaces) reasons.push(`new public surface: ${s.kind} ${s.resource}: ${s.detail}`);
  for (const s of newPublicSurfacesLikeBaseline)
    notes.push(
      `new public surface on the new workload, as the baseline has on others: ${s.kind} ${s.resource}: ${s.detail}`,
    );

  // Controls: a control weaker than before on a resource that still exists, or gone from it.
  const subjectsAfter = new Set(current.posture.controls.map((c) => c.subject));
  const afterControls = new Map(current.posture.controls.map((c) => [`${c.subject}\0${c.control}`, c]));
  const removedControls: ReviewDiff['removedControls'] = [];
  for (const before of baseline.posture.controls) {
    if (!subjectsAfter.has(before.subject)) continue;
    const after = afterControls.get(`${before.subject}\0${before.control}`);
    if (!after || after.rank < before.rank) {
      removedControls.push({
        subject: before.subject,
        control: before.control,
        was: before.value,
        now: after?.value ?? '(not evaluated)',
      });
      reasons.push(
        `control weakened: ${before.control} on ${before.subject}: ${before.value} -> ${after?.value ?? '(not evaluated)'}`,
      );
    }
  }

  // Validators and findings.
  const validatorsNoLongerRun: string[] = [];
  if (baseline.posture.validation.reportPresent && !current.posture.validation.reportPresent) {
    validatorsNoLongerRun.push('(validation report)');
    reasons.push('the synth no longer writes a validation report: no validator ran');
  }
  for (const plugin of Object.keys(baseline.posture.validation.plugins).sort(byString)) {
    if (current.posture.validation.reportPresent && !(plugin in current.posture.validation.plugins)) {
      validatorsNoLongerRun.push(plugin);
      reasons.push(`validator no longer run: ${plugin}`);
    }
  }
  const findingChanges: ReviewDiff['findingChanges'] = [];
  const plugins = new Set([
    ...Object.keys(baseline.posture.validation.plugins),
    ...Object.keys(current.posture.validation.plugins),
  ]);
  for (const plugin of [...plugins].sort(byString)) {
    const before = baseline.posture.validation.plugins[plugin]?.rules ?? {};
    const after = current.posture.validation.plugins[plugin]?.rules ?? {};
    for (const rule of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort(byString)) {
      const open: [number, number] = [before[rule]?.open ?? 0, after[rule]?.open ?? 0];
      const acknowledged: [number, number] = [before[rule]?.acknowledged ?? 0, after[rule]?.acknowledged ?? 0];
      if (open[0] === open[1] && acknowledged[0] === acknowledged[1]) continue;
      // New acknowledgements that all name a new workload (its constructs or its prefix) are that workload's
      // own, made by the same code as the other workloads': reported, not failing. Older baselines lack the list.
      const beforeAcks = before[rule]?.acknowledgedFindings;
      const added =
        beforeAcks && after[rule]?.acknowledgedFindings
          ? after[rule].acknowledgedFindings!.filter((f) => !beforeAcks.includes(f))
          : undefined;
      const ackRiseIsNewWorkloads =
        acknowledged[1] > acknowledged[0] &&
        added !== undefined &&
        added.length > 0 &&
        added.every(mentionsNewWorkload);
      const rising = open[1] > open[0] || (acknowledged[1] > acknowledged[0] && !ackRiseIsNewWorkloads);
      findingChanges.push({
        plugin,
        rule,
        open,
        acknowledged,
        rising,
        ...(ackRiseIsNewWorkloads ? { newForNewWorkloads: added } : {}),
      });
      if (open[1] > open[0]) reasons.push(`more open findings of ${plugin} ${rule}: ${open[0]} -> ${open[1]}`);
      if (acknowledged[1] > acknowledged[0]) {
        if (ackRiseIsNewWorkloads)
          notes.push(
            `more acknowledged findings of ${plugin} ${rule}: ${acknowledged[0]} -> ${acknowledged[1]}, all on the new workload's own constructs or data: ${added!.join('; ')}`,
          );
        else
          reasons.push(
            `more acknowledged findings of ${plugin} ${rule}: ${acknowledged[0]} -> ${acknowledged[1]}${added?.length ? `: ${added.join('; ')}` : ''}`,
          );
      }
    }
  }

  // Cost.
  const costKey = (l: { resource: string; item: string }): string => `${l.resource}\0${l.item}`;
  const beforeLines = new Map(baseline.cost.lines.map((l) => [costKey(l), l]));
  const afterLines = new Map(current.cost.lines.map((l) => [costKey(l), l]));
  const changes: ReviewDiff['cost']['changes'] = [];
  for (const k of [...new Set([...beforeLines.keys(), ...afterLines.keys()])].sort(byString)) {
    const b = beforeLines.get(k)?.monthly ?? 0;
    const a = afterLines.get(k)?.monthly ?? 0;
    if (a !== b) {
      const l = (afterLines.get(k) ?? beforeLines.get(k))!;
      changes.push({ resource: l.resource, item: l.item, before: b, after: a });
    }
  }

  const widensAccess =
    newPrincipalAccess.some((p) => p.access === 'needs-review') ||
    newAllowed.some((n) => !n.pattern) ||
    trustWidened.length > 0 ||
    newUnevaluatedPolicies.length > 0 ||
    newPublicSurfaces.length > 0;
  const removesControl =
    removedControls.length > 0 || validatorsNoLongerRun.length > 0 || findingChanges.some((f) => f.rising);
  return {
    schemaVersion: 1,
    widensAccess,
    removesControl,
    reasons,
    notes,
    newPrincipals,
    newPrincipalAccess,
    removedPrincipals,
    newAllowed,
    noLongerAllowed,
    trustWidened,
    newUnevaluatedPolicies,
    newPublicSurfaces,
    newPublicSurfacesLikeBaseline,
    removedPublicSurfaces,
    removedControls,
    findingChanges,
    validatorsNoLongerRun,
    cost: {
      before: baseline.cost.totalMonthly,
      after: current.cost.totalMonthly,
      delta: Math.round((current.cost.totalMonthly - baseline.cost.totalMonthly) * 100) / 100,
      changes,
    },
  };
}
