/**
 * The documentation's config examples build as written. Every config file under examples/configs/ (and the
 * annotated examples/platform.yaml) goes through the real loader (`-c config=<file>`'s loadPlatformConfig)
 * and the real app (buildPlatform + registerValidations, every cdk-nag pack and the Guard rules, findings as
 * errors), as `npx cdk synth -c config=<file>` does; the synthesized assemblies are shared with the other
 * suites through test/helpers/reference-fixture.ts. And every config snippet in README.md and docs/*.md is
 * one of those files, quoted whole after a line naming it ("`examples/configs/<name>.yaml`:").
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadPlatformConfig } from '../../lib/config/load-config';
import { synthesizedReference } from '../helpers/reference-fixture';

const ROOT = path.resolve(__dirname, '..', '..');
const CONFIG_DIR = path.join('examples', 'configs');
const CONFIG_FILE = /\.(ya?ml|json)$/;

/** Every example config, relative to the repository root. */
const EXAMPLES = [
  ...fs
    .readdirSync(path.join(ROOT, CONFIG_DIR))
    .filter((name) => CONFIG_FILE.test(name))
    .sort()
    .map((name) => path.posix.join('examples', 'configs', name)),
  'examples/platform.yaml',
];

/** The documents whose snippets must be example files. */
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

interface Snippet {
  readonly doc: string;
  readonly line: number;
  readonly lang: string;
  readonly text: string;
  /** The file the line before the fence names ("`examples/….yaml`:"), if any. */
  readonly names?: string;
}

/** The fenced code blocks of a markdown file. */
function snippets(doc: string, markdown = fs.readFileSync(path.join(ROOT, doc), 'utf8')): Snippet[] {
  const lines = markdown.split('\n');
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${doc}:${i + 1}: unterminated code block`);
    let before = i - 1;
    while (before >= 0 && lines[before].trim() === '') before--;
    const names = before >= 0 ? /`(examples\/[^`]+\.(?:ya?ml|json))`:\s*$/.exec(lines[before])?.[1] : undefined;
    found.push({
      doc,
      line: i + 1,
      lang: open[1],
      text: lines.slice(i + 1, end).join('\n') + '\n',
      ...(names ? { names } : {}),
    });
    i = end;
  }
  return found;
}

/** A platform config, as opposed to other YAML or JSON (a signature bundle, a CLI's output). */
function isPlatformConfig(s: Snippet): boolean {
  if (s.names) return true;
  if (s.lang === 'yaml' || s.lang === 'yml') return true;
  return s.lang === 'json' && /"(platformName|workloads|network)"\s*:/.test(s.text);
}

describe.each(EXAMPLES)('%s', (file) => {
  test('loads through -c config=<file> and synthesizes with every validator', () => {
    const config = loadPlatformConfig(path.join(ROOT, file));
    const { validationError, directory } = synthesizedReference(config);
    expect(validationError).toBeUndefined();
    const templates = fs.readdirSync(directory).filter((f) => f.endsWith('.template.json'));
    expect(templates).toContain(`${config.platformName}-platform.template.json`);
    for (const w of config.workloads)
      expect(templates).toContain(`${config.platformName}-workload-${w.name}.template.json`);
  });
});

describe('documentation snippets', () => {
  const all = DOCS.flatMap((doc) => snippets(doc));
  const configs = all.filter(isPlatformConfig);

  test('the README quotes example configs', () => {
    expect(configs.filter((s) => s.doc === 'README.md').map((s) => s.names)).toEqual(
      expect.arrayContaining(['examples/configs/configure.yaml', 'examples/configs/add-a-workload.yaml']),
    );
  });

  test.each(configs.map((s) => [`${s.doc}:${s.line}`, s] as const))(
    '%s is an example file, quoted whole',
    (_where, s) => {
      expect(s.names).toBeDefined();
      expect(EXAMPLES).toContain(s.names);
      expect(s.text).toEqual(fs.readFileSync(path.join(ROOT, s.names!), 'utf8'));
    },
  );

  test('the check tells a quoted file from an unnamed config snippet (negative control)', () => {
    const markdown = [
      'Intro `examples/configs/a.yaml`:',
      '',
      '```yaml',
      'platformName: a',
      '```',
      '',
      'Inline:',
      '```yaml',
      'platformName: b',
      '```',
      '```json',
      '{ "format": "ztai-model-manifest/v1" }',
      '```',
    ].join('\n');
    const found = snippets('x.md', markdown);
    expect(found.map((s) => [s.line, s.names, isPlatformConfig(s)])).toEqual([
      [3, 'examples/configs/a.yaml', true],
      [8, undefined, true],
      [11, undefined, false],
    ]);
  });
});
