/** The body a throttled streamed create is sent again with: bytes already pulled, then the rest, read once. */
import { describe, expect, it } from 'vitest';
import { createReplayableStream } from '../src/metastudio/replayable-stream.js';

async function* chunks(count: number, size: number, read: { n: number }) {
  for (let i = 0; i < count; i++) {
    read.n++;
    yield new Uint8Array(size).fill(i);
  }
}

async function collect(iterable: AsyncIterable<Uint8Array>, limit = Infinity): Promise<number[]> {
  const seen: number[] = [];
  for await (const chunk of iterable) {
    seen.push(chunk[0]!);
    if (seen.length >= limit) break;
  }
  return seen;
}

describe('createReplayableStream', () => {
  it('a pass cut off after two chunks is followed by one that yields those two again, then the rest, each source chunk read once', async () => {
    const read = { n: 0 };
    const body = createReplayableStream(chunks(5, 10, read), 1000);
    const first = body.pass()[Symbol.asyncIterator]();
    expect((await first.next()).value[0]).toBe(0);
    expect((await first.next()).value[0]).toBe(1);
    expect(await body.rewind()).toBe(true);
    // The cut-off pass is never handed a short photo: it fails if asked for more.
    await expect(first.next()).rejects.toMatchObject({ code: 'MSS.00000003' });
    expect(await collect(body.pass())).toEqual([0, 1, 2, 3, 4]);
    expect(read.n).toBe(5);
    body.release();
  });

  it('cannot be replayed once more was pulled than it may keep', async () => {
    const body = createReplayableStream(chunks(5, 10, { n: 0 }), 25);
    expect(await collect(body.pass(), 3)).toEqual([0, 1, 2]);
    expect(await body.rewind()).toBe(false);
  });
});
