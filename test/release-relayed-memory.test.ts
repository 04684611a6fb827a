import { describe, expect, it } from 'vitest';
import { createMemoryReleaser, exposeCollector } from '../src/uploads/release-relayed-memory.js';

describe('releasing relayed memory', () => {
  it('collects once per `everyBytes` relayed, counting afresh after each collection', () => {
    const collections: string[] = [];
    const relay = createMemoryReleaser({ everyBytes: 100, perRelayBytes: 1, collect: (options) => void collections.push(options.type) }).open();
    for (const bytes of [30, 30, 30]) relay.relayed(bytes);
    expect(collections).toEqual([]);
    relay.relayed(30);
    expect(collections).toEqual(['minor']);
    relay.relayed(99);
    expect(collections).toEqual(['minor']);
    relay.relayed(1);
    expect(collections).toEqual(['minor', 'minor']);
    relay.relayed(250);
    expect(collections).toEqual(['minor', 'minor', 'minor']);
  });

  it('leaves more bytes between collections while more relays are open, so chunks in flight are not promoted', () => {
    let collections = 0;
    const releaser = createMemoryReleaser({ everyBytes: 100, perRelayBytes: 40, collect: () => void collections++ });
    const relays = Array.from({ length: 5 }, () => releaser.open());
    // Five open relays: a collection every 5 x 40 = 200 bytes, whichever relay they pass through.
    for (const relay of relays) relay.relayed(39);
    expect(collections).toBe(0);
    relays[0]!.relayed(5);
    expect(collections).toBe(1);
    // Closed relays stop counting (closing twice changes nothing): back to every 100 bytes.
    for (const relay of relays.slice(1)) {
      relay.close();
      relay.close();
    }
    relays[0]!.relayed(100);
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
    const relay = createMemoryReleaser({ everyBytes: 4 * 1024 * 1024 }).open();
    // 32 MiB of 64 KiB chunks, each dropped once relayed: without collections all 32 MiB stay.
    let peak = 0;
    for (let i = 0; i < 512; i++) {
      const chunk = Buffer.allocUnsafeSlow(64 * 1024);
      chunk[0] = i;
      relay.relayed(chunk.length);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
    }
    relay.close();
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });
});
