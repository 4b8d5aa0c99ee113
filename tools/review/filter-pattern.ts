/**
 * Matches a CloudWatch Logs JSON filter pattern against a log event, so a review (and the journeys) can
 * show that an alarm fed by a metric filter fires on the event it is for, and not on the events it must
 * let through. It implements the part of the syntax the platform's patterns use
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html, "Using filter
 * patterns to match terms in JSON log events"): `{ … }` around conditions on `$.`-selectors (dotted
 * fields and `[n]` array indexes), `=` and `!=` on quoted strings with `*` as a wildcard at the start or
 * end of the value, `NOT EXISTS`, `&&`, `||` (`&&` binding tighter) and parentheses. Anything else is
 * an error, never a silent non-match. A condition on a field the event does not have is false, `!=`
 * included; `NOT EXISTS` is how a pattern asks for an absent field.
 */

type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'compare'; selector: string; op: '=' | '!='; value: string }
  | { kind: 'notExists'; selector: string };

/** True when `pattern` matches `event` (a parsed JSON log event, e.g. a CloudTrail record). */
export function filterPatternMatches(pattern: string, event: unknown): boolean {
  return evaluate(parseFilterPattern(pattern), event);
}

/** The pattern's syntax tree; throws, naming the position, on anything outside the supported syntax. */
export function parseFilterPattern(pattern: string): Node {
  const text = pattern.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) {
    throw new Error(`a JSON filter pattern is enclosed in { }, got ${JSON.stringify(pattern.slice(0, 40))}`);
  }
  const tokens = tokenize(text.slice(1, -1));
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (t === undefined || (expected !== undefined && t !== expected)) {
      throw new Error(`filter pattern: expected ${expected ?? 'a term'} at token ${i}, got ${t ?? 'the end'}`);
    }
    return t;
  };
  const or = (): Node => {
    let left = and();
    while (peek() === '||') {
      take();
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): Node => {
    let left = term();
    while (peek() === '&&') {
      take();
      left = { kind: 'and', left, right: term() };
    }
    return left;
  };
  const term = (): Node => {
    if (peek() === '(') {
      take('(');
      const inner = or();
      take(')');
      return inner;
    }
    const selector = take();
    if (!selector.startsWith('$.')) throw new Error(`filter pattern: expected a $. selector, got ${selector}`);
    const op = take();
    if (op === 'NOT') {
      take('EXISTS');
      return { kind: 'notExists', selector };
    }
    if (op !== '=' && op !== '!=') throw new Error(`filter pattern: unsupported operator ${op} after ${selector}`);
    const value = take();
    if (!value.startsWith('"')) throw new Error(`filter pattern: expected a quoted value after ${selector} ${op}`);
    return { kind: 'compare', selector, op, value: JSON.parse(value) as string };
  };
  const tree = or();
  if (i !== tokens.length) throw new Error(`filter pattern: unexpected ${tokens[i]} at token ${i}`);
  return tree;
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|&&|\|\||!=|=|\(|\)|NOT|EXISTS|\$\.[A-Za-z0-9_.[\]-]+)/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`filter pattern: cannot read ${JSON.stringify(text.slice(at, at + 30))}`);
    tokens.push(m[1]);
    at = re.lastIndex;
  }
  return tokens;
}

function evaluate(node: Node, event: unknown): boolean {
  switch (node.kind) {
    case 'and':
      return evaluate(node.left, event) && evaluate(node.right, event);
    case 'or':
      return evaluate(node.left, event) || evaluate(node.right, event);
    case 'notExists':
      return select(event, node.selector) === undefined;
    case 'compare': {
      const found = select(event, node.selector);
      if (found === undefined || found === null || typeof found === 'object') return false;
      const equal = wildcardEquals(String(found), node.value);
      return node.op === '=' ? equal : !equal;
    }
  }
}

function select(event: unknown, selector: string): unknown {
  const path = selector
    .slice(2)
    .split(/\.|(?=\[)/)
    .filter((p) => p !== '');
  let at: unknown = event;
  for (const part of path) {
    if (at === null || typeof at !== 'object') return undefined;
    const index = /^\[(\d+)\]$/.exec(part);
    at = index ? (Array.isArray(at) ? at[Number(index[1])] : undefined) : (at as Record<string, unknown>)[part];
  }
  return at;
}

/** `*` at the start or the end of the value is a wildcard; anywhere else it is a literal character. */
function wildcardEquals(actual: string, value: string): boolean {
  const starts = value.startsWith('*');
  const ends = value.endsWith('*') && value.length > 1;
  const core = value.slice(starts ? 1 : 0, ends ? -1 : undefined);
  if (starts && ends) return actual.includes(core);
  if (starts) return actual.endsWith(core);
  if (ends) return actual.startsWith(core);
  return actual === value;
}
