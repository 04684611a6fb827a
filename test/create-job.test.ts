import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEmulator } from '../src/emulator/create-emulator.js';
import { makeJpeg, makePng } from './support/images.js';
import { CREATE_MUTATION, encodeParts, postRaw, uploadPhoto, uploadThenDisconnect } from './support/multipart.js';
import { startHarness, waitFor, type Harness, UNFELT_LIMITS } from './support/harness.js';

let h: Harness;
const MAX = 200_000;

beforeAll(async () => {
  h = await startHarness({ env: { MAX_UPLOAD_BYTES: String(MAX), UPSTREAM_TIMEOUT_MS: '400' } });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => h.emulator.reset());

const result = (body: any) => body.data.createPictureModelingJob;

describe('createPictureModelingJob', () => {
  it('streams a PNG upstream and returns PictureModelingJobCreated with the upstream request id', async () => {
    const { status, body } = await uploadPhoto(h.url, { file: makePng(1024, 768, 5000), input: { appUserId: 'user-7', name: 'first-model' } });
    expect(status).toBe(200);
    const created = result(body);
    expect(created.__typename).toBe('PictureModelingJobCreated');
    expect(created.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(created.job).toMatchObject({ jobId: created.jobId, name: 'first-model', styleId: 'system_female_001' });
    const call = h.emulator.calls.find((c) => c.operation === 'CreatePictureModelingJob')!;
    expect(call).toMatchObject({ status: 200, appUserId: 'user-7' });
    expect(call.body).toMatchObject({ width: 1024, height: 768, photoBytes: 5000, name: 'first-model' });
    // notify_url points back at this gateway with a signed token.
    expect((call.body as { notifyUrl: string }).notifyUrl).toMatch(new RegExp(`^${h.url}/callbacks/picture-modeling/[A-Za-z0-9_-]{24}\\.[0-9a-z]+\\.[A-Za-z0-9_-]{43}$`));
  });

  it('judges the photo by its bytes: a JPEG named .png with a wrong type is sent as image/jpeg', async () => {
    const { body } = await uploadPhoto(h.url, { file: makeJpeg(2160, 3840, { exifBytes: 150_000, totalBytes: 190_000 }), filename: 'x.png', type: 'text/plain' });
    expect(result(body).__typename).toBe('PictureModelingJobCreated');
    const call = h.emulator.calls.find((c) => c.operation === 'CreatePictureModelingJob')!;
    expect(call.body).toMatchObject({ width: 2160, height: 3840, filename: 'photo.jpg', photoBytes: 190_000 });
  });

  it('delivers the photo upstream byte for byte, large EXIF header included', async () => {
    const big = await startHarness({ env: { MAX_UPLOAD_BYTES: String(8 * 1024 * 1024) }, sharedEmulator: h.emulator });
    try {
      const photo = makeJpeg(3000, 2000, { exifBytes: 300_000, totalBytes: 3_000_000 });
      for (let i = 0; i < photo.length; i += 997) photo[i] = i % 251;
      // Keep the JPEG markers intact: only the filler after the header was varied.
      const header = makeJpeg(3000, 2000, { exifBytes: 300_000 });
      header.subarray(0, header.length - 2).copy(photo);
      const { body } = await uploadPhoto(big.url, { file: photo, filename: 'big.jpg', type: 'image/jpeg' });
      expect(result(body).__typename).toBe('PictureModelingJobCreated');
      const call = h.emulator.calls.find((c) => c.operation === 'CreatePictureModelingJob')!;
      expect(call.body).toMatchObject({ photoBytes: photo.length, sha256: createHash('sha256').update(photo).digest('hex') });
    } finally {
      await big.close();
    }
  });

  describe('a batched request with one upload variable per operation', () => {
    const op = (name: string) => ({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_male_001', name } } });
    const batch = (photos: Buffer[], names: string[], extra: Array<{ name: string; value: Buffer; filename: string; type: string }> = []) =>
      encodeParts([
        { name: 'operations', value: JSON.stringify(names.map(op)) },
        { name: 'map', value: JSON.stringify(Object.fromEntries(photos.map((_, i) => [String(i), [`${i}.variables.input.file`]]))) },
        ...photos.map((photo, i) => ({ name: String(i), value: photo, filename: `p${i}.jpg`, type: 'image/jpeg' })),
        ...extra,
      ]);
    const creates = () => h.emulator.calls.filter((c) => c.operation === 'CreatePictureModelingJob' && c.status === 200);

    it('each file goes upstream with its own operation, byte for byte', async () => {
      const photos = [makeJpeg(1200, 900, { totalBytes: 150_000 }), makePng(640, 480, 90_000), makeJpeg(800, 600, { totalBytes: 60_000 })];
      for (const [i, photo] of photos.entries()) for (let j = 2000 + i; j < photo.length - 10; j += 1009) photo[j] = (j * 7) % 251;
      const { body, contentType } = batch(photos, ['batch-a', 'batch-b', 'batch-c']);
      const res = await postRaw(h.url, body, { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' });
      expect(res.status).toBe(200);
      expect(res.body.map((r: any) => result(r).__typename)).toEqual(['PictureModelingJobCreated', 'PictureModelingJobCreated', 'PictureModelingJobCreated']);
      const byName = new Map(creates().map((c) => [(c.body as { name: string }).name, c.body as { photoBytes: number; sha256: string }]));
      photos.forEach((photo, i) => {
        expect(byName.get(['batch-a', 'batch-b', 'batch-c'][i]!)).toMatchObject({ photoBytes: photo.length, sha256: createHash('sha256').update(photo).digest('hex') });
      });
    });

    it('a refused photo fails its own operation only, however large (it is read past, not left to stall the rest)', async () => {
      const notAPhoto = Buffer.alloc(300_000, 'not a photo at all, just text ');
      const { body, contentType } = batch([notAPhoto, makeJpeg(1200, 900, { totalBytes: 50_000 })], ['batch-bad', 'batch-good']);
      const res = await postRaw(h.url, body, { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' });
      expect(res.status).toBe(200);
      expect(result(res.body[0])).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003' });
      expect(result(res.body[1]).__typename).toBe('PictureModelingJobCreated');
      expect(creates().map((c) => (c.body as { name: string }).name)).toEqual(['batch-good']);
    });

    it('an operation refused before it reads its file (a bad name) does not hold up the others', async () => {
      const { body, contentType } = batch([makeJpeg(1200, 900, { totalBytes: 50_000 }), makeJpeg(1200, 900, { totalBytes: 50_000 })], ['batch-first', '   ']);
      const res = await postRaw(h.url, body, { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' });
      expect(result(res.body[0]).__typename).toBe('PictureModelingJobCreated');
      expect(result(res.body[1])).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003' });
      expect(creates().map((c) => (c.body as { name: string }).name)).toEqual(['batch-first']);
    });

    it('an operation that fails validation leaves its file unread, and the others still go through', async () => {
      const photos = [makeJpeg(1200, 900, { totalBytes: 150_000 }), makeJpeg(1200, 900, { totalBytes: 150_000 })];
      const broken = { query: 'mutation($input: CreatePictureModelingJobInput!) { createPictureModelingJob(input: $input) { noSuchField } }', variables: { input: { file: null, styleId: 'system_male_001', name: 'batch-invalid' } } };
      const { body, contentType } = encodeParts([
        { name: 'operations', value: JSON.stringify([op('batch-valid'), broken]) },
        { name: 'map', value: JSON.stringify({ 0: ['0.variables.input.file'], 1: ['1.variables.input.file'] }) },
        { name: '0', value: photos[0]!, filename: 'p0.jpg', type: 'image/jpeg' },
        { name: '1', value: photos[1]!, filename: 'p1.jpg', type: 'image/jpeg' },
      ]);
      const res = await postRaw(h.url, body, { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' });
      expect(result(res.body[0]).__typename).toBe('PictureModelingJobCreated');
      expect(res.body[1].errors[0].message).toMatch(/noSuchField/);
      expect(creates().map((c) => (c.body as { name: string }).name)).toEqual(['batch-valid']);
    });

    it('a file beyond the mapped ones fails every operation, and nothing is created', async () => {
      const extra = { name: '9', value: makePng(8, 8), filename: 'x.png', type: 'image/png' };
      const { body, contentType } = batch([makeJpeg(1200, 900, { totalBytes: 50_000 }), makeJpeg(1200, 900, { totalBytes: 50_000 })], ['batch-x', 'batch-y'], [extra]);
      const res = await postRaw(h.url, body, { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' });
      expect(res.body).toHaveLength(2);
      for (const one of res.body) {
        expect(one.errors[0]).toMatchObject({ message: expect.stringMatching(/only the operations, the map and the mapped file/), extensions: { code: 'BAD_REQUEST' } });
      }
      expect(creates()).toHaveLength(0);
    });

    it('one operation with two upload variables: its fields run in series, each file goes up with its own', async () => {
      const photos = [makeJpeg(1200, 900, { totalBytes: 120_000 }), makeJpeg(900, 1200, { totalBytes: 80_000 })];
      const query = `mutation($a: Upload!, $b: Upload!) {
        a: createPictureModelingJob(input: { file: $a, styleId: "system_male_001", name: "serial-a" }) { __typename }
        b: createPictureModelingJob(input: { file: $b, styleId: "system_male_001", name: "serial-b" }) { __typename }
      }`;
      const { body, contentType } = encodeParts([
        { name: 'operations', value: JSON.stringify({ query, variables: { a: null, b: null } }) },
        { name: 'map', value: JSON.stringify({ 0: ['variables.a'], 1: ['variables.b'] }) },
        { name: '0', value: photos[0]!, filename: 'a.jpg', type: 'image/jpeg' },
        { name: '1', value: photos[1]!, filename: 'b.jpg', type: 'image/jpeg' },
      ]);
      const res = await postRaw(h.url, body, { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ a: { __typename: 'PictureModelingJobCreated' }, b: { __typename: 'PictureModelingJobCreated' } });
      expect(creates().map((c) => [(c.body as { name: string }).name, (c.body as { photoBytes: number }).photoBytes])).toEqual([
        ['serial-a', photos[0]!.length],
        ['serial-b', photos[1]!.length],
      ]);
    });
  });

  it('accepts exactly MAX_UPLOAD_BYTES', async () => {
    const { body } = await uploadPhoto(h.url, { file: makePng(100, 100, MAX) });
    expect(result(body).__typename).toBe('PictureModelingJobCreated');
  });
});

describe('refused photos: MssError MSS.00000003 from the gateway, no upstream call', () => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['not jpg/png by content (GIF)', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;'), /not a JPEG or PNG/],
    ['text with a .png name', Buffer.from('hello, this is not an image at all'), /not a JPEG or PNG/],
    ['empty', Buffer.alloc(0), /empty/],
    ['truncated before the dimensions (JPEG)', makeJpeg(800, 600, { exifBytes: 20_000 }).subarray(0, 10_000), /truncated/],
    ['truncated before the dimensions (PNG)', makePng(800, 600).subarray(0, 20), /truncated/],
    ['over 3840x2160 (width)', makePng(3841, 2160), /3841x2160.*3840x2160/],
    ['over 2160 on the short side', makeJpeg(3840, 2161), /3840x2161/],
    ['over 3840 in portrait', makePng(2160, 3841), /2160x3841/],
    ['over MAX_UPLOAD_BYTES', makePng(100, 100, MAX + 1), /larger than the 200000-byte limit/],
    ['far over MAX_UPLOAD_BYTES', makeJpeg(100, 100, { totalBytes: MAX * 5 }), /larger than the 200000-byte limit/],
  ];
  for (const [label, file, message] of cases) {
    it(label, async () => {
      const { status, body } = await uploadPhoto(h.url, { file, filename: 'photo.png', type: 'image/png' });
      expect(status).toBe(200);
      expect(result(body)).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003', httpStatus: 400, origin: 'GATEWAY', requestId: null });
      expect(result(body).errorMsg).toMatch(message);
      expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(0);
    });
  }

  const fieldCases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['empty styleId', { styleId: '  ' }, /styleId is required/],
    ['empty name', { name: '' }, /name is required/],
    ['name too long', { name: 'n'.repeat(65) }, /at most 64/],
    ['non-ASCII appUserId', { appUserId: '用户一' }, /ASCII/],
    ['notifyUrl not a URL', { notifyUrl: 'not a url' }, /absolute http/],
  ];
  for (const [label, input, message] of fieldCases) {
    it(label, async () => {
      const { body } = await uploadPhoto(h.url, { file: makePng(10, 10), input });
      expect(result(body)).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003', httpStatus: 400, origin: 'GATEWAY' });
      expect(result(body).errorMsg).toMatch(message);
      expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(0);
    });
  }

  it('a notifyUrl on a private address is refused unless RELAY_ALLOW_PRIVATE', async () => {
    const strict = await startHarness({ env: { RELAY_ALLOW_PRIVATE: 'false' }, sharedEmulator: h.emulator });
    try {
      const { body } = await uploadPhoto(strict.url, { file: makePng(10, 10), input: { notifyUrl: 'http://10.1.2.3/hook' } });
      expect(result(body)).toMatchObject({ errorCode: 'MSS.00000003', origin: 'GATEWAY' });
      expect(result(body).errorMsg).toMatch(/private/);
    } finally {
      await strict.close();
    }
  });
});

describe('upstream errors and faults become MssError', () => {
  for (const [status, code, msg] of [
    [400, 'MSS.10001005', 'Asset name already exists'],
    [401, 'MSS.00000001', 'Unauthorized'],
    [403, 'MSS.00000005', 'Forbidden'],
    [500, 'MSS.00000004', 'Internal Error'],
  ] as const) {
    it(`upstream ${status} ${code}`, async () => {
      h.emulator.addFault({ operation: 'CreatePictureModelingJob', status, body: { error_code: code, error_msg: msg } });
      const { body } = await uploadPhoto(h.url, { file: makePng(64, 64) });
      expect(result(body)).toMatchObject({ __typename: 'MssError', errorCode: code, errorMsg: msg, httpStatus: status, origin: 'UPSTREAM' });
      expect(result(body).requestId).toMatch(/^[0-9a-f]{32}$/);
    });
  }

  it('a duplicate name, from the emulator itself', async () => {
    await uploadPhoto(h.url, { file: makePng(64, 64), input: { name: 'same-name' } });
    const { body } = await uploadPhoto(h.url, { file: makePng(64, 64), input: { name: 'same-name' } });
    expect(result(body)).toMatchObject({ errorCode: 'MSS.10001005', httpStatus: 400, origin: 'UPSTREAM' });
  });

  it('an HTML error page -> GATEWAY.BAD_UPSTREAM_RESPONSE', async () => {
    h.emulator.addFault({ operation: 'CreatePictureModelingJob', status: 502, body: '<html>oops</html>' });
    const { body } = await uploadPhoto(h.url, { file: makePng(64, 64) });
    expect(result(body)).toMatchObject({ errorCode: 'GATEWAY.BAD_UPSTREAM_RESPONSE', httpStatus: 502, origin: 'GATEWAY' });
  });

  it('a timeout -> GATEWAY.UPSTREAM_TIMEOUT (504)', async () => {
    h.emulator.addFault({ operation: 'CreatePictureModelingJob', delayMs: 1500 });
    const { body } = await uploadPhoto(h.url, { file: makePng(64, 64) });
    expect(result(body)).toMatchObject({ errorCode: 'GATEWAY.UPSTREAM_TIMEOUT', httpStatus: 504, origin: 'GATEWAY' });
  });

  it('a refused connection -> GATEWAY.UPSTREAM_UNAVAILABLE (502)', async () => {
    const gone = await createEmulator({ rateLimits: UNFELT_LIMITS });
    const down = await startHarness({ sharedEmulator: gone });
    await gone.close();
    try {
      const { body } = await uploadPhoto(down.url, { file: makePng(64, 64) });
      expect(result(body)).toMatchObject({ errorCode: 'GATEWAY.UPSTREAM_UNAVAILABLE', httpStatus: 502, origin: 'GATEWAY' });
    } finally {
      await down.close();
    }
  });

  it('a dropped connection -> GATEWAY.UPSTREAM_UNAVAILABLE, not retried', async () => {
    h.emulator.addFault({ operation: 'CreatePictureModelingJob', drop: true });
    const { body } = await uploadPhoto(h.url, { file: makePng(64, 64) });
    expect(result(body)).toMatchObject({ errorCode: 'GATEWAY.UPSTREAM_UNAVAILABLE', origin: 'GATEWAY' });
    expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(1);
  });
});

describe('HTTP behaviour of multipart requests', () => {
  const ops = JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_male_001', name: 'raw' } } });
  const map = JSON.stringify({ 0: ['variables.input.file'] });
  const png = makePng(32, 32);

  it('403 without x-graphql-yoga-csrf or apollo-require-preflight', async () => {
    const { body, contentType } = encodeParts([
      { name: 'operations', value: ops },
      { name: 'map', value: map },
      { name: '0', value: png, filename: 'a.png', type: 'image/png' },
    ]);
    const res = await postRaw(h.url, body, { 'content-type': contentType });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].message).toMatch(/x-graphql-yoga-csrf/);
    const ok = await postRaw(h.url, body, { 'content-type': contentType, 'apollo-require-preflight': 'true' });
    expect(ok.status).toBe(200);
    expect(ok.body.data.createPictureModelingJob.__typename).toBe('PictureModelingJobCreated');
  });

  const malformed: Array<[string, Parameters<typeof encodeParts>[0]]> = [
    ['missing operations', [{ name: 'map', value: map }, { name: '0', value: png, filename: 'a.png' }]],
    ['missing map', [{ name: 'operations', value: ops }, { name: '0', value: png, filename: 'a.png' }]],
    ['bad JSON in operations', [{ name: 'operations', value: '{nope' }, { name: 'map', value: map }, { name: '0', value: png, filename: 'a.png' }]],
    ['bad JSON in map', [{ name: 'operations', value: ops }, { name: 'map', value: '[[' }, { name: '0', value: png, filename: 'a.png' }]],
    ['map to a missing file', [{ name: 'operations', value: ops }, { name: 'map', value: map }]],
  ];
  for (const [label, parts] of malformed) {
    it(`400 with a GraphQL error: ${label}`, async () => {
      const { body, contentType } = encodeParts(parts);
      const res = await postRaw(h.url, body, { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' });
      expect(res.status).toBe(400);
      expect(res.body.errors?.[0]?.message).toEqual(expect.any(String));
      expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(0);
    });
  }

  it('an operations field over the field-size limit is a 413', async () => {
    const huge = JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 's', name: 'n' }, pad: 'x'.repeat(1_100_000) } });
    const { body, contentType } = encodeParts([
      { name: 'operations', value: huge },
      { name: 'map', value: map },
      { name: '0', value: png, filename: 'a.png' },
    ]);
    const res = await postRaw(h.url, body, { 'content-type': contentType, 'x-graphql-yoga-csrf': '1' });
    expect(res.status).toBe(413);
    expect(res.body.errors[0].message).toMatch(/size limit/);
  });

  it('a multipart content type without a boundary is a 400', async () => {
    const res = await postRaw(h.url, Buffer.from('whatever'), { 'content-type': 'multipart/form-data', 'x-graphql-yoga-csrf': '1' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toEqual(expect.any(String));
  });

  it('a broken multipart body (no closing boundary) is a 400, not a hang', async () => {
    const res = await postRaw(h.url, Buffer.from('--b\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}'), {
      'content-type': 'multipart/form-data; boundary=b',
      'x-graphql-yoga-csrf': '1',
    });
    expect(res.status).toBe(400);
  });

  it('a client that disconnects mid-upload aborts the upstream request and leaks nothing', async () => {
    const sockets = () => h.emulator.countReceived('CreatePictureModelingJob');
    const failedUploads = async () => {
      const text = await (await fetch(`${h.url}/metrics`)).text();
      return [...text.matchAll(/^gateway_uploads_total\{result="(?:upstream_error|error|refused)"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const failedBefore = await failedUploads();
    const big = makeJpeg(1000, 800, { totalBytes: 150_000 });
    // Dropped once the upstream call has started (header judged); it is then aborted: no job is created.
    await uploadThenDisconnect(h.url, big, 60_000, 'disconnect-model', () => sockets() === 1);
    // The upstream request was aborted, not left hanging. The emulator creates a job only
    // from a whole form, which a closed request can no longer bring: nothing to wait for.
    await waitFor(() => h.emulator.inFlight() === 0);
    const listed = await h.gateway.services.client.listPictureModelingJobs({ limit: 100 });
    expect(listed.data.picture_modeling_jobs.some((j) => j.name === 'disconnect-model')).toBe(false);
    // Its own create only: the timeout test's create, answered 1.5 s late, can land in this one's window.
    expect(h.emulator.calls.filter((c) => c.operation === 'CreatePictureModelingJob' && c.status === 200 && (c.body as { name?: string }).name === 'disconnect-model')).toHaveLength(0);
    // The gateway still serves, and its open connections drained.
    const after = await uploadPhoto(h.url, { file: makePng(16, 16) });
    expect(result(after.body).__typename).toBe('PictureModelingJobCreated');
    // The aborted upload settled as a failure instead of hanging.
    await waitFor(async () => (await failedUploads()) === failedBefore + 1);
  });
});

describe('GraphQL over HTTP conformance', () => {
  it('graphql-http audit passes with no errors', async () => {
    const results = await auditServer({ url: `${h.url}/graphql` });
    const failures = results.filter((r) => r.status === 'error');
    expect(failures.map((f) => `${f.id} ${f.name}: ${'reason' in f ? f.reason : ''}`)).toEqual([]);
  });

  it('a chunked JSON body (no Content-Length) over the limit is 413', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    const res = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < big.length; i += 65536) controller.enqueue(new TextEncoder().encode(big.slice(i, i + 65536)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  it('a JSON body over the limit is 413', async () => {
    const res = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).errors[0].message).toMatch(/too large/);
  });
});

describe('notify relay target check uses a real receiver', () => {
  it('a job with a public-looking notifyUrl is accepted and stored', async () => {
    const hook = createServer((_req, res) => res.end());
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const notifyUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const { body } = await uploadPhoto(h.url, { file: makePng(10, 10), input: { notifyUrl } });
    const stored = await h.gateway.services.store.getJob(result(body).jobId);
    expect(stored?.notifyUrl).toBe(notifyUrl);
    await new Promise<void>((r) => hook.close(() => r()));
  });
});
