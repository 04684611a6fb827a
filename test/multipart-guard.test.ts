/**
 * The raw-part guard is a linear scanner in the body's one stream: whatever the chunking, it
 * sees the same parts and the same file start, and passes every chunk on as it came.
 */
import { describe, expect, it } from 'vitest';
import { guardMultipart } from '../src/uploads/multipart-guard.js';
import { encodeParts } from './support/multipart.js';

function feed(body: Buffer, contentType: string, sizes: () => number) {
  const guard = guardMultipart(contentType, body.length);
  const out: Buffer[] = [];
  const written: Buffer[] = [];
  guard.stream.on('data', (chunk: Buffer) => out.push(chunk));
  for (let at = 0; at < body.length; ) {
    const n = Math.max(1, sizes());
    const chunk = body.subarray(at, at + n);
    written.push(chunk);
    guard.stream.write(chunk);
    at += n;
  }
  guard.stream.end();
  return { guard, out, written };
}

/** A seeded generator: the same "random" chunking on every run. */
function seeded(seed: number) {
  let state = seed;
  return (below: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % below;
  };
}

describe('multipart guard', () => {
  const file = Buffer.alloc(300_000, 0x2d); // dashes, to tempt a sloppy delimiter search
  const { body, contentType } = encodeParts([
    { name: 'operations', value: '{"query":"x"}' },
    { name: 'map', value: '{"0":["variables.f"]}' },
    { name: '0', value: file, filename: 'a.jpg', type: 'image/jpeg' },
    { name: 'extra', value: 'after the file' },
  ]);

  for (const [label, sizes] of [
    ['one chunk', () => body.length],
    ['1-byte chunks', () => 1],
    ['random small chunks', ((r) => () => 1 + r(40))(seeded(7))],
    ['64 KiB chunks', () => 65_536],
    ['random large chunks', ((r) => () => 1 + r(100_000))(seeded(11))],
  ] as const) {
    it(`${label}: every part, the file's size from Content-Length, and the very chunks that went in`, async () => {
      const { guard, out, written } = feed(body, contentType, sizes);
      const parts = await guard.ended();
      // The same Buffer objects, in order: passed on, never copied.
      expect(out.length).toBe(written.length);
      expect(out.every((chunk, i) => chunk === written[i])).toBe(true);
      expect(parts).toEqual([
        { name: 'operations', filename: undefined },
        { name: 'map', filename: undefined },
        { name: '0', filename: 'a.jpg' },
        { name: 'extra', filename: undefined },
      ]);
      // The file is not the last part here, so the hint (which assumes it is) overshoots by the trailing part.
      const trailing = Buffer.byteLength('\r\n--test-boundary-7d9f\r\nContent-Disposition: form-data; name="extra"\r\n\r\nafter the file');
      const hint = guard.sizeHint()!;
      expect(hint.max - hint.min).toBe(2);
      expect(file.length + trailing).toBeGreaterThanOrEqual(hint.min);
      expect(file.length + trailing).toBeLessThanOrEqual(hint.max);
    });
  }

  it('partDone: a part is over when the next one begins, the last when the body ends', async () => {
    const guard = guardMultipart(contentType, body.length);
    const stream = guard.stream;
    stream.resume();
    const done: string[] = [];
    void guard.partDone(2).then(() => done.push('file'));
    void guard.partDone(3).then(() => done.push('last'));
    // Up to the file's middle: nothing is over yet.
    const fileAt = body.indexOf(file.subarray(0, 64));
    stream.write(body.subarray(0, fileAt + 1000));
    await new Promise((r) => setImmediate(r));
    expect(done).toEqual([]);
    // The rest, but the body not ended: the file is over (the extra part began), the last part is not.
    stream.write(body.subarray(fileAt + 1000));
    await new Promise((r) => setImmediate(r));
    expect(done).toEqual(['file']);
    stream.end();
    await guard.ended();
    await new Promise((r) => setImmediate(r));
    expect(done).toEqual(['file', 'last']);
    await expect(guard.partDone(0)).resolves.toBeUndefined();
  });

  it('a stream destroyed before its end (the client broke off) rejects ended(), and partDone of an unfinished part', async () => {
    const guard = guardMultipart(contentType, body.length);
    guard.stream.resume();
    guard.stream.write(body.subarray(0, body.indexOf(file.subarray(0, 64)) + 10));
    const fileDone = guard.partDone(2);
    guard.stream.destroy();
    await expect(guard.ended()).rejects.toThrow(/broke off/);
    await expect(fileDone).rejects.toThrow(/broke off/);
  });

  it('a body that ends before its closing delimiter rejects ended()', async () => {
    const guard = guardMultipart(contentType, body.length);
    guard.stream.resume();
    guard.stream.end(body.subarray(0, body.length - 10));
    await expect(guard.ended()).rejects.toThrow(/before the closing multipart delimiter/);
  });

  it('a reader that is ready and a client that sends nothing: onIdle, once the idle time has passed', async () => {
    const started = Date.now();
    const idled = new Promise<number>((resolve) => {
      const guard = guardMultipart(contentType, body.length, {
        ms: 100,
        onIdle: () => {
          guard.dispose();
          resolve(Date.now());
        },
      });
      guard.stream.resume();
      guard.stream.write(body.subarray(0, 100));
    });
    expect((await idled) - started).toBeGreaterThanOrEqual(100);
  });
});
