/**
 * `npm run bench -- uploads`: the same GraphQL multipart create through this gateway,
 * through a raw node:http + busboy pass-through with no GraphQL (the floor,
 * bench/peers/floor.ts) and through Apollo Server 4 + graphql-upload (bench/peers/apollo.ts),
 * interleaved in one run, against a plain signed POST straight upstream (direct; not the
 * project's own client). 200 KB, 1 MiB and 8 MiB photos, an upstream answering after 20 ms;
 * p50 and p99, ratios to the floor and to direct, repeated `--runs=N` times (default 5).
 * Then peak RSS growth of each server for 32 x 8 MiB and 50 x 20 MB concurrent uploads (as
 * many times), and the gateway's aggregate throughput for 10 x 100 MB.
 *
 * `npm run bench -- peers` measures only the peak RSS growth, beside the floor's and Apollo's.
 *
 * BENCH_SIZES (bytes, comma-separated), BENCH_SAMPLES and BENCH_LATENCY_ONLY=1 narrow it
 * while working on one figure.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { makeJpeg } from '../test/support/images.js';
import { upstreamFromEnv } from './peers/upstream.js';
import { cpuTimeOf, fmt, MB, memoryOf, percentile, pool, resetPeakMemory, startEmulatorProcess, startGatewayProcess, startPeerProcess, type GatewayProcess } from './lib.js';

type Target = 'direct' | 'floor' | 'gateway' | 'apollo';
const TARGETS = ['direct', 'floor', 'gateway', 'apollo'] as const;
const SERVERS = ['gateway', 'floor', 'apollo'] as const;
type Server = (typeof SERVERS)[number];
const UPSTREAM_LATENCY_MS = 20;


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

/** One create through a GraphQL server; returns its latency in ms. */
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

interface LatencyRun {
  sizeBytes: number;
  samples: number;
  p50: Record<Target, number>;
  p99: Record<Target, number>;
  /** Each server's CPU time (user + system, all threads) per create. */
  cpuMs: Record<Server, number>;
}

export interface UploadBenchResult {
  upstreamLatencyMs: number;
  /** runs[r] holds one interleaved sweep over every size. */
  runs: LatencyRun[][];
  /** Peak RSS growth of each server, one value per run. */
  rss: Array<{ uploads: number; sizeMB: number; growthMB: Record<Server, number[]> }>;
  throughput: { uploads: number; sizeMB: number; seconds: number; mbPerSecond: number } | undefined;
}

/**
 * The jobs made here never end (the emulator's job duration is an hour), so the poller's
 * pass would re-read thousands of them every 30 s in the middle of the measured creates,
 * loading the gateway and the emulator alike: this benchmark is about the create path,
 * which the peers have without any poller, so the gateway's is off.
 */
const NO_POLLING = { POLL_INTERVAL_MS: '86400000' };

async function startAll(emulatorEnv: Record<string, string>, gatewayEnv: Record<string, string>) {
  const emulator = await startEmulatorProcess(emulatorEnv);
  await emulator.control('callbacks', { mode: 'suppress' });
  const servers: Record<Server, GatewayProcess> = {
    gateway: await startGatewayProcess(emulator, { ...NO_POLLING, ...gatewayEnv }),
    floor: await startPeerProcess('floor', emulator),
    apollo: await startPeerProcess('apollo', emulator),
  };
  const stop = async () => {
    for (const s of Object.values(servers)) await s.stop();
    await emulator.stop();
  };
  return { emulator, servers, stop };
}

const SIZES: Array<readonly [number, number]> = [
  [200_000, 200],
  [MB, 200],
  [8 * MB, 50],
];

function sizesFromEnv(): Array<readonly [number, number]> {
  const samples = process.env['BENCH_SAMPLES'] ? Number(process.env['BENCH_SAMPLES']) : undefined;
  const sizes = process.env['BENCH_SIZES'] ? process.env['BENCH_SIZES'].split(',').map(Number) : undefined;
  return SIZES.filter(([size]) => !sizes || sizes.includes(size))
    .concat((sizes ?? []).filter((s) => !SIZES.some(([size]) => size === s)).map((s) => [s, 100] as const))
    .map(([size, n]) => [size, samples ?? n] as const);
}

async function latencyRun(servers: Record<Server, GatewayProcess>, direct: ReturnType<typeof upstreamFromEnv>, run: number): Promise<LatencyRun[]> {
  const out: LatencyRun[] = [];
  for (const [sizeBytes, samples] of sizesFromEnv()) {
    const photo = makeJpeg(1280, 960, { exifBytes: 20_000, totalBytes: sizeBytes });
    const head = photo.subarray(0, 25_000);
    const rest = photo.subarray(25_000);
    const times: Record<Target, number[]> = { direct: [], floor: [], gateway: [], apollo: [] };
    const cpu0 = Object.fromEntries(SERVERS.map((k) => [k, cpuTimeOf(servers[k].pid)]));
    // Interleaved, so every target sees the same machine; the first 10 rounds warm up.
    for (let i = 0; i < samples + 10; i++) {
      for (const target of TARGETS) {
        const name = `r${run}-${target}-${sizeBytes}-${i}`;
        let ms: number;
        if (target === 'direct') {
          const started = performance.now();
          await direct.create(name, (async function* () { yield photo; })());
          ms = performance.now() - started;
        } else {
          ms = await uploadThroughGateway(servers[target], name, head, photo.length, rest);
        }
        if (i >= 10) times[target].push(ms);
      }
    }
    const cpuMs = Object.fromEntries(SERVERS.map((k) => [k, (cpuTimeOf(servers[k].pid) - cpu0[k]!) / (samples + 10)])) as Record<Server, number>;
    const pick = (p: number) => Object.fromEntries(TARGETS.map((t) => [t, percentile(times[t], p)])) as Record<Target, number>;
    out.push({ sizeBytes, samples, p50: pick(50), p99: pick(99), cpuMs });
  }
  return out;
}

export async function benchUploads(options: { runs?: number | undefined; memoryOnly?: boolean } = {}): Promise<UploadBenchResult> {
  const runCount = options.runs ?? 5;
  const filler = Buffer.alloc(MB, 0x55);
  const runs: LatencyRun[][] = [];
  if (!options.memoryOnly) {
    const { emulator, servers, stop } = await startAll({}, {});
    await emulator.control('latency', { ms: UPSTREAM_LATENCY_MS });
    const direct = upstreamFromEnv({ EMULATOR_URL: emulator.url, METASTUDIO_PROJECT_ID: emulator.config.projectId, CLOUD_SDK_AK: emulator.config.ak, CLOUD_SDK_SK: emulator.config.sk });
    for (let r = 0; r < runCount; r++) runs.push(await latencyRun(servers, direct, r));
    await stop();
  }
  if (process.env['BENCH_LATENCY_ONLY']) return { upstreamLatencyMs: UPSTREAM_LATENCY_MS, runs, rss: [], throughput: undefined };

  // Peak RSS growth, each of the `runCount` times with fresh processes.
  const rss: UploadBenchResult['rss'] = [];
  // Memory alone also compares photo sizes at one concurrency: growth should follow the uploads in flight, not their size.
  const loads: ReadonlyArray<readonly [number, number]> = options.memoryOnly
    ? [
        [32, 8],
        [32, 20],
        [50, 20],
      ]
    : [
        [32, 8],
        [50, 20],
      ];
  for (const [uploads, sizeMB] of loads) {
    const growthMB = Object.fromEntries(SERVERS.map((k) => [k, [] as number[]])) as Record<Server, number[]>;
    for (let r = 0; r < runCount; r++) {
      const run = await startAll({ EMULATOR_MAX_PHOTO_BYTES: String(200 * MB) }, { MAX_UPLOAD_BYTES: String(200 * MB) });
      const big = makeJpeg(1920, 1080, { exifBytes: 10_000, totalBytes: 64 * 1024 });
      for (const kind of SERVERS) {
        const server = run.servers[kind];
        // Warm up (JIT, pools), then take the baseline.
        await uploadThroughGateway(server, `warm-${kind}`, big.subarray(0, 20_000), 2 * MB, filler);
        await new Promise((resolve) => setTimeout(resolve, 200));
        // The peak so far is start-up's (compiling, loading): only the load's own counts.
        resetPeakMemory(server.pid);
        const baseline = memoryOf(server.pid).rss;
        await pool(Array.from({ length: uploads }, (_, i) => i), uploads, (i) => uploadThroughGateway(server, `rss-${kind}-${sizeMB}-${i}`, big.subarray(0, 20_000), sizeMB * MB, filler));
        growthMB[kind].push((memoryOf(server.pid).hwm - baseline) / MB);
      }
      await run.stop();
    }
    rss.push({ uploads, sizeMB, growthMB });
  }
  if (options.memoryOnly) return { upstreamLatencyMs: UPSTREAM_LATENCY_MS, runs, rss, throughput: undefined };

  // Aggregate throughput of the gateway alone.
  const emulator = await startEmulatorProcess({ EMULATOR_MAX_PHOTO_BYTES: String(200 * MB) });
  await emulator.control('callbacks', { mode: 'suppress' });
  const gateway = await startGatewayProcess(emulator, { ...NO_POLLING, MAX_UPLOAD_BYTES: String(200 * MB) });
  const big = makeJpeg(1920, 1080, { exifBytes: 10_000, totalBytes: 64 * 1024 });
  await uploadThroughGateway(gateway, 'warm', big.subarray(0, 20_000), 2 * MB, filler);
  const started = performance.now();
  await pool(Array.from({ length: 10 }, (_, i) => i), 10, (i) => uploadThroughGateway(gateway, `big-${i}`, big.subarray(0, 20_000), 100 * MB, filler));
  const seconds = (performance.now() - started) / 1000;
  await gateway.stop();
  await emulator.stop();
  return { upstreamLatencyMs: UPSTREAM_LATENCY_MS, runs, rss, throughput: { uploads: 10, sizeMB: 100, seconds, mbPerSecond: 1000 / seconds } };
}

const median = (values: number[]) => percentile(values, 50);
const sizeName = (bytes: number) => (bytes >= MB ? `${bytes / MB} MiB` : `${bytes / 1000} KB`);

export function reportUploads(r: UploadBenchResult): string[] {
  const lines: string[] = [];
  const sizes = r.runs[0]?.map((l) => l.sizeBytes) ?? [];
  sizes.forEach((sizeBytes, s) => {
    const runs = r.runs.map((run) => run[s]!);
    lines.push(`uploads ${sizeName(sizeBytes)}, ${runs[0]!.samples} interleaved creates per target per run, upstream answering in ${r.upstreamLatencyMs} ms, ${runs.length} run(s):`);
    for (const t of TARGETS) {
      const toFloor = runs.map((l) => l.p50[t] / l.p50.floor);
      const toDirect = runs.map((l) => l.p50[t] / l.p50.direct);
      lines.push(
        `    ${t.padEnd(8)} p50 ms ${runs.map((l) => fmt(l.p50[t])).join(' ')} | p99 ms ${runs.map((l) => fmt(l.p99[t])).join(' ')}` +
          ` | p50 x floor ${toFloor.map((x) => fmt(x, 3)).join(' ')} (median ${fmt(median(toFloor), 3)})` +
          ` | x direct ${toDirect.map((x) => fmt(x, 3)).join(' ')} (median ${fmt(median(toDirect), 3)})`,
      );
    }
    lines.push(`    server CPU per create (user + system, all threads), ms: ${SERVERS.map((k) => `${k} ${runs.map((l) => fmt(l.cpuMs[k])).join(' ')}`).join(' | ')}`);
  });
  for (const m of r.rss) {
    lines.push(`uploads peak RSS growth, ${m.uploads} concurrent ${m.sizeMB} MB uploads, MB per run: ${SERVERS.map((k) => `${k} ${m.growthMB[k].map((g) => fmt(g, 1)).join(' ')} (median ${fmt(median(m.growthMB[k]), 1)})`).join(' | ')}`);
  }
  const t = r.throughput;
  if (t) lines.push(`uploads throughput, ${t.uploads} concurrent ${t.sizeMB} MB uploads through the gateway: ${fmt(t.seconds)} s, ${fmt(t.mbPerSecond, 1)} MB/s aggregate`);
  return lines;
}
