/**
 * Tells a photo's format from its first bytes and reads its dimensions from the header,
 * with image-size doing the header parsing. Pure: it looks at a buffer and says
 * whether it has enough, needs more, or can already refuse the photo.
 */
import { imageSize } from 'image-size';

export type PhotoFormat = 'jpeg' | 'png';

export type HeaderVerdict =
  | { kind: 'ok'; format: PhotoFormat; width: number; height: number }
  | { kind: 'need-more'; format: PhotoFormat | undefined }
  | { kind: 'invalid'; reason: string };

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
/** PNG signature (8) + IHDR length and type (8) + width and height (8). */
const PNG_HEADER_BYTES = 24;

export const MAX_LONG_SIDE = 3840;
export const MAX_SHORT_SIDE = 2160;

export const MIME_TYPES: Readonly<Record<PhotoFormat, string>> = { jpeg: 'image/jpeg', png: 'image/png' };

function startsWith(buffer: Uint8Array, magic: Buffer): boolean | undefined {
  const n = Math.min(buffer.length, magic.length);
  for (let i = 0; i < n; i++) if (buffer[i] !== magic[i]) return false;
  return buffer.length >= magic.length ? true : undefined;
}

/** jpeg/png by magic number; undefined while too few bytes have arrived to tell. */
export function detectFormat(buffer: Uint8Array): PhotoFormat | 'unknown' | undefined {
  const png = startsWith(buffer, PNG_MAGIC);
  const jpeg = startsWith(buffer, JPEG_MAGIC);
  if (png) return 'png';
  if (jpeg) return 'jpeg';
  if (png === false && jpeg === false) return 'unknown';
  return undefined;
}

/**
 * @param buffer the photo's first bytes, as many as have arrived
 * @param complete true when `buffer` is the whole file
 */
export function inspectHeader(buffer: Uint8Array, complete: boolean): HeaderVerdict {
  if (buffer.length === 0) return complete ? { kind: 'invalid', reason: 'The photo is empty' } : { kind: 'need-more', format: undefined };
  const format = detectFormat(buffer);
  if (format === 'unknown') {
    return { kind: 'invalid', reason: 'The photo is not a JPEG or PNG image (checked by its content, not its name or type)' };
  }
  if (format === undefined) {
    return complete
      ? { kind: 'invalid', reason: `The photo is only ${buffer.length} bytes long: too short to be a JPEG or PNG image` }
      : { kind: 'need-more', format };
  }
  if (format === 'png' && buffer.length < PNG_HEADER_BYTES) {
    return complete ? truncated(format) : { kind: 'need-more', format };
  }
  if (format === 'png' && Buffer.from(buffer.subarray(12, 16)).toString('latin1') !== 'IHDR') {
    return { kind: 'invalid', reason: 'The photo is not a valid PNG image: its first chunk is not IHDR' };
  }
  let size: { width: number; height: number };
  try {
    size = imageSize(buffer);
  } catch {
    // image-size cannot tell "cut short" from "corrupt"; more bytes decide.
    return complete ? truncated(format) : { kind: 'need-more', format };
  }
  if (!(size.width > 0 && size.height > 0)) {
    return { kind: 'invalid', reason: `The photo's ${label(format)} header declares no valid dimensions` };
  }
  return { kind: 'ok', format, width: size.width, height: size.height };
}

function label(format: PhotoFormat): string {
  return format === 'png' ? 'PNG' : 'JPEG';
}

function truncated(format: PhotoFormat): HeaderVerdict {
  return { kind: 'invalid', reason: `The photo is truncated: its ${label(format)} header ends before the image dimensions` };
}

/** Either orientation: 3840x2160 and 2160x3840 both pass. */
export function checkDimensions(width: number, height: number): string | undefined {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  if (long > MAX_LONG_SIDE || short > MAX_SHORT_SIDE) {
    return `The photo is ${width}x${height} pixels; the largest allowed is ${MAX_LONG_SIDE}x${MAX_SHORT_SIDE} (either orientation)`;
  }
  return undefined;
}
