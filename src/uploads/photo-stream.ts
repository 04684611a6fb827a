/**
 * Reads just enough of an incoming photo to judge it (format and dimensions), then
 * hands back a stream of the bytes already read plus the rest, still enforcing the
 * byte limit as it flows. Nothing is held beyond the header. A photo refused here is
 * left as it is: its caller lets go of it (`letGo`), so busboy can read past it.
 */
import { invalidParameter, MetaStudioError } from '../errors.js';
import { checkDimensions, inspectHeader, type PhotoFormat } from './image-header.js';

export interface PhotoSource extends AsyncIterable<Uint8Array> {
  /** Set by busboy when it cut the file at its own limit. */
  readonly truncated?: boolean;
  readonly destroyed?: boolean;
  resume?(): unknown;
  /** Node's own iterator, which can be told to leave the stream alive when it is returned. */
  iterator?(options: { destroyOnReturn: boolean }): AsyncIterator<Uint8Array>;
}

export interface InspectedPhoto {
  format: PhotoFormat;
  width: number;
  height: number;
  /** The whole photo; throws a MetaStudioError (MSS.00000003) if it outgrows `maxBytes` or was cut. */
  body: AsyncIterable<Uint8Array>;
  /** Bytes that passed through `body` so far. */
  bytesRead(): number;
  /** Stops reading (once a pull in flight has landed), leaving the source to be let go (`letGo`). */
  detach(): Promise<void>;
}

export interface InspectOptions {
  maxBytes: number;
  /** How far to look for the JPEG SOF segment behind EXIF and other APPn segments. @default 1 MiB */
  headerCap?: number;
}

/** Smallest growth of the buffered header between two attempts to parse it. */
const JUDGE_EVERY_BYTES = 512;

export function tooLarge(maxBytes: number): MetaStudioError {
  return invalidParameter(`The photo is larger than the ${maxBytes}-byte limit`);
}

/** The client's stream failing (it broke off, the body ended inside the file) is the client's error, not ours. */
async function nextFromClient(iterator: AsyncIterator<Uint8Array>): Promise<IteratorResult<Uint8Array>> {
  try {
    return await iterator.next();
  } catch (error) {
    throw error instanceof MetaStudioError ? error : invalidParameter(`The upload broke off before the photo was complete: ${(error as Error).message}`, error);
  }
}

export async function inspectPhoto(source: PhotoSource, options: InspectOptions): Promise<InspectedPhoto> {
  // Returning Node's default iterator destroys the stream, which stalls busboy on it: this
  // one only takes its listener off, so a photo read part-way can still be read past.
  const iterator = source.iterator?.({ destroyOnReturn: false }) ?? source[Symbol.asyncIterator]();
  const detach = async () => void (await iterator.return?.());
  try {
    return await judge(source, iterator, detach, options);
  } catch (error) {
    await detach();
    throw error;
  }
}

async function judge(source: PhotoSource, iterator: AsyncIterator<Uint8Array>, detach: () => Promise<void>, options: InspectOptions): Promise<InspectedPhoto> {
  const headerCap = Math.min(options.headerCap ?? 1024 * 1024, options.maxBytes);
  // What has arrived: the first chunk itself while the header lies within it (the usual
  // case, no copy), else one buffer of our own, doubled as it fills and re-judged only every
  // few hundred new bytes: a client that trickles one byte at a time must not make this quadratic.
  let head: Uint8Array = new Uint8Array(0);
  let owned = false;
  let headBytes = 0;
  let judgedAt = -1;

  for (;;) {
    const next = await nextFromClient(iterator);
    const done = next.done === true;
    if (!done) {
      const chunk = next.value;
      if (headBytes === 0) head = chunk;
      else {
        if (!owned || headBytes + chunk.length > head.length) {
          const grown = Buffer.alloc(Math.max(owned ? head.length * 2 : 4096, headBytes + chunk.length));
          grown.set(head.subarray(0, headBytes));
          head = grown;
          owned = true;
        }
        head.set(chunk, headBytes);
      }
      headBytes += chunk.length;
      if (headBytes > options.maxBytes) throw tooLarge(options.maxBytes);
      if (headBytes - judgedAt < JUDGE_EVERY_BYTES && headBytes < headerCap) continue;
    }
    if (done && source.truncated) throw tooLarge(options.maxBytes);
    judgedAt = headBytes;
    const joined = head.subarray(0, headBytes);
    const verdict = inspectHeader(joined, done);
    if (verdict.kind === 'invalid') throw invalidParameter(verdict.reason);
    if (verdict.kind === 'ok') {
      const tooBig = checkDimensions(verdict.width, verdict.height);
      if (tooBig) throw invalidParameter(tooBig);
      let total = headBytes;
      // The bytes already read go on as they are: the first chunk, or one view of our buffer.
      let first: Uint8Array | undefined = joined;
      let finished = done;
      // An iterator object, not an async generator: a generator suspended on the next pull
      // keeps the chunk it yielded last in its registers, one pinned chunk per upload.
      const next = async (): Promise<IteratorResult<Uint8Array>> => {
        if (first) {
          const value = first;
          first = undefined;
          return { value, done: false };
        }
        if (!finished) {
          const more = await nextFromClient(iterator);
          if (!more.done) {
            total += more.value.length;
            if (total > options.maxBytes) throw tooLarge(options.maxBytes);
            return more;
          }
          finished = true;
          // busboy ends a file it cut at its limit like any other: only this flag tells.
          if (source.truncated) throw tooLarge(options.maxBytes);
        }
        return { value: undefined, done: true };
      };
      const body: AsyncIterableIterator<Uint8Array> = {
        next,
        return: async () => {
          first = undefined;
          finished = true;
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]: () => body,
      };
      return { format: verdict.format, width: verdict.width, height: verdict.height, body, bytesRead: () => total, detach };
    }
    if (headBytes >= headerCap) {
      throw invalidParameter(`No image dimensions were found in the first ${headerCap} bytes of the photo`);
    }
  }
}

/**
 * Lets go of a photo that will not be sent: reads it to its end and drops the bytes. Whoever
 * was iterating it has detached first (an iterator's 'readable' listener keeps resume() from flowing).
 * Destroying it instead would stall busboy on it, and with it every part behind it (the
 * next file of a batch) and the end of the body the client waits on to read its answer.
 */
export function letGo(source: PhotoSource): void {
  if (source.destroyed) return;
  source.resume?.();
}
