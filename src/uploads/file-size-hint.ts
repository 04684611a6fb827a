/**
 * Tells, before a byte goes upstream, how large the uploaded file is, from the request's
 * Content-Length and the exact offset where the file's data starts. busboy does not
 * expose offsets, so the raw bytes are scanned (alongside it) for the file part's header.
 * With a single file as the last part, the size is known to within the 2 optional bytes
 * after the closing delimiter; requests without Content-Length get no hint.
 */
import type { IncomingMessage } from 'node:http';

export interface FileSizeHint {
  /** Smallest size the file can have given the declared length. */
  min: number;
  max: number;
}

export interface FileStartScanner {
  hint(): FileSizeHint | undefined;
  dispose(): void;
}

const MAX_SCAN_BYTES = 4 * 1024 * 1024;

export function scanFileStart(req: IncomingMessage, contentType: string): FileStartScanner {
  const declared = Number(req.headers['content-length']);
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!Number.isSafeInteger(declared) || declared <= 0 || !boundary) return { hint: () => undefined, dispose: () => {} };
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const chunks: Buffer[] = [];
  let seen = 0;
  let fileStart: number | undefined;

  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    seen += chunk.length;
    const text = Buffer.concat(chunks).toString('latin1');
    // A part header block that names a filename ends at the first blank line after it.
    let from = 0;
    for (;;) {
      const at = text.indexOf(`${delimiter}\r\n`, from);
      if (at < 0) break;
      const end = text.indexOf('\r\n\r\n', at);
      if (end < 0) break;
      if (/filename\s*=/i.test(text.slice(at, end))) {
        fileStart = end + 4;
        return stop();
      }
      from = end;
    }
    if (seen > MAX_SCAN_BYTES) stop();
  };
  const stop = () => {
    req.off('data', onData);
    chunks.length = 0;
  };
  req.on('data', onData);

  return {
    hint() {
      if (fileStart === undefined) return undefined;
      // The file ends where "\r\n--boundary--" begins; "\r\n" may follow that.
      const max = declared - fileStart - `\r\n${delimiter}--`.length;
      return { min: max - 2, max };
    },
    dispose: stop,
  };
}
