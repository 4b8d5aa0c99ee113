/**
 * The examples' lock files (examples/<name>/package-lock.json) pin every third-party package, and install
 * the construct library from the tarball `npm run package` writes (`file:../../build/package/…tgz`).
 *
 *   npm run examples:lock                                 # check every example: CI runs this before `npm ci`
 *   npm run examples:lock -- --fix examples/<name>        # after `npm run package`: refresh that example's lock
 *
 * npm records the tarball's checksum in the lock, and the tarball changes with every change to the library,
 * so the entry of a local tarball must carry no `integrity`: `npm ci` then installs whatever was just packed,
 * while every registry package stays pinned by version and checksum.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES = path.join(ROOT, 'examples');

interface LockEntry {
  readonly resolved?: string;
  readonly integrity?: string;
}

/** Every example directory: examples/<name>/ with a package.json. */
export function exampleDirectories(): string[] {
  if (!fs.existsSync(EXAMPLES)) return [];
  return fs
    .readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(EXAMPLES, d.name, 'package.json')))
    .map((d) => path.join(EXAMPLES, d.name));
}

/** Lock entries installed from a local tarball that still carry a checksum. */
export function pinnedLocalTarballs(lockText: string): string[] {
  const lock = JSON.parse(lockText) as { packages?: Record<string, LockEntry> };
  return Object.entries(lock.packages ?? {})
    .filter(([, e]) => e.resolved?.startsWith('file:') && e.resolved.endsWith('.tgz') && e.integrity !== undefined)
    .map(([name]) => name);
}

/** The lock text without the `integrity` line of local-tarball entries; everything else byte for byte. */
export function unpinLocalTarballs(lockText: string): string {
  const lines = lockText.split('\n');
  return lines
    .filter(
      (line, i) => !(/^\s*"integrity": /.test(line) && /^\s*"resolved": "file:[^"]*\.tgz",$/.test(lines[i - 1] ?? '')),
    )
    .join('\n');
}

function main(fix: boolean, only: readonly string[]): number {
  let problems = 0;
  const selected = only.map((d) => path.resolve(d));
  for (const dir of exampleDirectories().filter((d) => selected.length === 0 || selected.includes(d))) {
    const name = path.relative(ROOT, dir);
    const lockFile = path.join(dir, 'package-lock.json');
    if (fix) {
      execFileSync('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], {
        cwd: dir,
        stdio: 'inherit',
      });
      fs.writeFileSync(lockFile, unpinLocalTarballs(fs.readFileSync(lockFile, 'utf8')));
    }
    if (!fs.existsSync(lockFile)) {
      process.stderr.write(`${name}: no package-lock.json (run npm run examples:lock -- --fix ${name})\n`);
      problems++;
      continue;
    }
    const pinned = pinnedLocalTarballs(fs.readFileSync(lockFile, 'utf8'));
    if (pinned.length > 0) {
      process.stderr.write(
        `${name}/package-lock.json pins the checksum of a local tarball (${pinned.join(', ')}); ` +
          `run npm run examples:lock -- --fix ${name}\n`,
      );
      problems++;
    } else {
      process.stdout.write(`${name}: lock file ok\n`);
    }
  }
  return problems === 0 ? 0 : 1;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  process.exitCode = main(
    args.includes('--fix'),
    args.filter((a) => !a.startsWith('--')),
  );
}
