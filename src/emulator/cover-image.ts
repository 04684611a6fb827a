/**
 * The picture the emulator serves as every model's cover and thumbnail: a real PNG (a
 * 256x256 gradient with a round "head"), made once in memory, so the demo page shows a
 * cover with no internet access.
 */
import { crc32, deflateSync } from 'node:zlib';

const SIZE = 256;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

let cached: Buffer | undefined;

export function coverImage(): Buffer {
  if (cached) return cached;
  const rows = Buffer.alloc(SIZE * (1 + SIZE * 3));
  for (let y = 0; y < SIZE; y++) {
    const row = y * (1 + SIZE * 3);
    for (let x = 0; x < SIZE; x++) {
      const inHead = (x - 128) ** 2 + (y - 100) ** 2 < 55 ** 2 || ((x - 128) ** 2) / 90 ** 2 + ((y - 256) ** 2) / 95 ** 2 < 1;
      const at = row + 1 + x * 3;
      rows[at] = inHead ? 250 : 40 + (x >> 2);
      rows[at + 1] = inHead ? 214 : 60 + (y >> 2);
      rows[at + 2] = inHead ? 180 : 140;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour RGB
  cached = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
  return cached;
}
