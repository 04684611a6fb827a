/**
 * Watches the raw bytes of a multipart upload beside busboy, in one linear pass: which
 * parts arrive (busboy, through graphql-upload-minimal, silently drops fields beyond
 * `operations` and `map`), and where the file's data starts, which with Content-Length
 * tells the file's size before a byte of it goes upstream.
 */
import type { IncomingMessage } from 'node:http';
import { listenToBody } from '../http/body-events.js';

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
  /** Parts whose headers have arrived so far. */
  parts(): readonly PartInfo[];
  sizeHint(): FileSizeHint | undefined;
  /** Resolves with every part once the body has ended; rejects if the body broke off. */
  ended(): Promise<readonly PartInfo[]>;
  /**
   * Resolves once part `index` is over: the next part's headers have arrived, or the body
   * has ended; rejects if the body broke off first.
   */
  partDone(index: number): Promise<void>;
  dispose(): void;
}

/** A part's header block longer than this is not something a client sends. */
const MAX_HEADER_BLOCK = 16 * 1024;

export class MalformedMultipartError extends Error {
  override readonly name = 'MalformedMultipartError';
}

export function watchMultipart(req: IncomingMessage, contentType: string): MultipartGuard {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const declared = Number(req.headers['content-length']);
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
  if (!match) return { parts: () => parts, sizeHint: () => undefined, ended: () => end, partDone, dispose: () => {} };

  const boundary = match[1] ?? match[2]!;
  // The first delimiter may open the body without the leading CRLF: pretend one came before it.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  let mode: 'body' | 'after' | 'headers' | 'epilogue' = 'body';
  let carry: Buffer = Buffer.from('\r\n');
  let offset = -2; // absolute offset of carry[0] in the body
  let headerBytes: Buffer[] = [];
  let headerSize = 0;

  const onData = (chunk: Buffer) => {
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
      if (mode === 'epilogue') {
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
        const two = data.toString('latin1', 0, 2);
        if (two === '--') {
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
  const onEnd = () => {
    // A body that stops before its closing delimiter is cut short, however complete its file looks.
    if (mode !== 'epilogue') return fail(new MalformedMultipartError('the request body ended before the closing multipart delimiter'));
    dispose();
    resolveEnd(parts);
  };
  const onClose = () => {
    if (!req.readableEnded) fail(new MalformedMultipartError('the request body broke off'));
  };
  const fail = (error: Error) => {
    dispose();
    rejectEnd(error);
  };
  const dispose = listenToBody(req, { data: onData, end: onEnd, close: onClose });

  return {
    parts: () => parts,
    sizeHint() {
      if (fileStart === undefined || !Number.isSafeInteger(declared) || declared <= 0) return undefined;
      // The file ends where "\r\n--boundary--" begins; "\r\n" may follow that.
      const max = declared - fileStart - `\r\n--${boundary}--`.length;
      return { min: max - 2, max };
    },
    ended: () => end,
    partDone,
    dispose,
  };
}
