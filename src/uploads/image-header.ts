/**
 * Tells a photo's format from its first bytes and reads its dimensions from the header:
 * PNG through image-size (fixed offsets), JPEG by walking its segment markers here. Pure:
 * it looks at a buffer and says whether it has enough, needs more, or can already refuse
 * the photo. The work is linear in the markers, never in the bytes they skip, and bounded.
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
  if (format === 'jpeg') return inspectJpeg(buffer, complete);
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

/** More segments than this before the frame header is not a photo (cameras write a handful). */
export const MAX_JPEG_SEGMENTS_BEFORE_FRAME = 256;

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC): the markers that carry the dimensions. */
const isFrameMarker = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
/** TEM and RST0-RST7 stand alone (no length). */
const isStandalone = (marker: number) => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

/**
 * Walks a JPEG's segments from SOI to the frame header (SOFn), jumping over each segment's
 * payload by its declared length, so a megabyte of zeros after `FF D8 FF E0` is refused at
 * its sixth byte (a segment length under 2) instead of being scanned.
 */
function inspectJpeg(buffer: Uint8Array, complete: boolean): HeaderVerdict {
  const needMore = (): HeaderVerdict => (complete ? truncated('jpeg') : { kind: 'need-more', format: 'jpeg' });
  const invalid = (why: string): HeaderVerdict => ({ kind: 'invalid', reason: `The photo is not a valid JPEG image: ${why}` });
  let at = 2; // after SOI
  for (let segments = 0; ; segments++) {
    if (segments > MAX_JPEG_SEGMENTS_BEFORE_FRAME) return invalid(`more than ${MAX_JPEG_SEGMENTS_BEFORE_FRAME} segments before its frame header`);
    if (at >= buffer.length) return needMore();
    if (buffer[at] !== 0xff) return invalid(`no segment marker at byte ${at}`);
    // 0xFF fill bytes may precede a marker; a photo has a few at most.
    const fillStart = at;
    while (at < buffer.length && buffer[at] === 0xff) {
      at++;
      if (at - fillStart > 64) return invalid('a run of fill bytes instead of a marker');
    }
    if (at >= buffer.length) return needMore();
    const marker = buffer[at]!;
    at++;
    if (marker === 0x00 || marker === 0xd8) return invalid(`an unexpected marker 0xFF${marker.toString(16).toUpperCase().padStart(2, '0')}`);
    if (isStandalone(marker)) continue;
    if (marker === 0xd9 || marker === 0xda) return invalid('the image data begins before any frame header');
    if (at + 2 > buffer.length) return needMore();
    const length = (buffer[at]! << 8) | buffer[at + 1]!;
    if (length < 2) return invalid(`a segment declares a length of ${length}`);
    if (isFrameMarker(marker)) {
      // length(2) precision(1) height(2) width(2)
      if (length < 8) return invalid('its frame header is too short');
      if (at + 7 > buffer.length) return needMore();
      const height = (buffer[at + 3]! << 8) | buffer[at + 4]!;
      const width = (buffer[at + 5]! << 8) | buffer[at + 6]!;
      if (!(width > 0 && height > 0)) return { kind: 'invalid', reason: "The photo's JPEG header declares no valid dimensions" };
      return { kind: 'ok', format: 'jpeg', width, height };
    }
    at += length;
  }
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
