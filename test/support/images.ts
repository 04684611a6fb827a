/** Real image headers built in memory: PNG (valid CRCs) and baseline JPEG (SOF0 behind optional EXIF). */
import { crc32 } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A PNG header for width x height, padded with an ancillary chunk to `totalBytes` if given. */
export function makePng(width: number, height: number, totalBytes = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const head = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)]);
  const end = chunk('IEND', Buffer.alloc(0));
  const pad = Math.max(0, totalBytes - head.length - end.length - 12);
  return Buffer.concat([head, pad > 0 ? chunk('tEXt', Buffer.alloc(pad, 0x61)) : Buffer.alloc(0), end]);
}

/** A JPEG: SOI, `exifBytes` of APP1 segments, SOF0 with the dimensions, then filler up to `totalBytes`. */
export function makeJpeg(width: number, height: number, options: { exifBytes?: number; totalBytes?: number } = {}): Buffer {
  // SOI, then an APP0 JFIF segment as every common encoder writes.
  const parts: Buffer[] = [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00])];
  let left = options.exifBytes ?? 0;
  while (left > 0) {
    const n = Math.min(left, 65533);
    const seg = Buffer.alloc(n + 4, 0x20);
    seg[0] = 0xff;
    seg[1] = 0xe1;
    seg.writeUInt16BE(n + 2, 2);
    parts.push(seg);
    left -= n;
  }
  parts.push(Buffer.from([0xff, 0xc0, 0, 17, 8, height >> 8, height & 255, width >> 8, width & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]));
  const head = Buffer.concat(parts);
  const eoi = Buffer.from([0xff, 0xd9]);
  const pad = Math.max(0, (options.totalBytes ?? 0) - head.length - eoi.length);
  return Buffer.concat([head, Buffer.alloc(pad, 0x55), eoi]);
}
