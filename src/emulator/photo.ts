/**
 * The emulator's own judgement of a photo, independent of the gateway's: jpg or png by
 * content (image-size reads the header), at most 3840x2160 either way round.
 */
import { imageSize } from 'image-size';

/** How much of the photo is kept for judging: JPEG's SOF may sit behind a large EXIF block. */
export const PHOTO_HEAD_BYTES = 2 * 1024 * 1024;
const LONG_SIDE = 3840;
const SHORT_SIDE = 2160;

export type PhotoVerdict = { ok: true; format: 'jpg' | 'png'; width: number; height: number } | { ok: false; reason: string };

export function judgePhoto(head: Buffer): PhotoVerdict {
  if (head.length === 0) return { ok: false, reason: 'the photo is empty' };
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(head);
  } catch {
    return { ok: false, reason: 'the photo is not a readable jpg/jpeg/png image' };
  }
  if (size.type !== 'jpg' && size.type !== 'png') return { ok: false, reason: `the photo is ${size.type ?? 'of an unknown type'}, not jpg/jpeg/png` };
  const { width, height } = size;
  if (!width || !height) return { ok: false, reason: 'the photo has no dimensions' };
  if (Math.max(width, height) > LONG_SIDE || Math.min(width, height) > SHORT_SIDE) {
    return { ok: false, reason: `the photo is ${width}x${height}, larger than ${LONG_SIDE}x${SHORT_SIDE}` };
  }
  return { ok: true, format: size.type, width, height };
}
