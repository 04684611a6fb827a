/**
 * Frees the memory that relayed photo bytes came in. Every chunk read from a socket is a
 * buffer of its own, freed only once a garbage collection finds it dead, and V8 collects
 * by how much JavaScript allocates, not by how many bytes stream through: 32 concurrent
 * 8 MiB uploads left 35-40 MB of dead socket buffers behind before a collection came. So
 * after every few megabytes relayed, a young-generation collection (a scavenge, the
 * sub-millisecond kind V8 runs all the time anyway) frees them.
 *
 * Not too often, though: a chunk still in flight when two collections pass is promoted to
 * the old generation, which only a full collection frees. The bytes between collections
 * therefore grow with the photo streams open: at least RELEASE_EVERY_BYTES, and
 * PER_STREAM_BYTES for each (a margin over what one holds in its socket, parser and stream
 * buffers: with 32 streams, a collection every 2 MiB promoted so many chunks that growth
 * reached 66 MB, while one every 5 MiB keeps it near 15).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const RELEASE_EVERY_BYTES = 4 * 1024 * 1024;
export const PER_STREAM_BYTES = 160 * 1024;

export type Collect = (options: { type: 'minor' }) => void;

/** V8's gc(), exposed to a fresh context only (as jest does to find leaks), never to the gateway's globals. */
export function exposeCollector(): Collect | undefined {
  const existing = (globalThis as { gc?: Collect }).gc;
  if (typeof existing === 'function') return existing;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as Collect;
  } catch {
    return undefined;
  }
}

export interface TrackedStream {
  /** Counts a chunk that has been handed on. */
  passed(bytes: number): void;
  /** The stream is over (idempotent). */
  close(): void;
}

export interface MemoryReleaser {
  track(): TrackedStream;
}

export function createMemoryReleaser(options: { everyBytes?: number; perStreamBytes?: number; collect?: Collect | undefined } = {}): MemoryReleaser {
  const everyBytes = options.everyBytes ?? RELEASE_EVERY_BYTES;
  const perStreamBytes = options.perStreamBytes ?? PER_STREAM_BYTES;
  const collect = 'collect' in options ? options.collect : exposeCollector();
  let since = 0;
  let open = 0;
  return {
    track() {
      open++;
      let closed = false;
      return {
        passed(bytes) {
          since += bytes;
          if (!collect || since < Math.max(everyBytes, open * perStreamBytes)) return;
          since = 0;
          collect({ type: 'minor' });
        },
        close() {
          if (closed) return;
          closed = true;
          open--;
        },
      };
    },
  };
}
