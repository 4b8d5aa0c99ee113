import { assemblyResources, AssemblyResource, CloudAssembly, ownerPath } from './assembly';
import { AssemblyResolver } from './intrinsics';

/**
 * Every resource of a cloud assembly with its properties resolved (intrinsics replaced by
 * placeholder values), the base of the readers that turn templates into a review model.
 */
export abstract class ResolvedTemplates {
  protected readonly all: AssemblyResource[];
  private readonly resolved = new Map<AssemblyResource, Record<string, unknown>>();

  constructor(
    assembly: CloudAssembly,
    protected readonly resolver: AssemblyResolver,
  ) {
    this.all = assemblyResources(assembly);
  }

  protected ofType(type: string): AssemblyResource[] {
    return this.all.filter((r) => r.type === type);
  }

  /** A resource's properties, resolved once. */
  protected props(r: AssemblyResource): Record<string, unknown> {
    if (!this.resolved.has(r)) {
      this.resolved.set(r, (this.resolver.resolve(r.stack, r.properties) ?? {}) as Record<string, unknown>);
    }
    return this.resolved.get(r)!;
  }

  /** What `Ref` of the resource resolves to. */
  protected ref(r: AssemblyResource): string {
    return this.resolver.ref(r.stack, r.logicalId);
  }

  /** The resource's id in the review: the path of the L2 that owns it, else `<stack>/<logical id>`. */
  protected id(r: AssemblyResource): string {
    return r.constructPath ? ownerPath(r.constructPath) : `${r.stack.displayName}/${r.logicalId}`;
  }
}

/** A resource's `Tags` (CloudFormation list or map form) as a map. */
export function tagsOf(props: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const tags = props.Tags;
  if (Array.isArray(tags)) {
    for (const t of tags as Array<{ Key?: unknown; Value?: unknown }>)
      if (t && t.Key !== undefined) out[String(t.Key)] = String(t.Value);
  } else if (tags && typeof tags === 'object') {
    for (const [k, v] of Object.entries(tags)) out[k] = String(v);
  }
  return out;
}

/** A property that may be one value or a list, as a list. */
export function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
