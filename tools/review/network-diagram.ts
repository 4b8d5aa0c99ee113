/**
 * The network segmentation as an SVG drawing: one box per VPC, one column per subnet tier (by its
 * `aws-cdk:subnet-name` tag) with where its default route goes, the VPC endpoints and security groups
 * placed in the tiers they sit in, and an arrow for every security-group ingress rule (who may reach
 * whom, on which ports). CIDR sources sit in an "outside" column; open ones (0.0.0.0/0, ::/0) in red.
 */
import type { NetworkModel, SecurityGroupNode } from './posture';

const COLUMN_WIDTH = 290;
const COLUMN_GAP = 90;
const NODE_HEIGHT = 38;
const NODE_GAP = 14;
const HEADER = 62;
const PAD = 16;

interface Node {
  readonly key: string;
  readonly label: string;
  readonly title: string;
  readonly kind: 'sg' | 'endpoint' | 'external';
  x: number;
  y: number;
}

/** Render the network model as a standalone SVG element (no external references). */
export function renderNetworkSvg(network: NetworkModel): string {
  const parts: string[] = [];
  const nodes = new Map<string, Node>();
  let y = PAD;
  let width = 600;

  const externalSources = [
    ...new Set(
      network.reachability.map((r) => r.from).filter((f) => f.startsWith('cidr:') || f.startsWith('prefix-list:')),
    ),
  ].sort();
  const hasVpc = network.vpcs.length > 0 || network.securityGroups.length > 0;
  if (!hasVpc) {
    return svg(600, 60, [
      `<text x="${PAD}" y="34" class="muted">No VPC, subnet or security group in the assembly.</text>`,
    ]);
  }

  const vpcIds = [...new Set([...network.vpcs.map((v) => v.id), ...network.securityGroups.map((g) => g.vpc)])];
  for (const vpcId of vpcIds) {
    const vpc = network.vpcs.find((v) => v.id === vpcId);
    const tiers = vpc?.tiers ?? [];
    const columns: Array<{ key: string; title: string; subtitle: string; egress: string }> = tiers.map((t) => ({
      key: `${vpcId}:${t.name}`,
      title: t.name,
      subtitle: `${t.subnetType}, ${t.subnets} subnet${t.subnets === 1 ? '' : 's'} (${t.azs.join(', ')})`,
      egress: t.egress === 'none' ? 'no route to the internet' : `0.0.0.0/0 -> ${t.egress}`,
    }));
    const groups = network.securityGroups.filter((g) => g.vpc === vpcId);
    const endpoints = network.endpoints.filter((e) => e.vpc === vpcId);
    const untiered = groups.filter((g) => !g.tiers.some((t) => columns.some((c) => c.key === t)));
    if (untiered.length > 0)
      columns.push({
        key: `${vpcId}:(none)`,
        title: '(no subnet)',
        subtitle: 'groups attached to no subnet',
        egress: '',
      });
    const vpcExternal = vpcId === vpcIds[0] ? externalSources : [];
    const x0 = PAD + (vpcExternal.length > 0 ? COLUMN_WIDTH + COLUMN_GAP : 0);

    // Place nodes per column.
    const columnNodes: Node[][] = columns.map(() => []);
    columns.forEach((c, i) => {
      for (const e of endpoints.filter(
        (e) => (e.tiers.find((t) => columns.some((col) => col.key === t)) ?? columns[0].key) === c.key,
      )) {
        columnNodes[i].push({
          key: e.id,
          kind: 'endpoint',
          label: `endpoint: ${e.service} (${e.type}${e.tiers.length > 1 ? `, ${e.tiers.length} tiers` : ''})`,
          title: `${e.id}${e.hasPolicy ? ' (with endpoint policy)' : ''}`,
          x: 0,
          y: 0,
        });
      }
      for (const g of groups.filter((g) => firstTier(g, columns) === c.key)) {
        columnNodes[i].push({
          key: g.id,
          kind: 'sg',
          label: shortName(g.id),
          title: `${g.id}: ${g.description}; attached to ${g.attachedTo.join(', ') || 'nothing'}`,
          x: 0,
          y: 0,
        });
      }
    });
    const rows = Math.max(1, ...columnNodes.map((n) => n.length));
    const vpcHeight = HEADER + rows * (NODE_HEIGHT + NODE_GAP) + PAD * 2;
    const vpcWidth = columns.length * (COLUMN_WIDTH + PAD) + PAD;
    width = Math.max(width, x0 + vpcWidth + PAD);

    parts.push(`<g class="vpc"><title>${esc(vpcId)}</title>`);
    parts.push(`<rect x="${x0}" y="${y}" width="${vpcWidth}" height="${vpcHeight + 24}" rx="8" class="vpc-box"/>`);
    parts.push(
      `<text x="${x0 + 10}" y="${y + 18}" class="vpc-title">VPC ${esc(vpcId)} ${esc(vpc?.cidr ?? '')}${vpc && !vpc.flowLogs ? ' (no flow logs)' : ''}</text>`,
    );
    columns.forEach((c, i) => {
      const cx = x0 + PAD + i * (COLUMN_WIDTH + PAD);
      const cy = y + 28;
      const cls = c.egress.includes('internet-gateway')
        ? 'tier tier-public'
        : c.egress.includes('nat')
          ? 'tier tier-nat'
          : 'tier';
      parts.push(
        `<rect x="${cx}" y="${cy}" width="${COLUMN_WIDTH}" height="${vpcHeight - 12}" rx="6" class="${cls}"/>`,
      );
      parts.push(`<text x="${cx + 8}" y="${cy + 16}" class="tier-title">${esc(c.title)}</text>`);
      parts.push(`<text x="${cx + 8}" y="${cy + 31}" class="small">${esc(truncate(c.subtitle, 44))}</text>`);
      parts.push(`<text x="${cx + 8}" y="${cy + 45}" class="small">${esc(c.egress)}</text>`);
      columnNodes[i].forEach((n, j) => {
        n.x = cx + 10;
        n.y = cy + HEADER - 6 + j * (NODE_HEIGHT + NODE_GAP);
        nodes.set(n.key, n);
      });
    });
    vpcExternal.forEach((key, j) => {
      const open = key === 'cidr:0.0.0.0/0' || key === 'cidr:::/0';
      nodes.set(key, {
        key,
        kind: 'external',
        label: `${open ? 'anywhere ' : ''}${key.replace(/^cidr:/, '')}`,
        title: key,
        x: PAD + 10,
        y: y + 28 + HEADER - 6 + j * (NODE_HEIGHT + NODE_GAP),
      });
    });
    parts.push('</g>');
    if (vpcExternal.length > 0)
      parts.push(`<text x="${PAD + 10}" y="${y + 18}" class="vpc-title">outside the groups</text>`);
    y += vpcHeight + 24 + PAD;
  }

  // Nodes.
  for (const n of nodes.values()) {
    const cls =
      n.kind === 'endpoint'
        ? 'node node-endpoint'
        : n.kind === 'external'
          ? n.label.startsWith('anywhere')
            ? 'node node-open'
            : 'node node-external'
          : 'node';
    parts.push(
      `<g><title>${esc(n.title)}</title><rect x="${n.x}" y="${n.y}" width="${COLUMN_WIDTH - 20}" height="${NODE_HEIGHT}" rx="4" class="${cls}"/>`,
    );
    parts.push(`<text x="${n.x + 8}" y="${n.y + 23}" class="node-label">${esc(truncate(n.label, 42))}</text></g>`);
  }
  // Edges (ingress rules).
  network.reachability.forEach((r, i) => {
    const from = nodes.get(r.from);
    const to = nodes.get(r.to);
    if (!from || !to) return;
    const w = COLUMN_WIDTH - 20;
    const sx = from.x + w;
    const sy = from.y + NODE_HEIGHT / 2;
    const tx = to.x;
    const ty = to.y + NODE_HEIGHT / 2;
    const open = r.from === 'cidr:0.0.0.0/0' || r.from === 'cidr:::/0';
    const cls = `edge${open ? ' edge-open' : ''}${r.egressAllowed ? '' : ' edge-blocked'}`;
    const d =
      tx > sx
        ? `M${sx},${sy} C${sx + 40},${sy} ${tx - 40},${ty} ${tx},${ty}`
        : `M${sx},${sy} C${sx + 60},${sy} ${sx + 60},${ty} ${to.x + w},${ty}`;
    const lx = tx > sx ? (sx + tx) / 2 - 16 : sx + 8;
    const ly = tx > sx ? (sy + ty) / 2 - 6 + (i % 3) * 10 : sy - 6;
    parts.push(
      `<g><title>${esc(`${r.from} -> ${r.to} on ${r.ports}${r.egressAllowed ? '' : ' (source egress does not allow it)'}`)}</title><path d="${d}" class="${cls}" marker-end="url(#arrow)"/>`,
    );
    parts.push(`<text x="${lx}" y="${ly}" class="edge-label">${esc(r.ports)}</text></g>`);
  });
  return svg(width, y, parts);
}

function svg(width: number, height: number, parts: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Network segmentation">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    '<style>',
    '.vpc-box{fill:#f7f9fc;stroke:#5b7db1;stroke-width:1.5}.vpc-title{font:600 13px sans-serif;fill:#1d3557}',
    '.tier{fill:#ffffff;stroke:#9bb0cf}.tier-public{fill:#fff4f2;stroke:#d9534f}.tier-nat{fill:#fffbea;stroke:#e0a800}',
    '.tier-title{font:600 12px sans-serif;fill:#1d3557}.small{font:10px sans-serif;fill:#555}.muted{font:13px sans-serif;fill:#666}',
    '.node{fill:#e8f0fe;stroke:#4a6fa5}.node-endpoint{fill:#e9f7ef;stroke:#2e8b57}.node-external{fill:#f1f1f1;stroke:#888}.node-open{fill:#fdecea;stroke:#c0392b}',
    '.node-label{font:11px sans-serif;fill:#111}.edge{fill:none;stroke:#555;stroke-width:1.3}.edge-open{stroke:#c0392b;stroke-width:2}',
    '.edge-blocked{stroke-dasharray:4 3}.edge-label{font:10px sans-serif;fill:#333}',
    '</style>',
    ...parts,
    '</svg>',
  ].join('\n');
}

function firstTier(g: SecurityGroupNode, columns: Array<{ key: string }>): string {
  return g.tiers.find((t) => columns.some((c) => c.key === t)) ?? `${g.vpc}:(none)`;
}

function shortName(id: string): string {
  const parts = id.split('/');
  return parts.length > 2 ? parts.slice(-2).join('/') : id;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
