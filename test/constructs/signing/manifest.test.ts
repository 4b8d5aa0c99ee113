import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { ModelInvalidError } from '../../../constructs/signing/errors';
import {
  Manifest,
  assertSameFileSet,
  canonicalManifest,
  createManifest,
  hashStream,
  manifestDigest,
  parseManifest,
  pathProblem,
  pathSetProblem,
  sortByPath,
} from '../../../constructs/signing/manifest';

const H1 = 'a'.repeat(64);
const H2 = 'b'.repeat(64);

/** RFC 8785 for the JSON this test uses (strings, integers, arrays, objects): sorted keys, no spaces. */
function jcs(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(jcs).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${jcs(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('pathProblem', () => {
  test.each(['a', 'config.json', 'weights/model-00001.safetensors', 'modèle/权重.bin', 'a b/c"d', '.hidden/x'])(
    'accepts %j',
    (path) => expect(pathProblem(path)).toBeUndefined(),
  );

  test.each([
    ['', /empty/],
    ['/etc/passwd', /starts with '\/'/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['./a', /'\.' segment/],
    ['a/../b', /'\.\.' segment/],
    ['..', /'\.\.' segment/],
    ['a\\b', /contains '\\'/],
    ['a\nb', /control character/],
    ['a\u0000b', /control character/],
    ['bad\uD800', /not valid Unicode/],
    ['x'.repeat(901), /longer than 900 bytes/],
  ])('refuses %j', (path, problem) => {
    expect(pathProblem(path)).toMatch(problem);
  });
});

describe('pathSetProblem', () => {
  test('accepts distinct valid paths', () => {
    expect(pathSetProblem(['a', 'b/c', 'b/d'])).toBeUndefined();
  });

  test('refuses a duplicate', () => {
    expect(pathSetProblem(['a', 'b', 'a'])).toMatch(/"a" appears twice/);
  });

  test('refuses a path that is also the directory of another, even when they do not sort together', () => {
    expect(pathSetProblem(['a', 'a-x', 'a/b'])).toMatch(/"a" is both a file and the directory of "a\/b"/);
  });
});

describe('sort order', () => {
  test('sorts by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF61 is EF BD A1 in UTF-8 and U+1F600 is F0 9F 98 80, but in UTF-16 the emoji (D83D ...) sorts first.
    const sorted = sortByPath([{ path: '\u{1F600}' }, { path: '\uFF61' }, { path: 'a/b' }, { path: 'a-c' }]);
    expect(sorted.map((e) => e.path)).toEqual(['a-c', 'a/b', '\uFF61', '\u{1F600}']);
    expect(['\u{1F600}', '\uFF61'].sort()).toEqual(['\u{1F600}', '\uFF61']); // what a naive sort would do
  });
});

describe('canonical form', () => {
  const manifest = createManifest([
    { path: 'weights/model.bin', size: 4096, sha256: H2 },
    { path: 'config.json', size: 12, sha256: H1 },
  ]);

  test('is the exact documented byte string', () => {
    expect(canonicalManifest(manifest).toString('utf8')).toBe(
      `{"files":[{"path":"config.json","sha256":"${H1}","size":12},` +
        `{"path":"weights/model.bin","sha256":"${H2}","size":4096}],"format":"ztai-model-manifest/v1"}`,
    );
  });

  test('with a subject, appends it with sorted keys', () => {
    const withSubject = createManifest(manifest.files, { workload: 'fraud', model: 'scorer', version: '1.2.0' });
    expect(canonicalManifest(withSubject).toString('utf8')).toMatch(
      /,"format":"ztai-model-manifest\/v1","subject":\{"model":"scorer","version":"1.2.0","workload":"fraud"\}\}$/,
    );
    expect(manifestDigest(withSubject).equals(manifestDigest(manifest))).toBe(false);
  });

  test('equals RFC 8785 (JCS) of the manifest, including escaped and non-ASCII paths', () => {
    const tricky = createManifest([
      { path: 'quote"and space/é.bin', size: 1, sha256: H1 },
      { path: '\u2028line-separator', size: 0, sha256: H2 },
      { path: '\u{1F600}/emoji', size: 9007199254740991, sha256: H1 },
    ]);
    expect(canonicalManifest(tricky).toString('utf8')).toBe(jcs(tricky));
  });

  test('does not depend on the order entries were given in', () => {
    const reversed = createManifest([...manifest.files].reverse());
    expect(canonicalManifest(reversed).equals(canonicalManifest(manifest))).toBe(true);
  });

  test('digest is SHA-256 of the canonical bytes and is stable (format lock)', () => {
    expect(manifestDigest(manifest)).toEqual(createHash('sha256').update(canonicalManifest(manifest)).digest());
    expect(manifestDigest(manifest).toString('hex')).toBe(
      '0257e1409145f107e1f922f2ea5fe0ccfeefa43d5f29b4d51ee2e6df5e6146df',
    );
  });
});

describe('parseManifest', () => {
  const valid = {
    files: [
      { path: 'a', sha256: H1, size: 1 },
      { path: 'b', sha256: H2, size: 2 },
    ],
    format: 'ztai-model-manifest/v1',
  };

  test('accepts a valid manifest unchanged', () => {
    expect(parseManifest(valid)).toEqual(valid);
  });

  test.each([
    ['not an object', [], /must be an object/],
    ['wrong format', { ...valid, format: 'v2' }, /manifest.format must be/],
    ['an unknown top-level field (would be unsigned)', { ...valid, note: 'x' }, /unknown field "note"/],
    [
      'an unknown entry field',
      { ...valid, files: [{ ...valid.files[0], mode: 644 }] },
      /files\[0\] has unknown field "mode"/,
    ],
    ['no files', { ...valid, files: [] }, /empty/],
    ['files out of order', { ...valid, files: [...valid.files].reverse() }, /out of order/],
    ['a duplicate', { ...valid, files: [valid.files[0], valid.files[0]] }, /out of order or duplicated/],
    ['a traversal path', { ...valid, files: [{ path: '../x', sha256: H1, size: 1 }] }, /'\.\.' segment/],
    ['uppercase hex', { ...valid, files: [{ path: 'a', sha256: H1.toUpperCase(), size: 1 }] }, /sha256 must be 64/],
    ['a negative size', { ...valid, files: [{ path: 'a', sha256: H1, size: -1 }] }, /size must be a non-negative/],
    ['a fractional size', { ...valid, files: [{ path: 'a', sha256: H1, size: 1.5 }] }, /size must be a non-negative/],
    ['a string size', { ...valid, files: [{ path: 'a', sha256: H1, size: '1' }] }, /size must be a non-negative/],
    ['a bad subject', { ...valid, subject: { workload: '../x', model: 'm', version: '1' } }, /subject.workload/],
    ['a partial subject', { ...valid, subject: { workload: 'w', model: 'm' } }, /subject.version must be a string/],
  ])('refuses %s', (_what, value, message) => {
    expect(() => parseManifest(value)).toThrow(message);
  });
});

describe('assertSameFileSet', () => {
  const manifest: Manifest = createManifest([
    { path: 'a', size: 1, sha256: H1 },
    { path: 'b', size: 2, sha256: H2 },
  ]);

  test('passes for the same paths and sizes in any order', () => {
    expect(() =>
      assertSameFileSet(manifest, [
        { path: 'b', size: 2 },
        { path: 'a', size: 1 },
      ]),
    ).not.toThrow();
  });

  test('names missing, extra and resized files in one line', () => {
    const run = () =>
      assertSameFileSet(manifest, [
        { path: 'b', size: 3 },
        { path: 'c', size: 1 },
      ]);
    expect(run).toThrow(ModelInvalidError);
    expect(run).toThrow(
      'files differ from the bundle: missing "a"; extra "c" (not in the bundle); changed "b" (size 3, signed 2)',
    );
  });

  test('a size change alone is file-changed; a set change is file-set-mismatch', () => {
    const reason = (listing: { path: string; size: number }[]) => {
      try {
        assertSameFileSet(manifest, listing);
      } catch (err) {
        return (err as ModelInvalidError).reason;
      }
      return undefined;
    };
    expect(
      reason([
        { path: 'a', size: 1 },
        { path: 'b', size: 5 },
      ]),
    ).toBe('file-changed');
    expect(reason([{ path: 'a', size: 1 }])).toBe('file-set-mismatch');
  });

  test('caps the list at five and counts the rest', () => {
    const listing = Array.from({ length: 9 }, (_, i) => ({ path: `x${i}`, size: 1 }));
    expect(() => assertSameFileSet(manifest, listing)).toThrow(/; and 6 more$/);
  });
});

describe('hashStream', () => {
  test('hashes chunk by chunk and reports each chunk', async () => {
    const chunks = [Buffer.from('hello '), Buffer.from('streaming '), Buffer.from('world')];
    const seen: number[] = [];
    const digest = await hashStream(Readable.from(chunks), (n) => seen.push(n));
    expect(digest).toEqual({
      sha256: createHash('sha256').update('hello streaming world').digest('hex'),
      size: 21,
    });
    expect(seen).toEqual([6, 10, 5]);
  });

  test('hashes an empty stream', async () => {
    expect(await hashStream(Readable.from([]))).toEqual({
      sha256: createHash('sha256').digest('hex'),
      size: 0,
    });
  });
});
