/**
 * Frees the memory that relayed photo bytes came in, every few megabytes. Every chunk read
 * from a socket is a buffer of its own, freed only once a garbage collection finds it dead,
 * and V8 collects by how much JavaScript allocates, not by how many bytes stream through:
 * 32 concurrent 8 MiB uploads left 35-40 MB of dead socket buffers behind before a
 * collection came. A young-generation collection (a scavenge, the sub-millisecond kind V8
 * runs all the time anyway) after every RELEASE_EVERY_BYTES relayed bounds that.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const RELEASE_EVERY_BYTES = 8 * 1024 * 1024;

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

/** Returns the function to call with each relayed chunk's size. */
export function createMemoryReleaser(everyBytes = RELEASE_EVERY_BYTES, collect: Collect | undefined = exposeCollector()): (bytes: number) => void {
  let since = 0;
  return (bytes) => {
    since += bytes;
    if (since < everyBytes || !collect) return;
    since = 0;
    collect({ type: 'minor' });
  };
}
