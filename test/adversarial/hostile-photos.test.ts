/**
 * Finding 3 (high): a fake JPEG (FF D8 FF E0 + 1 MiB of zeros) cost seconds of CPU, because
 * the header was re-parsed from the start every 512 bytes up to 1 MiB. Judging is now a
 * walk over segment markers that stops at the first impossible one: the fake is refused at
 * its sixth byte, reading only the chunk it came in, and nothing goes upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectHeader, MAX_JPEG_SEGMENTS_BEFORE_FRAME } from '../../src/uploads/image-header.js';
import { inspectPhoto } from '../../src/uploads/photo-stream.js';
import { startHarness, type Harness } from '../support/harness.js';
import { makeJpeg } from '../support/images.js';
import { uploadPhoto } from '../support/multipart.js';

const MiB = 1024 * 1024;
const FAKE_JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(MiB)]);
const COMMENT_FLOOD = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(4096 * 4, Buffer.from([0xff, 0xfe, 0x00, 0x02])), makeJpeg(10, 10).subarray(2)]);

/** Feeds `file` in 64 KiB chunks and counts how many bytes the judge pulled before it answered. */
async function judge(file: Buffer): Promise<{ outcome: string; bytesPulled: number }> {
  let bytesPulled = 0;
  async function* chunks() {
    for (let at = 0; at < file.length; at += 64 * 1024) {
      const chunk = file.subarray(at, at + 64 * 1024);
      bytesPulled += chunk.length;
      yield chunk;
    }
  }
  const outcome = await inspectPhoto(chunks(), { maxBytes: 10 * MiB }).then(
    (photo) => `${photo.format} ${photo.width}x${photo.height}`,
    (error: Error) => error.message,
  );
  return { outcome, bytesPulled };
}

describe('the photo judge does bounded work on hostile headers', () => {
  it('FF D8 FF E0 + 1 MiB of zeros is refused from its first chunk', async () => {
    const { outcome, bytesPulled } = await judge(FAKE_JPEG);
    expect(outcome).toMatch(/not a valid JPEG image: a segment declares a length of 0/);
    expect(bytesPulled).toBe(64 * 1024);
  });

  it(`more than ${MAX_JPEG_SEGMENTS_BEFORE_FRAME} segments before the frame header is refused, not walked to the end`, async () => {
    const { outcome, bytesPulled } = await judge(COMMENT_FLOOD);
    expect(outcome).toMatch(/more than 256 segments/);
    expect(bytesPulled).toBe(COMMENT_FLOOD.length); // one chunk: its valid frame header behind the flood was never needed
  });

  it('segments whose lengths skip a whole megabyte end at the header cap, each skipped in one step', async () => {
    const skipping = Buffer.concat([Buffer.from([0xff, 0xd8]), ...Array.from({ length: 17 }, () => Buffer.concat([Buffer.from([0xff, 0xe1, 0xff, 0xff]), Buffer.alloc(0xffff - 2)]))]);
    const { outcome, bytesPulled } = await judge(skipping);
    expect(outcome).toMatch(/truncated|No image dimensions/);
    expect(bytesPulled).toBeLessThanOrEqual(MiB + 64 * 1024);
  });

  it.each([
    ['image data before any frame header', Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 0, 0, 0, 0, 0, 0]), /image data begins before any frame header/],
    ['a byte that is no marker', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0, 0x12, 0x34]), /no segment marker at byte 8/],
    ['a second SOI', Buffer.from([0xff, 0xd8, 0xff, 0xd8, 0, 0]), /unexpected marker 0xFFD8/],
    ['a run of fill bytes', Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(100, 0xff)]), /fill bytes/],
    ['a frame header with height 0', Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0, 0, 0, 10, 3]), /declares no valid dimensions/],
  ])('%s is refused', (_name, buffer, reason) => {
    const verdict = inspectHeader(buffer, false);
    expect(verdict.kind).toBe('invalid');
    expect(verdict.kind === 'invalid' && verdict.reason).toMatch(reason);
  });

  it('real photos still pass: fill bytes and restart markers before the frame, 200 KiB of EXIF', () => {
    const withFill = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xff, 0xff, 0xd0]), makeJpeg(640, 480).subarray(2)]);
    expect(inspectHeader(withFill, false)).toEqual({ kind: 'ok', format: 'jpeg', width: 640, height: 480 });
    expect(inspectHeader(makeJpeg(3840, 2160, { exifBytes: 200 * 1024 }), false)).toEqual({ kind: 'ok', format: 'jpeg', width: 3840, height: 2160 });
    expect(inspectHeader(makeJpeg(3840, 2160, { exifBytes: 200 * 1024 }).subarray(0, 100 * 1024), false)).toEqual({ kind: 'need-more', format: 'jpeg' });
  });
});

describe('through a live gateway', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the fake JPEG is an MssError 400 and costs nothing upstream; /health answers meanwhile', async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => uploadPhoto(h.url, { file: FAKE_JPEG, type: 'image/jpeg', filename: 'x.jpg' })));
    for (const answer of answers) {
      expect(answer.body.data.createPictureModelingJob).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003', httpStatus: 400 });
    }
    expect((await fetch(`${h.url}/health`)).status).toBe(200);
    expect(h.emulator.calls).toEqual([]);
  });
});
