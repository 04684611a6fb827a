/**
 * A streamed body that can be sent again after API Gateway refused it for its rate limit
 * (429 APIG.0308): MetaStudio never saw that request, but it consumed the photo bytes it
 * pulled. The bytes each pass pulls are kept (at most `maxKeptBytes`; beyond that they are
 * dropped and the body cannot be replayed), so the next pass yields them and then goes on
 * with the rest of the source, which was never read further.
 *
 * API Gateway answers a throttled request as soon as it has its headers, so only the first
 * chunks of a photo are ever kept in practice; they stay in memory while the create waits
 * for its next turn.
 */
import { invalidParameter } from '../errors.js';

export interface ReplayableStream {
  /** The whole body: what earlier passes pulled, then the rest of the source. Starting a pass ends the previous one. */
  pass(): AsyncIterable<Uint8Array>;
  /**
   * Ends the current pass (its consumer gets an error if it asks for more) once its pull in
   * flight has landed. False when the bytes pulled so far were too many to keep.
   */
  rewind(): Promise<boolean>;
  /** Drops what is kept. */
  release(): void;
}

/** A body pulled this far was refused mid-way: its reader is cut off, never handed a short photo. */
const detached = () => invalidParameter('The upstream request was refused before its body was sent');

export function createReplayableStream(source: AsyncIterable<Uint8Array>, maxKeptBytes: number): ReplayableStream {
  const iterator = source[Symbol.asyncIterator]();
  let kept: Uint8Array[] = [];
  let keptBytes = 0;
  let overflow = false;
  let current = 0;
  let pulling: Promise<unknown> | undefined;

  function keep(chunk: Uint8Array) {
    if (overflow) return;
    keptBytes += chunk.length;
    if (keptBytes > maxKeptBytes) {
      overflow = true;
      kept = [];
      return;
    }
    kept.push(chunk);
  }

  return {
    pass() {
      const id = ++current;
      const replay = kept.slice();
      return (async function* () {
        for (const chunk of replay) {
          if (id !== current) throw detached();
          yield chunk;
        }
        for (;;) {
          if (id !== current) throw detached();
          const next = iterator.next();
          pulling = next;
          const result = await next;
          pulling = undefined;
          if (result.done) return;
          keep(result.value);
          if (id !== current) throw detached();
          yield result.value;
        }
      })();
    },
    async rewind() {
      current++;
      await pulling?.catch(() => {});
      return !overflow;
    },
    release() {
      current++;
      kept = [];
    },
  };
}
