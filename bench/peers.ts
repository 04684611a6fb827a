/**
 * `npm run bench -- peers`: the same GraphQL multipart create through this gateway, through
 * a raw busboy pass-through with no GraphQL (the floor, bench/peers/floor.ts) and through
 * Apollo Server 4 + graphql-upload (bench/peers/apollo.ts), interleaved in one run, against
 * a plain signed POST straight upstream (direct). 200 KB, 1 MiB and 8 MiB photos, an
 * upstream answering after 20 ms; p50 and p99, ratios to the floor and to direct; and peak
 * RSS growth of each server for 32 x 8 MiB and 50 x 20 MB concurrent uploads.
 */
import { makeJpeg } from '../test/support/images.js';
import { upstreamFromEnv } from './peers/upstream.js';
import { fmt, MB, memoryOf, percentile, pool, startEmulatorProcess, startGatewayProcess, startPeerProcess, type GatewayProcess } from './lib.js';
import { uploadThroughGateway } from './uploads.js';

type Target = 'gateway' | 'floor' | 'apollo' | 'direct';
const SERVERS = ['gateway', 'floor', 'apollo'] as const;

export interface PeersResult {
  latency: Array<{ sizeBytes: number; samples: number; p50: Record<Target, number>; p99: Record<Target, number> }>;
  rss: Array<{ uploads: number; sizeMB: number; growthMB: Record<(typeof SERVERS)[number], number> }>;
}

async function startAll(emulatorEnv: Record<string, string>, gatewayEnv: Record<string, string>) {
  const emulator = await startEmulatorProcess(emulatorEnv);
  await emulator.control('callbacks', { mode: 'suppress' });
  const servers: Record<(typeof SERVERS)[number], GatewayProcess> = {
    gateway: await startGatewayProcess(emulator, gatewayEnv),
    floor: await startPeerProcess('floor', emulator),
    apollo: await startPeerProcess('apollo', emulator),
  };
  const stop = async () => {
    for (const s of Object.values(servers)) await s.stop();
    await emulator.stop();
  };
  return { emulator, servers, stop };
}

export async function benchPeers(): Promise<PeersResult> {
  const filler = Buffer.alloc(MB, 0x55);
  const latency: PeersResult['latency'] = [];
  const { emulator, servers, stop } = await startAll({}, {});
  await emulator.control('latency', { ms: 20 });
  const direct = upstreamFromEnv({ EMULATOR_URL: emulator.url, METASTUDIO_PROJECT_ID: emulator.config.projectId, CLOUD_SDK_AK: emulator.config.ak, CLOUD_SDK_SK: emulator.config.sk });
  for (const [sizeBytes, samples] of [
    [200_000, 200],
    [MB, 200],
    [8 * MB, 50],
  ] as const) {
    const photo = makeJpeg(1280, 960, { exifBytes: 20_000, totalBytes: sizeBytes });
    const head = photo.subarray(0, 25_000);
    const rest = photo.subarray(25_000);
    const times: Record<Target, number[]> = { gateway: [], floor: [], apollo: [], direct: [] };
    // Interleaved, so every target sees the same machine; the first 10 rounds warm up.
    for (let i = 0; i < samples + 10; i++) {
      for (const target of ['direct', 'floor', 'gateway', 'apollo'] as const) {
        const name = `peer-${target}-${sizeBytes}-${i}`;
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
    const pick = (p: number) => Object.fromEntries(Object.entries(times).map(([k, v]) => [k, percentile(v, p)])) as Record<Target, number>;
    latency.push({ sizeBytes, samples, p50: pick(50), p99: pick(99) });
  }
  await stop();

  const rss: PeersResult['rss'] = [];
  for (const [uploads, sizeMB] of [
    [32, 8],
    [50, 20],
  ] as const) {
    const run = await startAll({ EMULATOR_MAX_PHOTO_BYTES: String(200 * MB) }, { MAX_UPLOAD_BYTES: String(200 * MB) });
    const big = makeJpeg(1920, 1080, { exifBytes: 10_000, totalBytes: 64 * 1024 });
    const growthMB = {} as Record<(typeof SERVERS)[number], number>;
    for (const kind of SERVERS) {
      const server = run.servers[kind];
      await uploadThroughGateway(server, `warm-${kind}`, big.subarray(0, 20_000), 2 * MB, filler);
      await new Promise((r) => setTimeout(r, 200));
      const baseline = memoryOf(server.pid).rss;
      await pool(Array.from({ length: uploads }, (_, i) => i), uploads, (i) => uploadThroughGateway(server, `rss-${kind}-${sizeMB}-${i}`, big.subarray(0, 20_000), sizeMB * MB, filler));
      growthMB[kind] = (memoryOf(server.pid).hwm - baseline) / MB;
    }
    rss.push({ uploads, sizeMB, growthMB });
    await run.stop();
  }
  return { latency, rss };
}

export function reportPeers(r: PeersResult): string[] {
  const lines: string[] = [];
  for (const l of r.latency) {
    const size = l.sizeBytes >= MB ? `${l.sizeBytes / MB} MiB` : `${l.sizeBytes / 1000} KB`;
    lines.push(`peers ${size}, ${l.samples} interleaved creates each, upstream answering in 20 ms (p50 / p99 ms; ratio to floor, to direct):`);
    for (const t of ['direct', 'floor', 'gateway', 'apollo'] as const) {
      lines.push(`    ${t.padEnd(8)} ${fmt(l.p50[t])} / ${fmt(l.p99[t])}   p50 x${fmt(l.p50[t] / l.p50.floor, 3)} floor, x${fmt(l.p50[t] / l.p50.direct, 3)} direct`);
    }
  }
  for (const m of r.rss) {
    lines.push(`peers RSS growth, ${m.uploads} concurrent ${m.sizeMB} MB uploads: ${SERVERS.map((k) => `${k} ${fmt(m.growthMB[k], 1)} MB`).join(', ')}`);
  }
  return lines;
}
