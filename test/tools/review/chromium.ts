/**
 * Headless Chromium for the report tests. Without a browser the page tests are skipped with a note, so
 * `npm test` passes on a fresh machine (with or without CI=true). ZTAI_REQUIRE_BROWSER=1 (set by .ci/run
 * after installing chromium) makes a missing browser a failure instead.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tmpDir } from './helpers';

/** Debian's chromium (installed by .ci/run), if this machine has one. */
export const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find(
  (c) => spawnSync('which', [c]).status === 0,
);
const REQUIRE_BROWSER = process.env.ZTAI_REQUIRE_BROWSER === '1';
/** `describe` when a browser is there (or required), else `describe.skip` with a note. */
export const withChromium = CHROMIUM || REQUIRE_BROWSER ? describe : describe.skip;
let warned = false;
/** Print the skip (or missing browser) note once per suite. */
export function noteMissingBrowser(): void {
  if (CHROMIUM || warned) return;
  warned = true;
  console.warn(
    REQUIRE_BROWSER
      ? 'report.html headless test FAILS: ZTAI_REQUIRE_BROWSER=1 but no chromium, chromium-browser or google-chrome on PATH'
      : 'report.html headless test SKIPPED: no chromium on PATH (`apt-get install -y chromium`; ZTAI_REQUIRE_BROWSER=1 makes this a failure)',
  );
}

function run(args: string[]): { stdout: string; stderr: string; status: number | null } {
  if (!CHROMIUM) {
    throw new Error('ZTAI_REQUIRE_BROWSER=1 but no chromium, chromium-browser or google-chrome is on PATH');
  }
  const result = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      `--user-data-dir=${tmpDir('chromium-profile')}`,
      '--enable-logging=stderr',
      '--v=0',
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

/** Open a file in headless Chromium; return the DOM after load and the console messages it logged. */
export function openInChromium(
  file: string,
  options: { width?: number } = {},
): { dom: string; console: string[]; status: number | null } {
  const result = run([
    ...(options.width ? [`--window-size=${options.width},1000`] : []),
    '--dump-dom',
    `file://${file}`,
  ]);
  return {
    dom: result.stdout,
    console: result.stderr.split('\n').filter((l) => /:CONSOLE[:(]/.test(l)),
    status: result.status,
  };
}

/**
 * Lay a report out at `width` px and measure it: a copy of the page with a script (the report itself runs
 * none, and its CSP forbids one) that writes the measurements into the DOM Chromium dumps.
 */
export function measureLayout(
  htmlFile: string,
  width: number,
): { scrollWidth: number; verdictBeforeTables: boolean; verdictTop: number; openDetails: number; details: number } {
  const html = fs
    .readFileSync(htmlFile, 'utf8')
    .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '')
    .replace(
      '</body>',
      `<script>
const v = document.getElementById('verdict');
const first = document.querySelector('table');
const out = {
  scrollWidth: document.documentElement.scrollWidth,
  verdictBeforeTables: !!v && !!first && !v.contains(first) && !!(v.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING),
  verdictTop: v ? Math.round(v.getBoundingClientRect().top) : -1,
  openDetails: document.querySelectorAll('details[open]').length,
  details: document.querySelectorAll('details').length,
};
const pre = document.createElement('pre'); pre.id = 'measured'; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
</script></body>`,
    );
  const file = path.join(tmpDir('measure'), 'measure.html');
  fs.writeFileSync(file, html);
  const dom = run([`--window-size=${width},1000`, '--dump-dom', `file://${file}`]).stdout;
  const m = /<pre id="measured">([^<]*)<\/pre>/.exec(dom);
  if (!m) throw new Error(`no measurement in the page Chromium dumped:\n${dom.slice(0, 500)}`);
  return JSON.parse(m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}

/** A PNG of the page at `width` x `height` px (the first screen a reader sees). */
export function screenshot(htmlFile: string, pngFile: string, width: number, height: number): void {
  run([`--window-size=${width},${height}`, `--screenshot=${pngFile}`, `file://${htmlFile}`]);
  if (!fs.existsSync(pngFile)) throw new Error(`Chromium wrote no screenshot to ${pngFile}`);
}
