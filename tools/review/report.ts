/**
 * The review report: `report.md` and a self-contained `report.html` (inline CSS, an inline SVG, no script,
 * a Content-Security-Policy that forbids every fetch). Sections: summary per zero-trust area, findings and
 * acknowledgements, network segmentation, access matrix, cost, and with a baseline, what changed.
 */
import type { AccessMatrix, MatrixCell } from './access-matrix';
import { Area, AREAS } from './areas';
import type { CostEstimate } from './cost';
import type { ReviewDiff } from './diff';
import { byString } from './json';
import type { JourneyReport } from './journeys';
import { esc, renderNetworkSvg } from './network-diagram';
import type { Posture } from './posture';
import type { SarifLog } from './sarif';

export interface ReviewData {
  readonly title?: string;
  readonly sarif: SarifLog;
  readonly matrix: AccessMatrix;
  readonly posture: Posture;
  readonly cost: CostEstimate;
  readonly diff?: ReviewDiff;
  /** The operational journeys evaluated against the templates. @default - no Journeys section */
  readonly journeys?: JourneyReport;
}

export interface AreaSummary {
  readonly area: Area;
  /** Posture checks passed. */
  readonly pass: number;
  /** Posture checks failed plus open validator findings. */
  readonly fail: number;
  readonly openFindings: number;
  readonly acknowledged: number;
  readonly failedChecks: number;
}

/** A finding of the SARIF log, flattened for the report. */
export interface FindingRow {
  readonly tool: string;
  readonly rule: string;
  readonly findingId: string;
  readonly area: Area;
  readonly level: string;
  readonly constructPath: string;
  readonly message: string;
  readonly location?: string;
  readonly acknowledged: boolean;
  readonly reason?: string;
}

/** Section ids, in order (the HTML test checks they render). */
export const SECTIONS = ['verdict', 'summary', 'findings', 'network', 'access', 'journeys', 'cost', 'changes'] as const;

/** One row of the Journeys table: step, actor, request, network, expected, decision, deciding statement. */
export interface JourneyRow {
  readonly journey: string;
  readonly step: string;
  readonly title: string;
  readonly actor: string;
  readonly request: string;
  readonly network: string;
  readonly expected: string;
  readonly decision: string;
  readonly deciding: string;
  readonly outcome: string;
  readonly problem?: string;
}

/** The journeys as table rows (the deciding statements joined; a check's detail). */
export function journeyRows(report: JourneyReport): JourneyRow[] {
  return report.journeys.flatMap((j) =>
    j.steps.map((s) => ({
      journey: `${j.id}. ${j.title}`,
      step: s.id,
      title: s.title,
      actor: s.actor,
      request: s.request,
      network: s.network,
      expected: s.expected,
      decision: s.decision,
      deciding: s.deciding.join('; '),
      outcome: s.outcome,
      ...(s.problem ? { problem: s.problem } : {}),
    })),
  );
}

function journeyCounts(report: JourneyReport): string {
  const c = report.counts;
  return `${c.pass} pass, ${c.fail} fail, ${c.error} error, ${c['not-applicable']} not applicable`;
}

export function findingRows(sarif: SarifLog): FindingRow[] {
  const rows: FindingRow[] = [];
  for (const run of sarif.runs) {
    for (const r of run.results) {
      const rule = run.tool.driver.rules[r.ruleIndex];
      const phys = r.locations[0]?.physicalLocation;
      rows.push({
        tool: run.tool.driver.name,
        rule: r.ruleId,
        findingId: String(r.properties.findingId ?? r.ruleId),
        area: (rule?.properties.area ?? 'compliance validation') as Area,
        level: r.level,
        constructPath: String(r.properties.constructPath ?? ''),
        message: r.message.text,
        ...(phys
          ? {
              location: `${decodeURIComponent(phys.artifactLocation.uri)}${phys.region ? `:${phys.region.startLine}` : ''}`,
            }
          : {}),
        acknowledged: (r.suppressions?.length ?? 0) > 0,
        ...(r.suppressions?.[0] ? { reason: r.suppressions[0].justification } : {}),
      });
    }
  }
  return rows.sort(
    (a, b) =>
      Number(a.acknowledged) - Number(b.acknowledged) ||
      byString(a.tool, b.tool) ||
      byString(a.rule, b.rule) ||
      byString(a.constructPath, b.constructPath),
  );
}

export function areaSummaries(data: ReviewData): AreaSummary[] {
  const rows = findingRows(data.sarif);
  return AREAS.map((area) => {
    const checks = data.posture.controls.filter((c) => c.area === area);
    const failedChecks = checks.filter((c) => !c.pass).length;
    const openFindings = rows.filter((r) => r.area === area && !r.acknowledged).length;
    return {
      area,
      pass: checks.length - failedChecks,
      fail: failedChecks + openFindings,
      openFindings,
      acknowledged: rows.filter((r) => r.area === area && r.acknowledged).length,
      failedChecks,
    };
  });
}

/** Short form of the allowed actions of one principal on one resource. */
function allowedActions(cells: MatrixCell[], short = false): string[] {
  return [
    ...new Set(
      cells
        .filter((c) => c.decision === 'Allowed')
        .map(
          (c) =>
            `${c.action.split(':')[1]}${c.via && c.via !== 'direct' ? ` via ${c.via.split('.')[0]}` : ''}${c.requires ? (short ? ` (IAM; + ${c.requires.replace(/ \(authorizer .*\)$/, '')})` : ` (allowed by IAM; requires ${c.requires})`) : ''}`,
        ),
    ),
  ].sort(byString);
}

function cellIndex(matrix: AccessMatrix): Map<string, MatrixCell[]> {
  const index = new Map<string, MatrixCell[]>();
  for (const c of matrix.cells) {
    const k = `${c.principal}\0${c.resource}`;
    if (!index.has(k)) index.set(k, []);
    index.get(k)!.push(c);
  }
  return index;
}

function money(n: number, currency: string): string {
  return `${n.toFixed(2)} ${currency}`;
}

/** The verdict a reviewer reads first: open findings, failed controls, what changed, cost. */
export interface Verdict {
  readonly openFindings: number;
  readonly failedControls: number;
  /** With a baseline: whether it needs a reviewer, and the lines that say why (or what changed without needing one). */
  readonly change?: {
    readonly needsReview: boolean;
    readonly summary: string;
    readonly reasons: string[];
    readonly notes: string[];
  };
  readonly cost: string;
  /** True when nothing needs attention: no open finding, no failed control, no change needing review. */
  readonly ok: boolean;
}

export function verdict(data: ReviewData): Verdict {
  const openFindings = findingRows(data.sarif).filter((r) => !r.acknowledged).length;
  const failedControls = data.posture.controls.filter((c) => !c.pass).length;
  const d = data.diff;
  const needsReview = !!d && (d.widensAccess || d.removesControl);
  const change = d
    ? {
        needsReview,
        summary: needsReview
          ? `needs a security reviewer: it ${[d.widensAccess ? 'widens access' : '', d.removesControl ? 'removes a control' : ''].filter((s) => s).join(' and ')}`
          : `no access widened, no control removed${d.notes.length ? ` (${d.notes.length} changes follow the baseline's patterns)` : ''}`,
        reasons: d.reasons,
        notes: d.notes,
      }
    : undefined;
  const c = data.cost;
  const cost = `${money(c.totalMonthly, c.priceTable.currency)} a month fixed${c.partial ? `, PARTIAL: leaves out ${c.notPriced.filter((n) => n.fixedCharge !== false).length} resources the price table cannot price (listed under Cost)` : ''}${d ? ` (${d.cost.delta >= 0 ? '+' : ''}${d.cost.delta.toFixed(2)} against the baseline)` : ''}`;
  return {
    openFindings,
    failedControls,
    ...(change ? { change } : {}),
    cost,
    ok: openFindings === 0 && failedControls === 0 && !needsReview,
  };
}

/** Acknowledged findings grouped by validator and rule, rules in order. */
function acknowledgedByRule(rows: FindingRow[]): Array<{ tool: string; rule: string; rows: FindingRow[] }> {
  const groups = new Map<string, { tool: string; rule: string; rows: FindingRow[] }>();
  for (const r of rows.filter((x) => x.acknowledged)) {
    const k = `${r.tool}\0${r.rule}`;
    if (!groups.has(k)) groups.set(k, { tool: r.tool, rule: r.rule, rows: [] });
    groups.get(k)!.rows.push(r);
  }
  return [...groups.values()].sort((a, b) => byString(a.tool, b.tool) || byString(a.rule, b.rule));
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown

export function renderMarkdown(data: ReviewData): string {
  const out: string[] = [];
  const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  out.push(`# ${data.title ?? 'Policy review'}`, '');
  if (data.diff) {
    out.push(
      data.diff.widensAccess || data.diff.removesControl
        ? `**This change needs a security reviewer:** ${[data.diff.widensAccess ? 'it widens access' : '', data.diff.removesControl ? 'it removes a control' : ''].filter((s) => s).join(' and ')}. See [What changed](#what-changed).`
        : 'Compared with the baseline: no access widened, no control removed.',
      '',
    );
  }
  const v = verdict(data);
  out.push(
    '## Verdict',
    '',
    `- Open findings: **${v.openFindings}**`,
    `- Failed controls: **${v.failedControls}**`,
    `- What changed: ${v.change ? `**${v.change.summary}**` : 'no baseline given'}`,
    ...(v.change ? v.change.reasons.slice(0, 10).map((r) => `  - ${md(r)}`) : []),
    ...(v.change && v.change.reasons.length > 10
      ? [`  - and ${v.change.reasons.length - 10} more (What changed)`]
      : []),
    `- Cost: ${md(v.cost)}`,
    '',
  );
  out.push(
    '## Summary',
    '',
    '| Area | Pass | Fail | Open findings | Acknowledged |',
    '| --- | ---: | ---: | ---: | ---: |',
  );
  for (const s of areaSummaries(data))
    out.push(`| ${s.area} | ${s.pass} | ${s.fail} | ${s.openFindings} | ${s.acknowledged} |`);
  out.push(
    '',
    'Pass/fail counts the controls read from the templates (failed checks are listed under Findings) plus the open findings of the validators.',
    '',
  );

  const rows = findingRows(data.sarif);
  const failed = data.posture.controls.filter((c) => !c.pass);
  out.push('## Findings', '');
  if (!data.posture.validation.reportPresent) out.push('> No validation report in the assembly: no validator ran.', '');
  out.push(`### Open (${rows.filter((r) => !r.acknowledged).length})`, '');
  if (rows.some((r) => !r.acknowledged)) {
    out.push('| Validator | Rule | Level | Construct | Message | Source |', '| --- | --- | --- | --- | --- | --- |');
    for (const r of rows.filter((r) => !r.acknowledged))
      out.push(
        `| ${md(r.tool)} | ${md(r.findingId)} | ${r.level} | \`${md(r.constructPath)}\` | ${md(r.message)} | ${md(r.location ?? '')} |`,
      );
  } else out.push('None.');
  out.push('', `### Acknowledged (${rows.filter((r) => r.acknowledged).length})`, '');
  if (rows.some((r) => r.acknowledged)) {
    for (const g of acknowledgedByRule(rows)) {
      out.push(`#### ${md(g.tool)} ${md(g.rule)} (${g.rows.length})`, '');
      out.push('| Finding | Construct | Reason | Source |', '| --- | --- | --- | --- |');
      for (const r of g.rows)
        out.push(
          `| ${md(r.findingId)} | \`${md(r.constructPath)}\` | ${md(r.reason ?? '')} | ${md(r.location ?? '')} |`,
        );
      out.push('');
    }
  } else out.push('None.');
  out.push('', `### Failed checks (${failed.length})`, '');
  if (failed.length > 0) {
    out.push('| Area | Control | Resource | Value |', '| --- | --- | --- | --- |');
    for (const c of failed) out.push(`| ${c.area} | ${md(c.control)} | \`${md(c.subject)}\` | ${md(c.value)} |`);
  } else out.push('None.');

  const net = data.posture.network;
  out.push('', '## Network segmentation', '', 'The diagram is in `report.html` (and `network.svg`).', '');
  for (const vpc of net.vpcs) {
    out.push(
      `### VPC \`${vpc.id}\` ${vpc.cidr}${vpc.flowLogs ? '' : ' (no flow logs)'}`,
      '',
      '| Tier | Type | Subnets | AZs | Default route | Public IP on launch |',
      '| --- | --- | ---: | --- | --- | --- |',
    );
    for (const t of vpc.tiers)
      out.push(
        `| ${t.name} | ${t.subnetType} | ${t.subnets} | ${t.azs.join(', ')} | ${t.egress} | ${t.publicIpOnLaunch ? 'yes' : 'no'} |`,
      );
    out.push('');
  }
  if (net.endpoints.length > 0) {
    out.push(
      '| Endpoint | Service | Type | Tiers | Security groups | Policy |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const e of net.endpoints)
      out.push(
        `| \`${md(e.id)}\` | ${e.service} | ${e.type} | ${md(e.tiers.join(', '))} | ${md(e.securityGroups.join(', '))} | ${e.hasPolicy ? 'yes' : 'no'} |`,
      );
    out.push('');
  }
  out.push('Who may reach whom (security group ingress rules):', '');
  if (net.reachability.length > 0) {
    out.push('| From | To | Ports | Source egress allows |', '| --- | --- | --- | --- |');
    for (const r of net.reachability)
      out.push(`| \`${md(r.from)}\` | \`${md(r.to)}\` | ${r.ports} | ${r.egressAllowed ? 'yes' : 'no'} |`);
  } else out.push('No ingress rule.');
  out.push('', `Public surfaces (${data.posture.publicSurfaces.length}):`, '');
  for (const s of data.posture.publicSurfaces) out.push(`- **${s.kind}** \`${md(s.resource)}\`: ${md(s.detail)}`);
  if (data.posture.publicSurfaces.length === 0) out.push('None.');

  out.push(
    '',
    '## Access matrix',
    '',
    `Evaluated with the synthesized policies (${data.matrix.principals.length} roles, ${data.matrix.resources.length} resources, ${data.matrix.cells.length} requests). Full detail: \`access-matrix.json\`.`,
    '',
  );
  for (const c of data.matrix.requestContext) out.push(`- ${c}`);
  out.push('', `### Cross-workload access allowed (${data.matrix.crossWorkloadAllowed.length})`, '');
  for (const c of data.matrix.crossWorkloadAllowed)
    out.push(`- \`${c.principal}\` may ${c.action}${c.via ? ` (${c.via})` : ''} on \`${c.resource}\``);
  if (data.matrix.crossWorkloadAllowed.length === 0) out.push('None.');
  out.push('', '### Allowed, by role', '');
  const index = cellIndex(data.matrix);
  for (const p of data.matrix.principals) {
    const lines = data.matrix.resources
      .map((r) => [r, allowedActions(index.get(`${p.id}\0${r.id}`) ?? [])] as const)
      .filter(([, a]) => a.length > 0);
    out.push(
      `- \`${p.id}\`${p.workload ? ` (workload ${p.workload})` : ''}${p.permissionsBoundary ? '' : ' **no permissions boundary**'}${p.unevaluatedPolicies.length ? ` (not evaluated: ${p.unevaluatedPolicies.join(', ')})` : ''}`,
    );
    for (const [r, a] of lines) out.push(`  - \`${r.id}\`: ${a.join(', ')}`);
    if (lines.length === 0) out.push('  - nothing');
  }
  const errors = data.matrix.cells.filter((c) => c.decision === 'Error');
  if (errors.length > 0)
    out.push('', `${errors.length} requests could not be evaluated (see \`access-matrix.json\`, decision Error).`);

  out.push('', '## Journeys', '');
  if (!data.journeys || !data.journeys.applicable) {
    out.push('Not evaluated: the assembly is not a platform (no `<name>-platform` stack).');
  } else {
    const j = data.journeys;
    out.push(
      `Every request of the platform's operational journeys, evaluated against every policy in its way (identity, permissions boundary, resource, key, VPC endpoint, trust) with the context keys AWS documents for it, in the ${j.profile} profile (placeholder account ${j.environment.account}, ${j.environment.region}): ${journeyCounts(j)}. Full detail, with the context of each request and the AWS page that documents it: \`journeys.json\`.`,
      '',
    );
    for (const journey of j.journeys) {
      out.push(`### ${journey.id}. ${md(journey.title)}`, '', md(journey.summary), '');
      out.push(
        '| Step | Actor | Request | Network | Expected | Decision | Deciding statement |',
        '| --- | --- | --- | --- | --- | --- | --- |',
      );
      for (const r of journeyRows({ ...j, journeys: [journey] }))
        out.push(
          `| ${r.step} ${md(r.title)} | \`${md(r.actor)}\` | \`${md(r.request)}\` | ${md(r.network)} | ${r.expected} | ${r.outcome === 'pass' ? r.decision : `**${r.decision}** (${md(r.problem ?? r.outcome)})`} | ${md(r.deciding)} |`,
        );
      out.push('');
    }
  }

  const cost = data.cost;
  out.push(
    '',
    '## Cost',
    '',
    `Fixed monthly cost: **${money(cost.totalMonthly, cost.priceTable.currency)}**${cost.partial ? ' **(partial)**' : ''} (price table ${cost.priceTable.region}, as of ${cost.priceTable.asOf}; ${cost.hoursPerMonth} h/month). The total is ${md(cost.totalNote)}.`,
    '',
  );
  out.push('| Resource | Item | Quantity | Unit price | Monthly |', '| --- | --- | ---: | ---: | ---: |');
  for (const l of cost.lines)
    out.push(
      `| \`${md(l.resource)}\` | ${md(l.item)} | ${l.quantity} ${l.unit} | ${l.unitPrice} | ${l.monthly.toFixed(2)} |`,
    );
  out.push('', `Usage-priced (not in the total): ${cost.usageRates.length} rates, see \`cost.json\`.`, '');
  out.push(`Not priced (${cost.notPriced.length}):`, '');
  for (const n of cost.notPriced) out.push(`- \`${md(n.resource)}\` ${n.type}: ${n.reason}`);
  if (cost.notPriced.length === 0) out.push('None.');
  for (const n of cost.notes) out.push(`- Note: ${n}`);

  out.push('', '## What changed', '');
  if (!data.diff) out.push('No baseline given (run with `--baseline <dir>`).');
  else {
    const d = data.diff;
    out.push(
      `- Widens access: **${d.widensAccess ? 'yes' : 'no'}**`,
      `- Removes a control: **${d.removesControl ? 'yes' : 'no'}**`,
      `- Cost: ${d.cost.before.toFixed(2)} -> ${d.cost.after.toFixed(2)} (${d.cost.delta >= 0 ? '+' : ''}${d.cost.delta.toFixed(2)}) per month`,
      '',
    );
    for (const r of d.reasons) out.push(`- ${md(r)}`);
    if (d.notes.length > 0) {
      out.push('', "Following the baseline's patterns (no reviewer needed):", '');
      for (const n of d.notes) out.push(`- ${md(n)}`);
    }
    if (d.noLongerAllowed.length > 0) out.push('', `No longer allowed: ${d.noLongerAllowed.length} requests.`);
    if (d.removedPublicSurfaces.length > 0)
      out.push(
        '',
        `Public surfaces removed: ${d.removedPublicSurfaces.map((s) => `${s.kind} ${s.resource}`).join(', ')}.`,
      );
  }
  return `${out.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// HTML

const CSS = `
body{overflow-wrap:anywhere;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#fff}
header{background:#1d3557;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}
nav{padding:8px 28px;background:#eef2f8;border-bottom:1px solid #d0d7e2}nav a{margin-right:16px;color:#1d3557}
main{padding:8px 28px 40px}section{margin:24px 0}h2{border-bottom:2px solid #1d3557;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px;max-width:100%}th,td{border:1px solid #d0d7e2;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f6fa}td.num{text-align:right}code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f3f6fa;padding:0 3px}
.pass{color:#1e7e34;font-weight:600}.fail{color:#b02a37;font-weight:600}.ack{color:#8a6d00}
.banner{padding:10px 14px;border-radius:6px;margin:12px 0}.banner.bad{background:#fdecea;border:1px solid #c0392b}.banner.ok{background:#e9f7ef;border:1px solid #2e8b57}
.matrix{table-layout:fixed;width:100%}.matrix td,.matrix th{font-size:11px;padding:3px}.matrix td:first-child,.matrix th:first-child{width:22%}.matrix td.allowed{background:#e9f7ef}.matrix td.cross{background:#fdecea;font-weight:600}
.matrix th.rot{writing-mode:vertical-rl;transform:rotate(180deg);max-height:260px;white-space:nowrap}
.diagram{overflow-x:auto;border:1px solid #d0d7e2;padding:8px;background:#fff}.diagram svg{max-width:100%;height:auto}
.verdict{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin:12px 0}.verdict div{border:1px solid #d0d7e2;border-radius:6px;padding:10px 14px;min-width:0;overflow-wrap:anywhere}
.verdict b{display:block;font-size:22px}.verdict .bad{background:#fdecea;border-color:#c0392b}.verdict .good{background:#e9f7ef;border-color:#2e8b57}
details{margin:4px 0}summary{cursor:pointer}code{overflow-wrap:anywhere}
`;

export function renderHtml(data: ReviewData): string {
  const title = data.title ?? 'Policy review';
  const h: string[] = [];
  const code = (s: string): string => `<code>${esc(s)}</code>`;
  const table = (headers: string[], rows: string[][], cls = ''): string =>
    `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${headers.map((x) => `<th>${x}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => (c.startsWith('<td') ? c : `<td>${c}</td>`)).join('')}</tr>`).join('')}</tbody></table>`;

  // Verdict: what a reviewer reads first.
  const v = verdict(data);
  const box = (label: string, value: string, good: boolean, detail = ''): string =>
    `<div class="${good ? 'good' : 'bad'}">${esc(label)}<b>${esc(value)}</b>${detail}</div>`;
  h.push('<section id="verdict"><h2>Verdict</h2><div class="verdict">');
  h.push(box('Open findings', String(v.openFindings), v.openFindings === 0));
  h.push(box('Failed controls', String(v.failedControls), v.failedControls === 0));
  h.push(
    box(
      'What changed',
      v.change ? (v.change.needsReview ? 'needs review' : 'nothing widened') : 'no baseline',
      !v.change?.needsReview,
      `<small>${esc(v.change ? v.change.summary : 'run with --baseline <dir> to compare')}</small>`,
    ),
  );
  h.push(
    box(
      'Cost',
      `${money(data.cost.totalMonthly, data.cost.priceTable.currency)}/month${data.cost.partial ? ' (partial)' : ''}`,
      !data.cost.partial,
      `<small>${esc(v.cost)}</small>`,
    ),
  );
  h.push('</div>');
  if (v.change && v.change.reasons.length)
    h.push(
      `<p><strong>Why it needs a reviewer:</strong></p><ul>${v.change.reasons
        .slice(0, 10)
        .map((r) => `<li>${esc(r)}</li>`)
        .join(
          '',
        )}${v.change.reasons.length > 10 ? `<li>and ${v.change.reasons.length - 10} more (What changed)</li>` : ''}</ul>`,
    );
  h.push('</section>');

  // Summary.
  h.push('<section id="summary"><h2>Summary</h2>');
  if (data.diff) {
    const bad = data.diff.widensAccess || data.diff.removesControl;
    h.push(
      `<div class="banner ${bad ? 'bad' : 'ok'}">${bad ? `<strong>This change needs a security reviewer:</strong> ${[data.diff.widensAccess ? 'it widens access' : '', data.diff.removesControl ? 'it removes a control' : ''].filter((s) => s).join(' and ')}.` : 'Compared with the baseline: no access widened, no control removed.'}</div>`,
    );
  }
  h.push(
    table(
      ['Area', 'Pass', 'Fail', 'Open findings', 'Acknowledged'],
      areaSummaries(data).map((s) => [
        esc(s.area),
        `<td class="num pass">${s.pass}</td>`,
        `<td class="num${s.fail > 0 ? ' fail' : ''}">${s.fail}</td>`,
        `<td class="num">${s.openFindings}</td>`,
        `<td class="num ack">${s.acknowledged}</td>`,
      ]),
    ),
  );
  h.push(
    '<p>Pass/fail counts the controls read from the templates plus the open findings of the validators.</p></section>',
  );

  // Findings.
  const rows = findingRows(data.sarif);
  const failed = data.posture.controls.filter((c) => !c.pass);
  h.push('<section id="findings"><h2>Findings</h2>');
  if (!data.posture.validation.reportPresent)
    h.push('<p class="fail">No validation report in the assembly: no validator ran.</p>');
  h.push(`<h3>Open (${rows.filter((r) => !r.acknowledged).length})</h3>`);
  if (!rows.some((r) => !r.acknowledged)) h.push('<p>None.</p>');
  else
    h.push(
      table(
        ['Validator', 'Rule', 'Level', 'Construct', 'Message', 'Source'],
        rows
          .filter((r) => !r.acknowledged)
          .map((r) => [
            esc(r.tool),
            esc(r.findingId),
            esc(r.level),
            code(r.constructPath),
            esc(r.message),
            esc(r.location ?? ''),
          ]),
      ),
    );
  h.push(`<h3>Acknowledged (${rows.filter((r) => r.acknowledged).length}), by rule</h3>`);
  for (const g of acknowledgedByRule(rows))
    h.push(
      `<details class="ack-rule"><summary><strong>${esc(g.rule)}</strong> ${esc(g.tool)} (${g.rows.length})</summary>${table(
        ['Finding', 'Construct', 'Reason', 'Source'],
        g.rows.map((r) => [esc(r.findingId), code(r.constructPath), esc(r.reason ?? ''), esc(r.location ?? '')]),
      )}</details>`,
    );
  h.push(`<h3>Failed checks (${failed.length})</h3>`);
  h.push(
    table(
      ['Area', 'Control', 'Resource', 'Value'],
      failed.map((c) => [esc(c.area), esc(c.control), code(c.subject), esc(c.value)]),
    ),
  );
  h.push('</section>');

  // Network.
  const net = data.posture.network;
  h.push('<section id="network"><h2>Network segmentation</h2>');
  h.push(`<div class="diagram">${renderNetworkSvg(net)}</div>`);
  h.push('<h3>Who may reach whom</h3>');
  h.push(
    table(
      ['From', 'To', 'Ports', 'Source egress allows'],
      net.reachability.map((r) => [
        code(r.from),
        code(r.to),
        esc(r.ports),
        r.egressAllowed ? 'yes' : '<span class="fail">no</span>',
      ]),
    ),
  );
  h.push('<h3>Endpoints</h3>');
  h.push(
    table(
      ['Endpoint', 'Service', 'Type', 'Tiers', 'Security groups', 'Policy'],
      net.endpoints.map((e) => [
        code(e.id),
        esc(e.service),
        esc(e.type),
        esc(e.tiers.join(', ')),
        esc(e.securityGroups.join(', ')),
        e.hasPolicy ? 'yes' : 'no',
      ]),
    ),
  );
  h.push(`<h3>Public surfaces (${data.posture.publicSurfaces.length})</h3>`);
  h.push(
    table(
      ['Kind', 'Resource', 'Detail'],
      data.posture.publicSurfaces.map((s) => [esc(s.kind), code(s.resource), esc(s.detail)]),
    ),
  );
  h.push('</section>');

  // Access matrix.
  const m = data.matrix;
  const index = cellIndex(m);
  const principalWorkload = new Map(m.principals.map((p) => [p.id, p.workload]));
  h.push('<section id="access"><h2>Access matrix</h2>');
  h.push(
    `<p>${m.principals.length} roles, ${m.resources.length} resources, ${m.cells.length} requests evaluated from the synthesized policies. Cells list the allowed actions; empty means every sensitive action is denied. Red: the role's workload differs from the resource's.</p>`,
  );
  h.push(`<ul>${m.requestContext.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`);
  h.push(`<h3>Cross-workload access allowed (${m.crossWorkloadAllowed.length})</h3>`);
  h.push(
    table(
      ['Role', 'Action', 'Resource'],
      m.crossWorkloadAllowed.map((c) => [
        code(c.principal),
        esc(`${c.action}${c.via ? ` (${c.via})` : ''}`),
        code(c.resource),
      ]),
    ),
  );
  h.push(
    table(
      ['Resource', ...m.principals.map((p) => `<span title="${esc(p.arn)}">${esc(p.id)}</span>`)],
      m.resources.map((r) => [
        `${code(r.id)} <small>${esc(r.kind)}${r.workload ? `, ${esc(r.workload)}` : ''}</small>`,
        ...m.principals.map((p) => {
          const a = allowedActions(index.get(`${p.id}\0${r.id}`) ?? [], true);
          const pw = principalWorkload.get(p.id);
          const cross = a.length > 0 && pw !== undefined && r.workload !== undefined && pw !== r.workload;
          return `<td class="${a.length ? (cross ? 'cross' : 'allowed') : ''}">${esc(a.join(', '))}</td>`;
        }),
      ]),
      'matrix',
    ),
  );
  const behindAuthorizer = m.resources.filter((r) => r.authorizer);
  if (behindAuthorizer.length)
    h.push(
      `<p>Behind an authorizer (the cell is the IAM decision only): ${behindAuthorizer.map((r) => `${code(r.id)}: allowed by IAM; requires ${esc(r.authorizer!)}`).join('; ')}.</p>`,
    );
  h.push('<h3>Roles</h3>');
  h.push(
    table(
      ['Role', 'Workload', 'Permissions boundary', 'Trusted by', 'Not evaluated'],
      m.principals.map((p) => [
        code(p.id),
        esc(p.workload ?? ''),
        p.permissionsBoundary ? esc(p.permissionsBoundary) : '<span class="fail">none</span>',
        esc(p.trustedBy.join(', ')),
        esc(p.unevaluatedPolicies.join(', ')),
      ]),
    ),
  );
  h.push('</section>');

  // Journeys.
  h.push('<section id="journeys"><h2>Journeys</h2>');
  if (!data.journeys || !data.journeys.applicable) {
    h.push('<p>Not evaluated: the assembly is not a platform (no <code>&lt;name&gt;-platform</code> stack).</p>');
  } else {
    const j = data.journeys;
    h.push(
      `<p>Every request of the platform's operational journeys, evaluated against every policy in its way with the context keys AWS documents for it, in the ${esc(j.profile)} profile: <strong class="${j.counts.fail + j.counts.error > 0 ? 'fail' : 'pass'}">${esc(journeyCounts(j))}</strong>. Detail: <code>journeys.json</code>.</p>`,
    );
    for (const journey of j.journeys) {
      h.push(`<h3>${journey.id}. ${esc(journey.title)}</h3><p>${esc(journey.summary)}</p>`);
      h.push(
        table(
          ['Step', 'Actor', 'Request', 'Network', 'Expected', 'Decision', 'Deciding statement'],
          journeyRows({ ...j, journeys: [journey] }).map((r) => [
            `${esc(r.step)} ${esc(r.title)}`,
            code(r.actor),
            code(r.request),
            esc(r.network),
            esc(r.expected),
            `<td class="${r.outcome === 'pass' ? 'pass' : 'fail'}">${esc(r.decision)}${r.outcome === 'pass' ? '' : ` (${esc(r.problem ?? r.outcome)})`}</td>`,
            esc(r.deciding),
          ]),
        ),
      );
    }
  }
  h.push('</section>');

  // Cost.
  const cost = data.cost;
  h.push('<section id="cost"><h2>Cost</h2>');
  h.push(
    `<p>Fixed monthly cost: <strong>${esc(money(cost.totalMonthly, cost.priceTable.currency))}</strong>${cost.partial ? ' <strong class="fail">(partial)</strong>' : ''}. The total is ${esc(cost.totalNote)}. (Price table ${esc(cost.priceTable.region)}, as of ${esc(cost.priceTable.asOf)}; ${cost.hoursPerMonth} h/month). ${esc(cost.priceTable.source)}</p>`,
  );
  h.push(
    table(
      ['Resource', 'Item', 'Quantity', 'Unit price', 'Monthly'],
      cost.lines.map((l) => [
        code(l.resource),
        esc(l.item),
        `<td class="num">${l.quantity} ${esc(l.unit)}</td>`,
        `<td class="num">${l.unitPrice}</td>`,
        `<td class="num">${l.monthly.toFixed(2)}</td>`,
      ]),
    ),
  );
  h.push(`<h3>Usage-priced (not in the total)</h3>`);
  h.push(
    table(
      ['Resource', 'Item', 'Unit', 'Unit price'],
      cost.usageRates.map((u) => [code(u.resource), esc(u.item), esc(u.unit), `<td class="num">${u.unitPrice}</td>`]),
    ),
  );
  h.push(`<h3>Not priced (${cost.notPriced.length})</h3>`);
  h.push(
    table(
      ['Resource', 'Type', 'Reason'],
      cost.notPriced.map((n) => [code(n.resource), esc(n.type), esc(n.reason)]),
    ),
  );
  if (cost.notes.length) h.push(`<ul>${cost.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);
  h.push('</section>');

  // Changes.
  h.push('<section id="changes"><h2>What changed</h2>');
  if (!data.diff) h.push('<p>No baseline given (run with <code>--baseline &lt;dir&gt;</code>).</p>');
  else {
    const d = data.diff;
    h.push(
      `<p>Widens access: <strong class="${d.widensAccess ? 'fail' : 'pass'}">${d.widensAccess ? 'yes' : 'no'}</strong>. Removes a control: <strong class="${d.removesControl ? 'fail' : 'pass'}">${d.removesControl ? 'yes' : 'no'}</strong>. Cost: ${d.cost.before.toFixed(2)} &rarr; ${d.cost.after.toFixed(2)} (${d.cost.delta >= 0 ? '+' : ''}${d.cost.delta.toFixed(2)}) per month.</p>`,
    );
    h.push(`<ul>${d.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
    if (d.notes.length)
      h.push(
        `<p>Following the baseline's patterns (no reviewer needed):</p><ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`,
      );
    if (d.noLongerAllowed.length) h.push(`<p>No longer allowed: ${d.noLongerAllowed.length} requests.</p>`);
    if (d.cost.changes.length)
      h.push(
        table(
          ['Resource', 'Item', 'Before', 'After'],
          d.cost.changes.map((c) => [
            code(c.resource),
            esc(c.item),
            `<td class="num">${c.before.toFixed(2)}</td>`,
            `<td class="num">${c.after.toFixed(2)}</td>`,
          ]),
        ),
      );
  }
  h.push('</section>');

  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><style>${CSS}</style></head><body>`,
    `<header><h1>${esc(title)}</h1></header>`,
    `<nav>${SECTIONS.map((s) => `<a href="#${s}">${{ verdict: 'Verdict', summary: 'Summary', findings: 'Findings', network: 'Network', access: 'Access matrix', journeys: 'Journeys', cost: 'Cost', changes: 'What changed' }[s]}</a>`).join('')}</nav>`,
    `<main>${h.join('\n')}</main></body></html>`,
    '',
  ].join('\n');
}
