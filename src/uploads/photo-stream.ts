/**
 * Reads just enough of an incoming photo to judge it (format and dimensions), then
 * hands back a stream of the bytes already read plus the rest, still enforcing the
 * byte limit as it flows. Nothing is held beyond the header.
 */
import { invalidParameter, MetaStudioError } from '../metastudio/errors.js';
import { checkDimensions, inspectHeader, type PhotoFormat } from './image-header.js';

export interface PhotoSource extends AsyncIterable<Uint8Array> {
  /** Set by busboy when it cut the file at its own limit. */
  readonly truncated?: boolean;
  destroy?(error?: Error): void;
}

export interface InspectedPhoto {
  format: PhotoFormat;
  width: number;
  height: number;
  /** The whole photo; throws a MetaStudioError (MSS.00000003) if it outgrows `maxBytes` or was cut. */
  body: AsyncIterable<Uint8Array>;
  /** Bytes that passed through `body` so far. */
  bytesRead(): number;
}

export interface InspectOptions {
  maxBytes: number;
  /** How far to look for the JPEG SOF segment behind EXIF and other APPn segments. @default 1 MiB */
  headerCap?: number;
}

export function tooLarge(maxBytes: number): MetaStudioError {
  return invalidParameter(`The photo is larger than the ${maxBytes}-byte limit`);
}

export async function inspectPhoto(source: PhotoSource, options: InspectOptions): Promise<InspectedPhoto> {
  const headerCap = Math.min(options.headerCap ?? 1024 * 1024, options.maxBytes);
  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let joined = new Uint8Array(0);

  const fail = (error: MetaStudioError): never => {
    source.destroy?.(error);
    throw error;
  };

  for (;;) {
    const next = await iterator.next();
    const done = next.done === true;
    if (!done) {
      head.push(next.value);
      headBytes += next.value.length;
      if (headBytes > options.maxBytes) fail(tooLarge(options.maxBytes));
      joined = Buffer.concat(head);
    }
    if (done && source.truncated) fail(tooLarge(options.maxBytes));
    const verdict = inspectHeader(joined, done);
    if (verdict.kind === 'invalid') fail(invalidParameter(verdict.reason));
    if (verdict.kind === 'ok') {
      const tooBig = checkDimensions(verdict.width, verdict.height);
      if (tooBig) fail(invalidParameter(tooBig));
      let total = headBytes;
      const firstChunk = joined;
      const ended = done;
      async function* body(): AsyncGenerator<Uint8Array> {
        yield firstChunk;
        if (!ended) {
          for (;;) {
            const more = await iterator.next();
            if (more.done) break;
            total += more.value.length;
            if (total > options.maxBytes) fail(tooLarge(options.maxBytes));
            yield more.value;
          }
        }
        // busboy ends a file it cut at its limit like any other: only this flag tells.
        if (source.truncated) fail(tooLarge(options.maxBytes));
      }
      return { format: verdict.format, width: verdict.width, height: verdict.height, body: body(), bytesRead: () => total };
    }
    if (headBytes >= headerCap) {
      fail(invalidParameter(`No image dimensions were found in the first ${headerCap} bytes of the photo`));
    }
  }
}
