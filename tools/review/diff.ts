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
}

export interface ReviewDiff {
  readonly schemaVersion: 1;
  readonly widensAccess: boolean;
  readonly removesControl: boolean;
  /** One line per reason the diff widens access or removes a control (empty when neither). */
  readonly reasons: string[];
  readonly newPrincipals: string[];
  readonly removedPrincipals: string[];
  readonly newAllowed: NewAccess[];
  readonly noLongerAllowed: Array<{ principal: string; resource: string; action: string; via?: string; now: string }>;
  readonly trustWidened: Array<{ principal: string; added: string[] }>;
  readonly newUnevaluatedPolicies: Array<{ principal: string; added: string[] }>;
  readonly newPublicSurfaces: PublicSurface[];
  readonly removedPublicSurfaces: PublicSurface[];
  readonly removedControls: Array<{ subject: string; control: string; was: string; now: string }>;
  readonly findingChanges: Array<{
    plugin: string;
    rule: string;
    open: [number, number];
    acknowledged: [number, number];
    rising: boolean;
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

  // Principals.
  const beforePrincipals = new Map(baseline.matrix.principals.map((p) => [p.id, p]));
  const afterPrincipals = new Map(current.matrix.principals.map((p) => [p.id, p]));
  const newPrincipals = [...afterPrincipals.keys()].filter((id) => !beforePrincipals.has(id)).sort(byString);
  const removedPrincipals = [...beforePrincipals.keys()].filter((id) => !afterPrincipals.has(id)).sort(byString);
  for (const p of newPrincipals) reasons.push(`new principal ${p} (${afterPrincipals.get(p)!.arn})`);

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
  const newAllowed: NewAccess[] = [];
  for (const [k, c] of afterCells) {
    if (c.decision !== 'Allowed') continue;
    const before = beforeCells.get(k);
    if (before?.decision === 'Allowed') continue;
    const pw = afterPrincipals.get(c.principal)?.workload;
    const rw = resourceWorkload.get(c.resource);
    const crossWorkload = pw !== undefined && rw !== undefined && pw !== rw;
    newAllowed.push({
      principal: c.principal,
      resource: c.resource,
      action: c.action,
      ...(c.via ? { via: c.via } : {}),
      was: before?.decision ?? 'absent',
      crossWorkload,
      ...(pw ? { principalWorkload: pw } : {}),
      ...(rw ? { resourceWorkload: rw } : {}),
    });
  }
  for (const n of newAllowed) {
    const who = n.principalWorkload ? `${n.principal} (workload ${n.principalWorkload})` : n.principal;
    const what = n.resourceWorkload ? `${n.resource} (workload ${n.resourceWorkload})` : n.resource;
    reasons.push(
      `${n.crossWorkload ? 'CROSS-WORKLOAD ' : ''}new access: ${who} may ${n.action}${n.via ? ` (${n.via})` : ''} on ${what} (was ${n.was})`,
    );
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

  // Public surfaces.
  const beforeSurfaces = new Set(baseline.posture.publicSurfaces.map((s) => s.key));
  const afterSurfaces = new Set(current.posture.publicSurfaces.map((s) => s.key));
  const newPublicSurfaces = current.posture.publicSurfaces.filter((s) => !beforeSurfaces.has(s.key));
  const removedPublicSurfaces = baseline.posture.publicSurfaces.filter((s) => !afterSurfaces.has(s.key));
  for (const s of newPublicSurfaces) reasons.push(`new public surface: ${s.kind} ${s.resource}: ${s.detail}`);

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
      const rising = open[1] > open[0] || acknowledged[1] > acknowledged[0];
      findingChanges.push({ plugin, rule, open, acknowledged, rising });
      if (open[1] > open[0]) reasons.push(`more open findings of ${plugin} ${rule}: ${open[0]} -> ${open[1]}`);
      if (acknowledged[1] > acknowledged[0])
        reasons.push(`more acknowledged findings of ${plugin} ${rule}: ${acknowledged[0]} -> ${acknowledged[1]}`);
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
    newPrincipals.length > 0 ||
    newAllowed.length > 0 ||
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
    newPrincipals,
    removedPrincipals,
    newAllowed,
    noLongerAllowed,
    trustWidened,
    newUnevaluatedPolicies,
    newPublicSurfaces,
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
