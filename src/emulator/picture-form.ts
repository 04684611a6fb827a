/**
 * The multipart body of CreatePictureModelingJob as the emulator reads it: fields, and the
 * photo judged by the emulator's own rules (photo.ts) and hashed as it streams past.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { headerOf, invalid, type Reply } from './http.js';
import { judgePhoto, PHOTO_HEAD_BYTES, type PhotoVerdict } from './photo.js';

export interface PictureForm {
  /** SHA-256 of the file as received, so tests can prove the bytes arrived unchanged. */
  sha256: string;
  styleId: string;
  name: string;
  notifyUrl: string | undefined;
  photoBytes: number;
  width: number;
  height: number;
  filename: string | undefined;
}

/** Parses the multipart create body, judging the photo by its header and byte count as it streams past. */
export function readPictureForm(req: IncomingMessage, raw: Buffer | undefined, maxBytes: number): Promise<PictureForm> {
  const contentType = headerOf(req, 'content-type') ?? '';
  if (!contentType.startsWith('multipart/form-data')) return Promise.reject(invalid('Invalid body: expected multipart/form-data', 'MSS.00000002'));
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let photo: { bytes: number; verdict: PhotoVerdict; filename: string | undefined; sha256: string } | undefined;
    let failure: Reply | undefined;
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes + 1, files: 1, fields: 10, fieldSize: 64 * 1024 } });
    } catch {
      reject(invalid('Invalid body: malformed multipart', 'MSS.00000002'));
      return;
    }
    parser.on('field', (name, value) => fields.set(name, value));
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        return;
      }
      const head: Buffer[] = [];
      let headBytes = 0;
      let bytes = 0;
      const hash = createHash('sha256');
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
        if (headBytes < PHOTO_HEAD_BYTES) {
          head.push(chunk);
          headBytes += chunk.length;
        }
      });
      stream.on('end', () => {
        photo = { bytes: stream.truncated ? maxBytes + 1 : bytes, verdict: judgePhoto(Buffer.concat(head)), filename: info.filename, sha256: hash.digest('hex') };
      });
    });
    parser.on('filesLimit', () => {
      failure ??= invalid('Invalid parameter: only one file is accepted');
    });
    parser.on('error', () => reject(invalid('Invalid body: malformed multipart', 'MSS.00000002')));
    parser.on('close', () => {
      if (failure) return reject(failure);
      const styleId = fields.get('style_id');
      const name = fields.get('name');
      if (!photo) return reject(invalid('缺少文件: the file field is required', 'MSS.45000001'));
      if (!styleId) return reject(invalid('Invalid parameter: style_id is required'));
      if (!name) return reject(invalid('Invalid parameter: name is required'));
      if (photo.bytes > maxBytes) return reject(invalid(`Asset file too large, please do not exceed ${maxBytes} bytes`, 'MSS.10001007'));
      if (!photo.verdict.ok) return reject(invalid(`Invalid parameter: ${photo.verdict.reason}; only jpg/jpeg/png up to 3840x2160 are accepted`));
      resolve({
        sha256: photo.sha256,
        styleId,
        name,
        notifyUrl: fields.get('notify_url'),
        photoBytes: photo.bytes,
        width: photo.verdict.width,
        height: photo.verdict.height,
        filename: photo.filename,
      });
    });
    if (raw) parser.end(raw);
    else req.pipe(parser);
  });
}

