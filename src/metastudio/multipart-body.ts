/**
 * Frames a multipart/form-data body around a file stream of unknown length, so the body
 * goes out chunked and is never held whole. Written by hand (RFC 7578 is a few lines of
 * framing) rather than with an encoder: chunks pass through untouched, with no copy and no
 * re-chunking, whatever their size or offset into their buffer.
 */
import { randomBytes } from 'node:crypto';

export interface StreamedFile {
  name: string;
  type: string;
  stream: AsyncIterable<Uint8Array>;
}

export interface MultipartBody {
  contentType: string;
  body: AsyncIterable<Uint8Array>;
}

/** Quotes a name for a Content-Disposition parameter, as browsers do (RFC 7578 section 4.2). */
function quoted(value: string): string {
  return `"${value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22')}"`;
}

/** Text fields first, then the file, in the order the NODE SDK appends them. */
export function encodeMultipart(fields: Array<[string, string]>, fileField: string, file: StreamedFile): MultipartBody {
  const boundary = `----metastudio-gateway-${randomBytes(16).toString('hex')}`;
  let head = '';
  for (const [name, value] of fields) head += `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(name)}\r\n\r\n${value}\r\n`;
  head += `--${boundary}\r\nContent-Disposition: form-data; name=${quoted(fileField)}; filename=${quoted(file.name)}\r\nContent-Type: ${file.type}\r\n\r\n`;
  const preamble = Buffer.from(head, 'utf8');
  const closing = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: (async function* () {
      yield preamble;
      yield* file.stream;
      yield closing;
    })(),
  };
}
