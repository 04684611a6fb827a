/**
 * The one stream a multipart upload's body passes through on its way to busboy: as each
 * chunk goes by it sees which parts arrive (busboy, through graphql-upload-minimal,
 * silently drops fields beyond `operations` and `map`), where the file's data starts
 * (which with Content-Length tells the file's size before a byte of it goes upstream),
 * and whether the client went quiet. Chunks go on as they came: nothing is copied or held
 * beyond the few bytes a delimiter split across two chunks needs.
 */
import { Transform, type TransformCallback } from 'node:stream';

export interface FileSizeHint {
  /** Smallest size the file can have given the declared length (it is the last part). */
  min: number;
  max: number;
}

export interface PartInfo {
  name: string;
  filename: string | undefined;
}

export interface MultipartGuard {
  /** What the request's body is written into, and what the parser reads from. */
  stream: Transform;
  /** Parts whose headers have arrived so far. */
  parts(): readonly PartInfo[];
  sizeHint(): FileSizeHint | undefined;
  /** Resolves with every part once the body has ended; rejects if the body broke off or was malformed. */
  ended(): Promise<readonly PartInfo[]>;
  /**
   * Resolves once part `index` is over: the next part's headers have arrived, or the body
   * has ended; rejects if the body broke off first.
   */
  partDone(index: number): Promise<void>;
  /** Stops watching for idleness (chunks still pass and are still scanned). */
  dispose(): void;
}

export interface IdleWatch {
  ms: number;
  /** The client sent nothing for `ms` while we were ready to read. */
  onIdle(): void;
}

/** A part's header block longer than this is not something a client sends. */
const MAX_HEADER_BLOCK = 16 * 1024;

export class MalformedMultipartError extends Error {
  override readonly name = 'MalformedMultipartError';
}

type Mode = 'body' | 'after' | 'headers' | 'epilogue' | 'failed';

/**
 * @param declaredLength the request's Content-Length, if it has one
 * @param idle when given, `onIdle` runs once the client has sent nothing for `ms`
 */
export function guardMultipart(contentType: string, declaredLength: number | undefined, idle?: IdleWatch): MultipartGuard {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const parts: PartInfo[] = [];
  let fileStart: number | undefined;
  let resolveEnd!: (parts: readonly PartInfo[]) => void;
  let rejectEnd!: (error: Error) => void;
  const end = new Promise<readonly PartInfo[]>((resolve, reject) => {
    resolveEnd = resolve;
    rejectEnd = reject;
  });
  end.catch(() => {});
  const waiting: Array<{ index: number; resolve: () => void }> = [];
  const partDone = (index: number): Promise<void> =>
    parts.length > index + 1 ? Promise.resolve() : Promise.race([end.then(() => {}), new Promise<void>((resolve) => waiting.push({ index, resolve }))]);
  const partStarted = (part: PartInfo) => {
    parts.push(part);
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (parts.length > waiting[i]!.index + 1) waiting.splice(i, 1)[0]!.resolve();
    }
  };

  // Without a boundary there is nothing to scan: busboy refuses such a body on its own.
  const boundary = match ? (match[1] ?? match[2]!) : undefined;
  // The first delimiter may open the body without the leading CRLF: pretend one came before it.
  const delimiter = Buffer.from(`\r\n--${boundary ?? ''}`);
  let mode: Mode = boundary === undefined ? 'failed' : 'body';
  let carry: Buffer = Buffer.from('\r\n');
  let offset = -2; // absolute offset of carry[0] in the body
  let headerBytes: Buffer[] = [];
  let headerSize = 0;
  let settled = false;
  const fail = (error: Error) => {
    mode = 'failed';
    carry = Buffer.alloc(0);
    headerBytes = [];
    if (settled) return;
    settled = true;
    rejectEnd(error);
  };

  const scan = (chunk: Buffer) => {
    let data = chunk;
    let base = offset + carry.length;
    if (carry.length > 0) {
      // In a part's body the carried tail only matters if a delimiter straddles the two
      // chunks: check that seam instead of copying every chunk of a large photo.
      // (A chunk shorter than the tail cannot replace it: join those too.)
      const straddles =
        mode !== 'body' || chunk.length < delimiter.length - 1 || Buffer.concat([carry, chunk.subarray(0, delimiter.length - 1)]).includes(delimiter);
      if (straddles) {
        data = Buffer.concat([carry, chunk]);
        base = offset;
      }
    }
    for (;;) {
      if (mode === 'epilogue' || mode === 'failed') {
        carry = Buffer.alloc(0);
        offset = base + data.length;
        return;
      }
      if (mode === 'body') {
        const at = data.indexOf(delimiter);
        if (at < 0) {
          // Keep just enough to find a delimiter that straddles two chunks.
          const keep = Math.min(data.length, delimiter.length - 1);
          carry = Buffer.from(data.subarray(data.length - keep));
          offset = base + data.length - keep;
          return;
        }
        const next = at + delimiter.length;
        base += next;
        data = data.subarray(next);
        mode = 'after';
      }
      if (mode === 'after') {
        if (data.length < 2) {
          carry = Buffer.from(data);
          offset = base;
          return;
        }
        if (data.toString('latin1', 0, 2) === '--') {
          mode = 'epilogue';
          continue;
        }
        mode = 'headers';
        headerBytes = [];
        headerSize = 0;
        // Transport padding after the delimiter is allowed; the CRLF that ends the line is part of the header block search.
      }
      if (mode === 'headers') {
        headerBytes.push(data);
        headerSize += data.length;
        const block = Buffer.concat(headerBytes);
        const stop = block.indexOf('\r\n\r\n');
        if (stop < 0) {
          if (headerSize > MAX_HEADER_BLOCK) return fail(new MalformedMultipartError('a multipart part header is too long'));
          carry = Buffer.alloc(0);
          offset = base + data.length;
          headerBytes = [block];
          return;
        }
        const text = block.toString('latin1', 0, stop);
        const name = /\bname="([^"]*)"/i.exec(text)?.[1] ?? /\bname=([^;\s]+)/i.exec(text)?.[1] ?? '';
        const filename = /\bfilename\*?="?([^";]*)"?/i.exec(text)?.[1];
        const consumed = stop + 4 - (headerSize - data.length);
        partStarted({ name, filename });
        if (filename !== undefined && fileStart === undefined) fileStart = base + consumed;
        // `consumed` counts from the start of this chunk's slice: continue with the part's body.
        base += consumed;
        data = data.subarray(consumed);
        headerBytes = [];
        mode = 'body';
        // The CRLF before the next delimiter belongs to it: look again from here.
        carry = Buffer.alloc(0);
      }
    }
  };

  let lastByteAt = Date.now();
  const stream: Transform = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      lastByteAt = Date.now();
      scan(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      stopIdle();
      // A body that stops before its closing delimiter is cut short, however complete its file looks.
      if (mode !== 'epilogue') fail(new MalformedMultipartError('the request body ended before the closing multipart delimiter'));
      else if (!settled) {
        settled = true;
        resolveEnd(parts);
      }
      callback();
    },
    destroy(error, callback) {
      stopIdle();
      fail(new MalformedMultipartError('the request body broke off'));
      callback(error);
    },
  });

  const timer = idle
    ? setInterval(
        () => {
          // Waiting on the parser (backpressure from upstream) is not waiting on the client.
          if (stream.isPaused() || stream.writableNeedDrain) lastByteAt = Date.now();
          else if (Date.now() - lastByteAt >= idle.ms) idle.onIdle();
        },
        Math.max(25, Math.min(1000, idle.ms / 4)),
      )
    : undefined;
  timer?.unref();
  // Unpiped (the lingering close drains the rest itself): what arrives now is not ours to time.
  stream.once('unpipe', stopIdle);
  function stopIdle() {
    if (timer) clearInterval(timer);
  }

  return {
    stream,
    parts: () => parts,
    sizeHint() {
      if (fileStart === undefined || boundary === undefined || declaredLength === undefined || !Number.isSafeInteger(declaredLength) || declaredLength <= 0) return undefined;
      // The file ends where "\r\n--boundary--" begins; "\r\n" may follow that.
      const max = declaredLength - fileStart - `\r\n--${boundary}--`.length;
      return { min: max - 2, max };
    },
    ended: () => end,
    partDone,
    dispose: stopIdle,
  };
}
