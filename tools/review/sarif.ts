/**
 * SARIF 2.1.0 from the validation report of a cloud assembly: every finding of every plugin
 * (cdk-nag packs, 'CloudFormation Validate' with its Guard rules, any other plugin), open and acknowledged.
 *
 * One run per plugin (tool.driver.name = plugin name). Each violating construct is one result, with the
 * construct path as logical location and, where the assembly recorded it, the file and line of the app
 * code that created the construct; else the resource's line in the synthesized template.
 * Acknowledged findings carry `suppressions: [{ kind: 'inSource', justification }]`.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { areaOfRule, baseRuleId } from './areas';
import { byString } from './json';
import {
  assemblyResources,
  CloudAssembly,
  firstUserFrame,
  PluginReport,
  SourceLocation,
  Violation,
  ViolatingConstruct,
} from './assembly';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/* The subset of SARIF 2.1.0 this module writes. */
export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: SarifRun[];
}

export interface SarifRun {
  readonly tool: { readonly driver: SarifDriver };
  readonly results: SarifResult[];
  readonly columnKind: 'utf16CodeUnits';
  readonly properties?: Record<string, unknown>;
}

export interface SarifDriver {
  readonly name: string;
  readonly version?: string;
  readonly informationUri?: string;
  readonly rules: SarifRule[];
}

export interface SarifRule {
  readonly id: string;
  readonly name?: string;
  readonly shortDescription: { readonly text: string };
  readonly fullDescription: { readonly text: string };
  readonly help?: { readonly text: string; readonly markdown?: string };
  readonly helpUri?: string;
  readonly defaultConfiguration: { readonly level: SarifLevel };
  readonly properties: { readonly [key: string]: unknown; readonly tags: string[]; readonly area: string };
}

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly level: SarifLevel;
  readonly message: { readonly text: string };
  readonly locations: SarifLocation[];
  readonly partialFingerprints: Record<string, string>;
  readonly suppressions?: SarifSuppression[];
  readonly properties: Record<string, unknown>;
}

export interface SarifLocation {
  readonly physicalLocation?: {
    readonly artifactLocation: { readonly uri: string; readonly uriBaseId?: string };
    readonly region?: { readonly startLine: number; readonly startColumn?: number };
  };
  readonly logicalLocations?: Array<{
    readonly fullyQualifiedName: string;
    readonly name: string;
    readonly kind: string;
  }>;
  readonly message?: { readonly text: string };
}

export interface SarifSuppression {
  readonly kind: 'inSource';
  readonly status: 'accepted';
  readonly justification: string;
  readonly location?: SarifLocation;
}

/** Options for {@link toSarif}. */
export interface SarifOptions {
  /** Source root: file locations under it are written relative to `%SRCROOT%`. @default process.cwd() */
  readonly sourceRoot?: string;
}

/** Help pages of known packs (cdk-nag's rules list, by pack). */
const PACK_HELP: Record<string, string> = {
  AwsSolutions: 'https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#awssolutions',
  'HIPAA.Security': 'https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#hipaa-security',
  'NIST.800.53.R4': 'https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#nist-800-53-rev-4',
  'NIST.800.53.R5': 'https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#nist-800-53-rev-5',
  'PCI.DSS.321': 'https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#pci-dss-321',
  Serverless: 'https://github.com/cdklabs/cdk-nag/blob/main/RULES.md#serverless',
};

/** Convert the assembly's validation report to a SARIF 2.1.0 log (no report: a log with no runs). */
export function toSarif(assembly: CloudAssembly, options: SarifOptions = {}): SarifLog {
  const sourceRoot = path.resolve(options.sourceRoot ?? process.cwd());
  const locator = new Locator(assembly, sourceRoot);
  const plugins = [...(assembly.validationReport?.pluginReports ?? [])].sort((a, b) =>
    byString(a.pluginName, b.pluginName),
  );
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: plugins.map((p) => pluginRun(p, locator)),
  };
}

function pluginRun(plugin: PluginReport, locator: Locator): SarifRun {
  const all: Array<{ violation: Violation; suppressed: boolean }> = [
    ...plugin.violations.map((violation) => ({ violation, suppressed: false })),
    ...plugin.suppressedViolations.map((violation) => ({ violation, suppressed: true })),
  ];
  const rules = new Map<string, SarifRule>();
  for (const { violation } of all) {
    const id = baseRuleId(violation.ruleName);
    if (!rules.has(id)) rules.set(id, ruleDescriptor(plugin.pluginName, id, violation));
  }
  const ruleIds = [...rules.keys()].sort();
  const results: SarifResult[] = [];
  for (const { violation, suppressed } of all) {
    const ruleId = baseRuleId(violation.ruleName);
    const constructs = violation.violatingConstructs.length > 0 ? violation.violatingConstructs : [undefined];
    for (const construct of constructs) {
      results.push(result(plugin, violation, construct, suppressed, ruleId, ruleIds.indexOf(ruleId), locator));
    }
  }
  results.sort(
    (a, b) =>
      byString(a.ruleId, b.ruleId) ||
      byString(String(a.properties.constructPath), String(b.properties.constructPath)) ||
      byString(String(a.properties.findingId), String(b.properties.findingId)),
  );
  return {
    tool: {
      driver: {
        name: plugin.pluginName,
        ...(plugin.pluginVersion ? { version: plugin.pluginVersion } : {}),
        ...(PACK_HELP[plugin.pluginName] ? { informationUri: PACK_HELP[plugin.pluginName] } : {}),
        rules: ruleIds.map((id) => rules.get(id)!),
      },
    },
    results,
    columnKind: 'utf16CodeUnits',
    properties: { conclusion: plugin.conclusion, ...(plugin.metadata ? { metadata: plugin.metadata } : {}) },
  };
}

function ruleDescriptor(pluginName: string, id: string, v: Violation): SarifRule {
  const area = areaOfRule(pluginName, id);
  const category = v.ruleMetadata?.category;
  const helpText = v.suggestedFix
    ? v.suggestedFix
    : category?.startsWith('guard:')
      ? `Guard rule '${id}' in rule set '${category.slice('guard:'.length)}': ${v.description}`
      : v.description;
  return {
    id,
    name: id.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')),
    shortDescription: { text: firstSentence(v.description) },
    fullDescription: { text: v.description },
    help: { text: helpText },
    ...(PACK_HELP[pluginName] ? { helpUri: PACK_HELP[pluginName] } : {}),
    defaultConfiguration: { level: level(v) },
    properties: {
      tags: ['security', `zero-trust/${area}`, ...(category ? [category] : [])],
      area,
      ...(v.ruleMetadata ? { ruleMetadata: v.ruleMetadata } : {}),
    },
  };
}

function result(
  plugin: PluginReport,
  v: Violation,
  construct: ViolatingConstruct | undefined,
  suppressed: boolean,
  ruleId: string,
  ruleIndex: number,
  locator: Locator,
): SarifResult {
  const constructPath = construct?.constructPath ?? '';
  const evidence = /\[(.*)\]$/.exec(v.ruleName)?.[1];
  const description = /[.!?]$/.test(v.description.trim()) ? v.description.trim() : `${v.description.trim()}.`;
  const text = [
    description,
    evidence ? `Evidence: ${evidence}.` : '',
    constructPath ? `Construct: ${constructPath}.` : '',
  ]
    .filter((s) => s)
    .join(' ');
  const location: SarifLocation = {
    ...locator.physical(construct),
    ...(constructPath
      ? {
          logicalLocations: [
            { fullyQualifiedName: constructPath, name: constructPath.split('/').pop()!, kind: 'resource' },
          ],
        }
      : {}),
  };
  const fingerprint = createHash('sha256')
    .update(`${plugin.pluginName}\0${v.ruleName}\0${constructPath}`)
    .digest('hex')
    .slice(0, 32);
  return {
    ruleId,
    ruleIndex,
    level: level(v),
    message: { text: text.length > 0 ? text : ruleId },
    locations: [location],
    partialFingerprints: { 'ztaiFinding/v1': fingerprint },
    ...(suppressed
      ? {
          suppressions: [
            {
              kind: 'inSource',
              status: 'accepted',
              justification: v.reason ?? '(no reason given)',
              ...(v.acknowledgedStackTrace || v.acknowledgedAt
                ? { location: locator.acknowledgement(v.acknowledgedStackTrace, v.acknowledgedAt) }
                : {}),
            },
          ],
        }
      : {}),
    properties: {
      findingId: v.ruleName,
      constructPath,
      ...(construct?.constructFqn ? { constructFqn: construct.constructFqn } : {}),
      ...(construct?.cloudFormationResource ? { cloudFormationResource: construct.cloudFormationResource } : {}),
      ...(v.acknowledgedId ? { acknowledgedId: v.acknowledgedId } : {}),
      ...(v.acknowledgedAt ? { acknowledgedAt: v.acknowledgedAt } : {}),
      severity: v.severity,
    },
  };
}

function level(v: Violation): SarifLevel {
  const s = (v.severity === 'custom' ? (v.customSeverity ?? 'warning') : v.severity).toLowerCase();
  if (s === 'fatal' || s === 'error') return 'error';
  if (s === 'info' || s === 'informational' || s === 'note') return 'note';
  return 'warning';
}

function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/.exec(text);
  return m ? m[1] : text;
}

/** Finds file/line locations for constructs. */
class Locator {
  private readonly byPath = new Map<string, { source?: SourceLocation; templateFile: string; logicalId: string }>();
  private readonly templateLines = new Map<string, string[]>();

  constructor(
    private readonly assembly: CloudAssembly,
    private readonly sourceRoot: string,
  ) {
    for (const r of assemblyResources(assembly)) {
      if (r.constructPath) {
        this.byPath.set(r.constructPath, {
          source: r.source,
          templateFile: r.stack.templateFile,
          logicalId: r.logicalId,
        });
      }
    }
  }

  public physical(construct: ViolatingConstruct | undefined): Pick<SarifLocation, 'physicalLocation'> {
    if (!construct) return {};
    const fromTrace = firstUserFrame(construct.stackTraces);
    const known = this.byPath.get(construct.constructPath);
    const source = fromTrace ?? known?.source;
    if (source) return { physicalLocation: this.sourceLocation(source) };
    const templateFile = construct.cloudFormationResource?.templatePath ?? known?.templateFile;
    const logicalId = construct.cloudFormationResource?.logicalId ?? known?.logicalId;
    if (templateFile && logicalId) {
      const abs = path.join(this.assembly.directory, templateFile);
      const line = this.templateLine(abs, logicalId);
      return {
        physicalLocation: {
          ...this.artifact(abs),
          ...(line ? { region: { startLine: line } } : {}),
        },
      };
    }
    return {};
  }

  public acknowledgement(trace: string | undefined, at: string | undefined): SarifLocation {
    const source = firstUserFrame(trace);
    return {
      ...(source ? { physicalLocation: this.sourceLocation(source) } : {}),
      ...(at ? { logicalLocations: [{ fullyQualifiedName: at, name: at.split('/').pop()!, kind: 'resource' }] } : {}),
    };
  }

  private sourceLocation(source: SourceLocation): NonNullable<SarifLocation['physicalLocation']> {
    return {
      ...this.artifact(path.resolve(this.sourceRoot, source.file)),
      region: { startLine: source.line, ...(source.column ? { startColumn: source.column } : {}) },
    };
  }

  private artifact(abs: string): { artifactLocation: { uri: string; uriBaseId?: string } } {
    const rel = path.relative(this.sourceRoot, abs);
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
      return {
        artifactLocation: { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' },
      };
    }
    return { artifactLocation: { uri: `file://${abs.split(path.sep).map(encodeURIComponent).join('/')}` } };
  }

  private templateLine(file: string, logicalId: string): number | undefined {
    if (!this.templateLines.has(file)) {
      this.templateLines.set(file, fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : []);
    }
    const index = this.templateLines.get(file)!.findIndex((l) => l.trimStart().startsWith(`"${logicalId}": {`));
    return index >= 0 ? index + 1 : undefined;
  }
}
