import { describe, expect, it } from 'vitest';
import { createMemoryReleaser, exposeCollector } from '../src/uploads/release-relayed-memory.js';

describe('releasing relayed memory', () => {
  it('collects once per `everyBytes` relayed, counting afresh after each collection', () => {
    const collections: string[] = [];
    const relayed = createMemoryReleaser(100, (options) => void collections.push(options.type));
    for (const bytes of [30, 30, 30]) relayed(bytes);
    expect(collections).toEqual([]);
    relayed(30);
    expect(collections).toEqual(['minor']);
    relayed(99);
    expect(collections).toEqual(['minor']);
    relayed(1);
    expect(collections).toEqual(['minor', 'minor']);
    relayed(250);
    expect(collections).toEqual(['minor', 'minor', 'minor']);
  });

  it("reaches V8's collector without exposing gc() to the process's globals", () => {
    const collect = exposeCollector();
    expect(typeof collect).toBe('function');
    expect(() => collect!({ type: 'minor' })).not.toThrow();
    expect('gc' in globalThis).toBe(false);
  });

  it('a young-generation collection frees dead buffers', async () => {
    const collect = exposeCollector()!;
    // Warm the allocator, then measure what 32 MiB of dropped 64 KiB chunks leave behind.
    const before = process.memoryUsage().arrayBuffers;
    const relayed = createMemoryReleaser(4 * 1024 * 1024, collect);
    let peak = 0;
    for (let i = 0; i < 512; i++) {
      const chunk = Buffer.allocUnsafeSlow(64 * 1024);
      chunk[0] = i;
      relayed(chunk.length);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });
});
