import { describe, expect, it } from 'vitest';
import { createMemoryReleaser, exposeCollector } from '../src/uploads/release-relayed-memory.js';

describe('releasing relayed memory', () => {
  it('collects once per `everyBytes` relayed, counting afresh after each collection', () => {
    const collections: string[] = [];
    const stream = createMemoryReleaser({ everyBytes: 100, perStreamBytes: 1, collect: (options) => void collections.push(options.type) }).track();
    for (const bytes of [30, 30, 30]) stream.passed(bytes);
    expect(collections).toEqual([]);
    stream.passed(30);
    expect(collections).toEqual(['minor']);
    stream.passed(99);
    expect(collections).toEqual(['minor']);
    stream.passed(1);
    expect(collections).toEqual(['minor', 'minor']);
    stream.passed(250);
    expect(collections).toEqual(['minor', 'minor', 'minor']);
  });

  it('leaves more bytes between collections while more streams are open, so chunks in flight are not promoted', () => {
    let collections = 0;
    const releaser = createMemoryReleaser({ everyBytes: 100, perStreamBytes: 40, collect: () => void collections++ });
    const streams = Array.from({ length: 5 }, () => releaser.track());
    // Five open streams: a collection every 5 x 40 = 200 bytes, whichever stream they pass through.
    for (const stream of streams) stream.passed(39);
    expect(collections).toBe(0);
    streams[0]!.passed(5);
    expect(collections).toBe(1);
    // Closed streams stop counting (closing twice changes nothing): back to every 100 bytes.
    for (const stream of streams.slice(1)) {
      stream.close();
      stream.close();
    }
    streams[0]!.passed(100);
    expect(collections).toBe(2);
  });

  it("reaches V8's collector without exposing gc() to the process's globals", () => {
    const collect = exposeCollector();
    expect(typeof collect).toBe('function');
    expect(() => collect!({ type: 'minor' })).not.toThrow();
    expect('gc' in globalThis).toBe(false);
  });

  it('its young-generation collections free the dead buffers', () => {
    const before = process.memoryUsage().arrayBuffers;
    const stream = createMemoryReleaser({ everyBytes: 4 * 1024 * 1024 }).track();
    // 32 MiB of 64 KiB chunks, each dropped once handed on: without collections all 32 MiB stay.
    let peak = 0;
    for (let i = 0; i < 512; i++) {
      const chunk = Buffer.allocUnsafeSlow(64 * 1024);
      chunk[0] = i;
      stream.passed(chunk.length);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    stream.close();
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });
});
