/**
 * Upload benchmarks (issue 3): latency through the gateway vs straight to the upstream,
 * peak RSS growth of the gateway while large uploads stream through, and throughput.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { createMetaStudioClient } from '../src/metastudio/client.js';
import { makeJpeg } from '../test/support/images.js';
import { compareToBaseline, fmt, MB, memoryOf, pool, startEmulatorProcess, startGatewayProcess, type Comparison, type GatewayProcess } from './lib.js';

const BOUNDARY = 'bench-boundary-5b1f0c';
// Only what the create itself returns: selecting `job` would add an upstream read.
const CREATE_MUTATION = `mutation Create($input: CreatePictureModelingJobInput!) {
  createPictureModelingJob(input: $input) { __typename ... on PictureModelingJobCreated { jobId modelAssetId requestId } ... on MssError { errorCode errorMsg } }
}`;

/** A multipart request per the GraphQL multipart spec whose file is `size` bytes, streamed from one shared buffer. */
function multipartUpload(name: string, head: Buffer, size: number, filler: Buffer) {
  const operations = JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_male_001', name } } });
  const pre = Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const post = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  async function* body(): AsyncGenerator<Buffer> {
    yield pre;
    yield head;
    let left = size - head.length;
    while (left > 0) {
      const n = Math.min(left, filler.length);
      yield filler.subarray(0, n);
      left -= n;
    }
    yield post;
  }
  return { body: body(), length: pre.length + size + post.length };
}

export async function uploadThroughGateway(gw: Pick<GatewayProcess, 'url'>, name: string, head: Buffer, size: number, filler: Buffer): Promise<number> {
  const { body, length } = multipartUpload(name, head, size, filler);
  const started = performance.now();
  const res = await request(`${gw.url}/graphql`, {
    method: 'POST',
    // Both CSRF headers: the gateway takes either, Apollo Server only its own.
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(length), 'x-graphql-yoga-csrf': '1', 'apollo-require-preflight': '1' },
    body: Readable.from(body),
  });
  const json = (await res.body.json()) as any;
  const elapsed = performance.now() - started;
  if (json.data?.createPictureModelingJob?.__typename !== 'PictureModelingJobCreated') {
    throw new Error(`upload failed: ${JSON.stringify(json).slice(0, 300)}`);
  }
  return elapsed;
}

export interface UploadBenchResult {
  /** Through the gateway, against the same POST straight to the upstream. */
  latency: { samples: number; upstreamLatencyMs: number } & Comparison;
  rss: Array<{ uploads: number; sizeMB: number; baselineMB: number; peakMB: number; growthMB: number }>;
  throughput: { uploads: number; sizeMB: number; seconds: number; mbPerSecond: number };
}

export async function benchUploads(options: { samples?: number } = {}): Promise<UploadBenchResult> {
  const samples = options.samples ?? Number(process.env.BENCH_SAMPLES ?? 200);
  const filler = Buffer.alloc(MB, 0x55);

  // (a) latency: the same signed multipart bytes, through the gateway and straight to the emulator.
  const latencyEmulator = await startEmulatorProcess();
  await latencyEmulator.control('callbacks', { mode: 'suppress' });
  const upstreamLatencyMs = Number(process.env['BENCH_UPSTREAM_LATENCY_MS'] ?? 20);
  await latencyEmulator.control('latency', { ms: upstreamLatencyMs });
  const gw = await startGatewayProcess(latencyEmulator);
  const photo = makeJpeg(1280, 960, { exifBytes: 20_000, totalBytes: 200_000 });
  const direct = createMetaStudioClient({
    endpoint: latencyEmulator.url,
    projectId: latencyEmulator.config.projectId,
    credentials: { ak: latencyEmulator.config.ak, sk: latencyEmulator.config.sk },
    timeoutMs: 30_000,
  });
  const head = photo.subarray(0, 25_000);
  const viaGateway: number[] = [];
  const straight: number[] = [];
  // Interleaved, so both see the same machine load.
  for (let i = 0; i < samples + 20; i++) {
    const g = await uploadThroughGateway(gw, `lat-g-${i}`, head, photo.length, photo.subarray(25_000));
    const t = performance.now();
    await direct.createPictureModelingJob({
      file: { name: 'photo.jpg', type: 'image/jpeg', stream: (async function* () { yield photo; })() },
      styleId: 'system_male_001',
      name: `lat-d-${i}`,
    });
    const d = performance.now() - t;
    if (i >= 20) {
      viaGateway.push(g);
      straight.push(d);
    }
  }
  await direct.close();
  await gw.stop();
  await latencyEmulator.stop();
  const latency = { samples, upstreamLatencyMs, ...compareToBaseline(viaGateway, straight) };

  if (process.env['BENCH_LATENCY_ONLY']) return { latency, rss: [], throughput: { uploads: 0, sizeMB: 0, seconds: 0, mbPerSecond: 0 } };

  // (b) peak RSS growth while large uploads stream through; (c) aggregate throughput.
  const rss: UploadBenchResult['rss'] = [];
  const big = makeJpeg(1920, 1080, { exifBytes: 10_000, totalBytes: 64 * 1024 });
  const bigHead = big.subarray(0, 20_000);
  let throughput: UploadBenchResult['throughput'] | undefined;
  for (const [count, sizeMB, concurrency] of [
    [50, 20, 50],
    [5, 100, 5],
    [10, 100, 10],
  ] as const) {
    const emulator = await startEmulatorProcess({ EMULATOR_MAX_PHOTO_BYTES: String(200 * MB) });
    await emulator.control('callbacks', { mode: 'suppress' });
    const gateway = await startGatewayProcess(emulator, { MAX_UPLOAD_BYTES: String(200 * MB) });
    // Warm up (JIT, pools), then take the baseline.
    await uploadThroughGateway(gateway, 'warm', bigHead, 2 * MB, filler);
    await new Promise((r) => setTimeout(r, 200));
    const baseline = memoryOf(gateway.pid).rss;
    const started = performance.now();
    await pool(
      Array.from({ length: count }, (_, i) => i),
      concurrency,
      (i) => uploadThroughGateway(gateway, `big-${sizeMB}-${i}`, bigHead, sizeMB * MB, filler),
    );
    const seconds = (performance.now() - started) / 1000;
    const peak = memoryOf(gateway.pid).hwm;
    if (count === 10) {
      throughput = { uploads: count, sizeMB, seconds, mbPerSecond: (count * sizeMB) / seconds };
    } else {
      rss.push({ uploads: count, sizeMB, baselineMB: baseline / MB, peakMB: peak / MB, growthMB: (peak - baseline) / MB });
    }
    await gateway.stop();
    await emulator.stop();
  }
  return { latency, rss, throughput: throughput! };
}

export function reportUploads(r: UploadBenchResult): string[] {
  const l = r.latency;
  const lines = [
    `uploads (a) latency, ${l.samples} creates of a 200 KB JPEG, upstream answering in ${l.upstreamLatencyMs} ms:`,
    `    through gateway p50 ${fmt(l.p50)} ms  p99 ${fmt(l.p99)} ms; straight to upstream p50 ${fmt(l.baselineP50)} ms  p99 ${fmt(l.baselineP99)} ms`,
    `    ratio p50 ${fmt(l.p50Ratio, 3)}  p99 ${fmt(l.p99Ratio, 3)}`,
  ];
  for (const m of r.rss) {
    lines.push(`uploads (b) ${m.uploads} concurrent ${m.sizeMB} MB uploads: gateway RSS ${fmt(m.baselineMB, 1)} MB -> peak ${fmt(m.peakMB, 1)} MB, growth ${fmt(m.growthMB, 1)} MB`);
  }
  if (r.rss.length === 2) lines.push(`    growth ratio 100 MB files / 20 MB files: ${fmt(r.rss[1]!.growthMB / r.rss[0]!.growthMB, 3)}`);
  const t = r.throughput;
  // BENCH_LATENCY_ONLY runs measure no throughput.
  if (t.uploads > 0) lines.push(`uploads (c) ${t.uploads} concurrent ${t.sizeMB} MB uploads: ${fmt(t.seconds)} s, ${fmt(t.mbPerSecond, 1)} MB/s aggregate`);
  return lines;
}
