/**
 * Load a cloud assembly (a `cdk.out` directory) into plain data: stacks with their templates,
 * construct paths and source locations of resources, the construct tree and the validation report.
 *
 * Works on any assembly, nested stages included; nothing here knows about the platform.
 */
import * as fs from 'fs';
import * as path from 'path';

/** A CloudFormation template, as much of it as the review reads. */
export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, CfnOutput>;
  readonly Parameters?: Record<string, { readonly Type: string; readonly Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
}

/** One resource of a template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

/** One output of a template. */
export interface CfnOutput {
  readonly Value: unknown;
  readonly Export?: { readonly Name: unknown };
}

/** A metadata entry of the assembly manifest (or of a stack's additional metadata file). */
export interface MetadataEntry {
  readonly type: string;
  readonly data?: unknown;
  readonly trace?: string[];
}

/** A file and line in the app's source code. */
export interface SourceLocation {
  /** Path as found in the stack trace (absolute, or relative when the trace was). */
  readonly file: string;
  readonly line: number;
  readonly column?: number;
}

/** A stack of the assembly. */
export interface AssemblyStack {
  /** Artifact id in the manifest (unique in the assembly, prefixed by the stage for nested assemblies). */
  readonly artifactId: string;
  /** CloudFormation stack name (what `Fn::GetStackOutput` and exports refer to). */
  readonly stackName: string;
  /** Construct path of the stack (e.g. `Stage/Stack`). */
  readonly displayName: string;
  /** Template file, relative to the top-level assembly directory. */
  readonly templateFile: string;
  readonly template: CfnTemplate;
  /** Account of the stack's environment, when concrete. */
  readonly account?: string;
  /** Region of the stack's environment, when concrete. */
  readonly region?: string;
  /** Metadata by construct path (no leading slash). */
  readonly metadata: Record<string, MetadataEntry[]>;
  /** Artifact ids this stack depends on (stacks and assets), from the manifest: deployed before it. */
  readonly dependencies?: string[];
  /** Position of the stack in its manifest (the order the CDK CLI adds stacks to its deployment graph). */
  readonly manifestOrder?: number;
}

/** One resource of one stack, with where it came from. */
export interface AssemblyResource {
  readonly stack: AssemblyStack;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, unknown>;
  readonly resource: CfnResource;
  /** Construct path of the L1 resource (e.g. `Data/Bucket/Resource`), when known. */
  readonly constructPath?: string;
  /** Where the construct was created in the app's source, when the assembly recorded it. */
  readonly source?: SourceLocation;
}

/** A node of tree.json. */
export interface TreeNode {
  readonly id: string;
  readonly path: string;
  readonly constructInfo?: { readonly fqn: string; readonly version: string };
  readonly attributes?: Record<string, unknown>;
  readonly children?: Record<string, TreeNode>;
}

/** A violating construct of a validation report. */
export interface ViolatingConstruct {
  readonly constructPath: string;
  readonly constructFqn?: string;
  readonly libraryVersion?: string;
  readonly cloudFormationResource?: {
    readonly templatePath: string;
    readonly logicalId: string;
    readonly propertyPaths?: string[];
  };
  readonly stackTraces?: string[];
}

/** A violation of a validation report (open or acknowledged). */
export interface Violation {
  readonly ruleName: string;
  readonly description: string;
  readonly suggestedFix?: string;
  readonly severity: string;
  readonly customSeverity?: string;
  readonly ruleMetadata?: Record<string, string>;
  readonly violatingConstructs: ViolatingConstruct[];
  /** Set on acknowledged violations. */
  readonly acknowledgedId?: string;
  readonly reason?: string;
  readonly acknowledgedAt?: string;
  readonly acknowledgedStackTrace?: string;
}

/** The report of one validation plugin. */
export interface PluginReport {
  readonly pluginName: string;
  readonly pluginVersion?: string;
  readonly conclusion: string;
  readonly metadata?: Record<string, string>;
  readonly violations: Violation[];
  readonly suppressedViolations: Violation[];
}

/** validation-report.json, normalised. */
export interface ValidationReport {
  readonly version: string;
  readonly pluginReports: PluginReport[];
}

/** A loaded cloud assembly. */
export interface CloudAssembly {
  readonly directory: string;
  readonly stacks: AssemblyStack[];
  readonly tree?: TreeNode;
  /** Merged report of the assembly and its nested assemblies; undefined when synth ran no validation. */
  readonly validationReport?: ValidationReport;
}

const STACK_ARTIFACT = 'aws:cloudformation:stack';
const NESTED_ASSEMBLY_ARTIFACT = 'cdk:cloud-assembly';
const TREE_ARTIFACT = 'cdk:tree';

/**
 * Read a cloud assembly directory. Throws with the path when the directory is not an assembly.
 */
export function loadAssembly(directory: string): CloudAssembly {
  const dir = path.resolve(directory);
  const manifestPath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) {
    throw new Error(`${dir} is not a cloud assembly: manifest.json not found (run 'cdk synth' first)`);
  }
  const stacks: AssemblyStack[] = [];
  const reports: ValidationReport[] = [];
  let tree: TreeNode | undefined;
  const visit = (assemblyDir: string, prefix: string): void => {
    const manifest = readJson(path.join(assemblyDir, 'manifest.json')) as Manifest;
    const artifacts = manifest.artifacts ?? {};
    const manifestOrder = Object.keys(artifacts);
    for (const id of Object.keys(artifacts).sort()) {
      const artifact = artifacts[id];
      if (artifact.type === STACK_ARTIFACT) {
        stacks.push({ ...loadStack(dir, assemblyDir, prefix, id, artifact), manifestOrder: manifestOrder.indexOf(id) });
      } else if (artifact.type === NESTED_ASSEMBLY_ARTIFACT && artifact.properties?.directoryName) {
        visit(path.join(assemblyDir, String(artifact.properties.directoryName)), `${prefix}${id}/`);
      } else if (artifact.type === TREE_ARTIFACT && prefix === '' && artifact.properties?.file) {
        const treeFile = path.join(assemblyDir, String(artifact.properties.file));
        if (fs.existsSync(treeFile)) tree = (readJson(treeFile) as { tree: TreeNode }).tree;
      }
    }
    const reportFile = path.join(assemblyDir, 'validation-report.json');
    if (fs.existsSync(reportFile)) reports.push(normaliseReport(readJson(reportFile)));
  };
  visit(dir, '');
  return {
    directory: dir,
    stacks,
    tree,
    validationReport: reports.length === 0 ? undefined : mergeReports(reports),
  };
}

/** Every resource of every stack, in a stable order (stack artifact id, then logical id). */
export function assemblyResources(assembly: CloudAssembly): AssemblyResource[] {
  const out: AssemblyResource[] = [];
  const treeIndex = assembly.tree ? indexTreeLogicalIds(assembly.tree) : new Map<string, string>();
  for (const stack of assembly.stacks) {
    const byLogicalId = logicalIdIndex(stack);
    const resources = stack.template.Resources ?? {};
    for (const logicalId of Object.keys(resources).sort()) {
      const resource = resources[logicalId];
      const constructPath =
        metadataPath(resource) ?? byLogicalId.get(logicalId) ?? treeIndex.get(`${stack.displayName}\0${logicalId}`);
      out.push({
        stack,
        logicalId,
        type: resource.Type,
        properties: resource.Properties ?? {},
        resource,
        constructPath,
        source: constructPath ? sourceOfPath(stack, constructPath) : undefined,
      });
    }
  }
  return out;
}

/**
 * The construct path of the construct that owns an L1: trailing `Resource` children removed
 * (`A/B/Resource` -> `A/B`, `A/Keys/Data/Resource/Resource` -> `A/Keys/Data`); other paths unchanged.
 */
export function ownerPath(constructPath: string): string {
  let p = constructPath;
  while (p.endsWith('/Resource') && p.split('/').length > 2) p = p.slice(0, -'/Resource'.length);
  return p;
}

/**
 * The first frame of a stack trace that points into the app's own code (not node_modules, not node internals).
 *
 * Accepts CDK's condensed traces (`<anonymous> (/app/bin/app.ts:21:13)`, `...new Bucket in aws-cdk-lib...`)
 * as well as V8's (`    at new Foo (/app/lib/foo.ts:3:5)`).
 */
export function firstUserFrame(trace: string | readonly string[] | undefined): SourceLocation | undefined {
  if (trace === undefined) return undefined;
  const lines = typeof trace === 'string' ? trace.split('\n') : trace.flatMap((t) => t.split('\n'));
  for (const line of lines) {
    const match = /\(?((?:[A-Za-z]:)?[^\s()]+?):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!match) continue;
    const file = match[1].replace(/^file:\/\//, '');
    if (file.startsWith('node:') || file.includes('node_modules') || file.startsWith('internal/')) continue;
    return { file, line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/** The source location the assembly recorded for a construct path (its creation stack), or for its nearest ancestor. */
export function sourceOfPath(stack: AssemblyStack, constructPath: string): SourceLocation | undefined {
  for (let p = constructPath; p.length > 0; p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') {
    // An L2 records no creation stack of its own; its default child ('Resource') does.
    const entries = [...(stack.metadata[p] ?? []), ...(stack.metadata[`${p}/Resource`] ?? [])];
    for (const entry of entries) {
      if (entry.type !== 'aws:cdk:creationStack') continue;
      const location = firstUserFrame(entry.data as string[] | undefined);
      if (location) return location;
    }
  }
  return undefined;
}

/** Find a stack by CloudFormation stack name, artifact id or display name. */
export function findStack(assembly: CloudAssembly, name: string): AssemblyStack | undefined {
  return (
    assembly.stacks.find((s) => s.stackName === name) ??
    assembly.stacks.find((s) => s.artifactId === name) ??
    assembly.stacks.find((s) => s.displayName === name)
  );
}

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly displayName?: string;
  readonly properties?: Record<string, unknown>;
  readonly metadata?: Record<string, MetadataEntry[]>;
  readonly additionalMetadataFile?: string;
  readonly dependencies?: string[];
}

interface Manifest {
  readonly artifacts?: Record<string, ManifestArtifact>;
}

function loadStack(
  rootDir: string,
  assemblyDir: string,
  prefix: string,
  id: string,
  artifact: ManifestArtifact,
): AssemblyStack {
  const artifactId = prefix + id;
  const props = artifact.properties ?? {};
  const templateAbs = path.join(assemblyDir, String(props.templateFile));
  const metadata: Record<string, MetadataEntry[]> = {};
  const addMetadata = (raw: Record<string, MetadataEntry[]> | undefined): void => {
    for (const [key, entries] of Object.entries(raw ?? {})) {
      const p = key.replace(/^\//, '');
      metadata[p] = [...(metadata[p] ?? []), ...entries];
    }
  };
  addMetadata(artifact.metadata);
  if (artifact.additionalMetadataFile) {
    const file = path.join(assemblyDir, artifact.additionalMetadataFile);
    if (fs.existsSync(file)) addMetadata(readJson(file) as Record<string, MetadataEntry[]>);
  }
  const env = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '');
  const concrete = (v: string | undefined): string | undefined => (v && !v.startsWith('unknown-') ? v : undefined);
  return {
    artifactId,
    stackName: typeof props.stackName === 'string' ? props.stackName : artifactId.split('/').pop()!,
    displayName: artifact.displayName ?? artifactId,
    templateFile: path.relative(rootDir, templateAbs).split(path.sep).join('/'),
    template: readJson(templateAbs) as CfnTemplate,
    account: concrete(env?.[1]),
    region: concrete(env?.[2]),
    metadata,
    dependencies: (artifact.dependencies ?? []).map((d) => prefix + d),
  };
}

function metadataPath(resource: CfnResource): string | undefined {
  const p = resource.Metadata?.['aws:cdk:path'];
  return typeof p === 'string' ? p : undefined;
}

function logicalIdIndex(stack: AssemblyStack): Map<string, string> {
  const index = new Map<string, string>();
  for (const [p, entries] of Object.entries(stack.metadata)) {
    for (const entry of entries) {
      if (entry.type === 'aws:cdk:logicalId' && typeof entry.data === 'string') index.set(entry.data, p);
    }
  }
  return index;
}

/** Map `stackPath\0logicalId` to the construct path, from tree.json attributes. */
function indexTreeLogicalIds(root: TreeNode): Map<string, string> {
  const index = new Map<string, string>();
  const walk = (node: TreeNode, stackPath: string | undefined): void => {
    const isStack =
      node.constructInfo?.fqn === 'aws-cdk-lib.Stack' || node.constructInfo?.fqn === 'aws-cdk-lib.NestedStack';
    const currentStack = isStack ? node.path : stackPath;
    const logicalId = node.attributes?.['aws:cdk:cloudformation:logicalId'];
    if (currentStack && typeof logicalId === 'string') index.set(`${currentStack}\0${logicalId}`, node.path);
    for (const child of Object.values(node.children ?? {})) walk(child, currentStack);
  };
  walk(root, undefined);
  return index;
}

function normaliseReport(raw: unknown): ValidationReport {
  const r = raw as {
    version?: string;
    pluginReports?: Array<Record<string, unknown>>;
  };
  const pluginReports = (r.pluginReports ?? []).map((p): PluginReport => {
    // Legacy format: { summary: { pluginName, status }, violations, version }.
    const summary = p.summary as
      { pluginName?: string; status?: string; metadata?: Record<string, string> } | undefined;
    return {
      pluginName: String(p.pluginName ?? summary?.pluginName ?? 'unknown'),
      pluginVersion: (p.pluginVersion ?? p.version) as string | undefined,
      conclusion: String(p.conclusion ?? summary?.status ?? 'unknown'),
      metadata: (p.metadata ?? summary?.metadata) as Record<string, string> | undefined,
      violations: ((p.violations as Violation[] | undefined) ?? []).map(normaliseViolation),
      suppressedViolations: ((p.suppressedViolations as Violation[] | undefined) ?? []).map(normaliseViolation),
    };
  });
  return { version: String(r.version ?? 'unknown'), pluginReports };
}

function normaliseViolation(v: Violation): Violation {
  const legacy = v as Violation & { fix?: string };
  return {
    ...v,
    suggestedFix: v.suggestedFix ?? legacy.fix,
    severity: v.severity ?? 'error',
    violatingConstructs: v.violatingConstructs ?? [],
  };
}

function mergeReports(reports: ValidationReport[]): ValidationReport {
  const byName = new Map<string, PluginReport>();
  for (const report of reports) {
    for (const p of report.pluginReports) {
      const existing = byName.get(p.pluginName);
      byName.set(
        p.pluginName,
        existing
          ? {
              ...existing,
              conclusion: existing.conclusion === 'failure' || p.conclusion === 'failure' ? 'failure' : p.conclusion,
              violations: [...existing.violations, ...p.violations],
              suppressedViolations: [...existing.suppressedViolations, ...p.suppressedViolations],
            }
          : p,
      );
    }
  }
  return { version: reports[0].version, pluginReports: [...byName.values()] };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
}
