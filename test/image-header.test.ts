import { describe, expect, it } from 'vitest';
import { checkDimensions, detectFormat, inspectHeader } from '../src/uploads/image-header.js';
import { inspectPhoto } from '../src/uploads/photo-stream.js';
import { MetaStudioError } from '../src/errors.js';
import { makeJpeg, makePng } from './support/images.js';

async function* chunks(buffer: Buffer, size: number) {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of body) n += c.length;
  return n;
}

describe('image header checks', () => {
  it('tells jpeg and png by magic number, and waits for enough bytes', () => {
    expect(detectFormat(makePng(1, 1))).toBe('png');
    expect(detectFormat(makeJpeg(1, 1))).toBe('jpeg');
    expect(detectFormat(Buffer.from([0x89, 0x50]))).toBeUndefined();
    expect(detectFormat(Buffer.from('GIF89a'))).toBe('unknown');
    expect(detectFormat(Buffer.from([0xff, 0xd8, 0x00]))).toBe('unknown');
  });

  it('reads PNG IHDR and JPEG SOF dimensions', () => {
    expect(inspectHeader(makePng(3840, 2160), true)).toEqual({ kind: 'ok', format: 'png', width: 3840, height: 2160 });
    expect(inspectHeader(makeJpeg(2160, 3840, { totalBytes: 500 }), true)).toEqual({ kind: 'ok', format: 'jpeg', width: 2160, height: 3840 });
  });

  it('finds the JPEG SOF behind 300 KB of EXIF', () => {
    const jpeg = makeJpeg(1920, 1080, { exifBytes: 300_000 });
    expect(inspectHeader(jpeg.subarray(0, 200_000), false)).toEqual({ kind: 'need-more', format: 'jpeg' });
    expect(inspectHeader(jpeg, true)).toMatchObject({ kind: 'ok', width: 1920, height: 1080 });
  });

  it('names what is wrong', () => {
    expect(inspectHeader(Buffer.alloc(0), true)).toMatchObject({ kind: 'invalid', reason: 'The photo is empty' });
    expect(inspectHeader(makePng(10, 10).subarray(0, 20), true)).toMatchObject({ reason: expect.stringMatching(/truncated.*PNG/) });
    expect(inspectHeader(makeJpeg(10, 10, { exifBytes: 5000 }).subarray(0, 3000), true)).toMatchObject({ reason: expect.stringMatching(/truncated.*JPEG/) });
    const notIhdr = makePng(10, 10);
    notIhdr.write('IDAT', 12, 'latin1');
    expect(inspectHeader(notIhdr, true)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/IHDR/) });
  });

  it('allows 3840x2160 in either orientation and nothing larger', () => {
    expect(checkDimensions(3840, 2160)).toBeUndefined();
    expect(checkDimensions(2160, 3840)).toBeUndefined();
    expect(checkDimensions(3841, 2160)).toMatch(/3841x2160/);
    expect(checkDimensions(2161, 3840)).toMatch(/2161x3840/);
    expect(checkDimensions(3000, 3000)).toMatch(/3000x3000/);
  });
});

describe('inspectPhoto streams what it read plus the rest', () => {
  it('passes every byte through, in order, whatever the chunking', async () => {
    const jpeg = makeJpeg(800, 600, { exifBytes: 100_000, totalBytes: 400_000 });
    for (const size of [1, 7, 1000, 65536]) {
      const source = size === 1 ? chunks(jpeg.subarray(0, 120_000), 1) : chunks(jpeg, size);
      const photo = await inspectPhoto(source, { maxBytes: 1_000_000 });
      expect(photo).toMatchObject({ format: 'jpeg', width: 800, height: 600 });
      const parts: Buffer[] = [];
      for await (const c of photo.body) parts.push(Buffer.from(c));
      const expected = size === 1 ? jpeg.subarray(0, 120_000) : jpeg;
      expect(Buffer.concat(parts).equals(expected)).toBe(true);
    }
  });

  it('fails the stream once it outgrows the limit', async () => {
    const photo = await inspectPhoto(chunks(makePng(10, 10, 50_000), 4096), { maxBytes: 20_000 });
    await expect(drain(photo.body)).rejects.toThrow(MetaStudioError);
  });

  it('fails when busboy reports a truncated file', async () => {
    const source = Object.assign(chunks(makePng(10, 10, 5000), 1024), { truncated: true });
    const photo = await inspectPhoto(source, { maxBytes: 1_000_000 });
    await expect(drain(photo.body)).rejects.toThrow(/larger than/);
  });

  it('gives up looking for dimensions after the header cap', async () => {
    await expect(inspectPhoto(chunks(makeJpeg(10, 10, { exifBytes: 200_000 }), 8192), { maxBytes: 1_000_000, headerCap: 64 * 1024 })).rejects.toThrow(
      /No image dimensions were found in the first 65536 bytes/,
    );
  });
});

describe('arbitrary bytes never crash the header check', () => {
  it('answers ok, need-more or invalid for 2,000 random and mutated inputs', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const seeds = [makePng(100, 80), makeJpeg(120, 90, { exifBytes: 300, totalBytes: 900 })];
    for (let i = 0; i < 2000; i++) {
      const base = i % 3 === 2 ? Buffer.alloc(Math.floor(random() * 600)) : Buffer.from(seeds[i % 2]!);
      for (let j = 0; j < base.length; j++) if (i % 3 === 2 || random() < 0.02) base[j] = Math.floor(random() * 256);
      const cut = base.subarray(0, Math.floor(random() * (base.length + 1)));
      for (const complete of [false, true]) {
        const verdict = inspectHeader(cut, complete);
        expect(['ok', 'need-more', 'invalid']).toContain(verdict.kind);
        if (complete) expect(verdict.kind).not.toBe('need-more');
        if (verdict.kind === 'ok') expect(verdict.width > 0 && verdict.height > 0).toBe(true);
      }
    }
  });
});
