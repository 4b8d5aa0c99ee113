import { PROGRESS_THRESHOLD_BYTES, StreamProgress, formatBytes } from '../../../tools/ztai-model/progress';

function stream(isTTY: boolean) {
  const out = { text: '', isTTY, write: (t: string) => (out.text += t) };
  return out;
}

function drive(progress: StreamProgress, clock: { t: number }, totalBytes: number): void {
  progress.start(2, totalBytes);
  progress.file('a.bin', totalBytes / 2);
  clock.t += 20_000;
  progress.bytes(totalBytes / 2);
  progress.file('b.bin', totalBytes / 2);
  clock.t += 20_000;
  progress.bytes(totalBytes / 2);
  progress.end();
}

describe('StreamProgress', () => {
  test('on a terminal: redraws one status line and erases it at the end', () => {
    const out = stream(true);
    const clock = { t: 0 };
    drive(new StreamProgress(out, { now: () => clock.t }), clock, 2048);
    expect(out.text).toContain('\r\x1b[Kztai-model: hashing 1.0 KiB of 2.0 KiB (50%), file 1 of 2: a.bin');
    expect(out.text.endsWith('\r\x1b[K')).toBe(true);
    expect(out.text).not.toContain('\n');
  });

  test('not a terminal, small model: silent', () => {
    const out = stream(false);
    const clock = { t: 0 };
    drive(new StreamProgress(out, { now: () => clock.t }), clock, 2048);
    expect(out.text).toBe('');
  });

  test('not a terminal, large model: start, periodic and end lines', () => {
    const out = stream(false);
    const clock = { t: 0 };
    drive(new StreamProgress(out, { now: () => clock.t }), clock, PROGRESS_THRESHOLD_BYTES * 2);
    expect(out.text.split('\n').filter(Boolean)).toEqual([
      'ztai-model: hashing 2 files, 512.0 MiB',
      'ztai-model: hashing 256.0 MiB of 512.0 MiB (50%), file 1 of 2: a.bin',
      'ztai-model: hashing 512.0 MiB of 512.0 MiB (100%), file 2 of 2: b.bin',
      'ztai-model: hashed 2 of 2 files, 512.0 MiB',
    ]);
  });

  test('quiet: silent even on a terminal', () => {
    const out = stream(true);
    const clock = { t: 0 };
    drive(new StreamProgress(out, { quiet: true, now: () => clock.t }), clock, PROGRESS_THRESHOLD_BYTES * 2);
    expect(out.text).toBe('');
  });

  test('formatBytes', () => {
    expect([0, 1023, 1536, 5 * 1024 ** 3].map(formatBytes)).toEqual(['0 bytes', '1023 bytes', '1.5 KiB', '5.0 GiB']);
  });
});
