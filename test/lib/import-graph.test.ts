import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/*
 * lib/ is layered: the config (lib/config/) at the bottom, then the stacks, then the app that
 * composes them (lib/platform-app.ts). A module imports only downwards, so there is no import cycle,
 * type-only imports included (a cycle of types is where a cycle of values starts).
 */

const LIB = path.join(__dirname, '..', '..', 'lib');

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Each file of lib/ and the files of lib/ it imports (`import`, `import type`, `export … from`, `require`). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(LIB)) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => {
        const base = path.resolve(path.dirname(file), spec);
        return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
      })
      .filter((f): f is string => f !== undefined && f.startsWith(LIB + path.sep));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every import cycle, as `a -> b -> a` (one per strongly connected group of files). */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'visiting');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'visiting') {
        found.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(LIB, f)).join(' -> '));
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

describe('imports inside lib/', () => {
  const graph = importGraph();

  test('the graph is read (control: the app imports the stacks)', () => {
    expect(graph.get(path.join(LIB, 'platform-app.ts'))).toEqual(
      expect.arrayContaining([path.join(LIB, 'platform-stack.ts'), path.join(LIB, 'api-stack.ts')]),
    );
  });

  test('have no cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  test('the cycle check finds a cycle (negative control)', () => {
    const a = path.join(LIB, 'a.ts');
    const b = path.join(LIB, 'b.ts');
    expect(
      cycles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual(['a.ts -> b.ts -> a.ts']);
  });

  test('lib/config/ imports nothing else of lib/ (the config layer is at the bottom)', () => {
    const config = path.join(LIB, 'config') + path.sep;
    const upwards = [...graph.entries()]
      .filter(([file]) => file.startsWith(config))
      .flatMap(([file, targets]) =>
        targets
          .filter((t) => !t.startsWith(config))
          .map((t) => `${path.relative(LIB, file)} -> ${path.relative(LIB, t)}`),
      );
    expect(upwards).toEqual([]);
  });
});
