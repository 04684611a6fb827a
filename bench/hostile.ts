/**
 * `npm run bench -- hostile`: gateway CPU per hostile upload, measured from /proc on the
 * gateway process. Each kind is sent sequentially (one at a time, so the figure is the
 * request's own cost) against a baseline of the same size refused at its first byte (not
 * an image at all); the difference is what judging the photo's header costs. /health is
 * timed while the hostile requests run.
 */
import { inspectPhoto } from '../src/uploads/photo-stream.js';
import { CREATE_MUTATION } from '../test/support/multipart.js';
import { cpuTimeOf, fmt, percentile, startEmulatorProcess, startGatewayProcess } from './lib.js';

const MiB = 1024 * 1024;

export interface HostileResult {
  requests: number;
  /** CPU ms per request, by kind (baseline included). */
  cpuMsPerRequest: Record<string, number>;
  /** Over the baseline: what judging the header costs. */
  extraCpuMsPerRequest: Record<string, number>;
  healthP99Ms: number;
  /** Judging alone, in this process: inspectPhoto over the fake JPEG arriving in 64 KiB chunks (median of 20). */
  judgeFakeJpegMs: number;
}

async function judgeOnce(file: Buffer): Promise<number> {
  async function* chunks() {
    for (let at = 0; at < file.length; at += 64 * 1024) yield file.subarray(at, at + 64 * 1024);
  }
  const started = performance.now();
  await inspectPhoto(chunks(), { maxBytes: 10 * MiB }).catch(() => {});
  return performance.now() - started;
}

function body(kind: string): Buffer {
  switch (kind) {
    case 'baseline (GIF bytes, refused at byte 0)':
      return Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(MiB)]);
    case 'fake JPEG: FF D8 FF E0 + 1 MiB of zeros':
      return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(MiB)]);
    case 'JPEG of 4,096 empty comment segments':
      return Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(4096 * 4, Buffer.from([0xff, 0xfe, 0x00, 0x02])), Buffer.alloc(MiB - 4096 * 4)]);
    case 'JPEG whose APP segments skip 1 MiB (no frame header)':
      return Buffer.concat([Buffer.from([0xff, 0xd8]), ...Array.from({ length: 17 }, () => Buffer.concat([Buffer.from([0xff, 0xe1, 0xff, 0xff]), Buffer.alloc(0xffff - 2)]))]);
    default:
      throw new Error(kind);
  }
}

async function upload(url: string, file: Buffer, i: number): Promise<void> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_female_001', name: `hostile-${i}` } } }));
  form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.append('0', new Blob([new Uint8Array(file)], { type: 'image/jpeg' }), 'x.jpg');
  const res = await fetch(`${url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1' } });
  const text = await res.text();
  if (!text.includes('MssError')) throw new Error(`a hostile upload was not refused: ${text.slice(0, 200)}`);
}

export async function benchHostile(requests = 40): Promise<HostileResult> {
  const judged: number[] = [];
  for (let i = 0; i < 20; i++) judged.push(await judgeOnce(body('fake JPEG: FF D8 FF E0 + 1 MiB of zeros')));
  const emulator = await startEmulatorProcess();
  const gw = await startGatewayProcess(emulator);
  const kinds = [
    'baseline (GIF bytes, refused at byte 0)',
    'fake JPEG: FF D8 FF E0 + 1 MiB of zeros',
    'JPEG of 4,096 empty comment segments',
    'JPEG whose APP segments skip 1 MiB (no frame header)',
  ];
  const cpuMsPerRequest: Record<string, number> = {};
  const health: number[] = [];
  let sending = true;
  const probe = (async () => {
    while (sending) {
      const started = performance.now();
      await fetch(`${gw.url}/health`);
      health.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    for (let i = 0; i < 5; i++) await upload(gw.url, body(kinds[0]!), -i); // warm-up
    for (const kind of kinds) {
      const file = body(kind);
      const before = cpuTimeOf(gw.pid);
      for (let i = 0; i < requests; i++) await upload(gw.url, file, i);
      cpuMsPerRequest[kind] = (cpuTimeOf(gw.pid) - before) / requests;
    }
  } finally {
    sending = false;
    await probe;
    await gw.stop();
    await emulator.stop();
  }
  const baseline = cpuMsPerRequest[kinds[0]!]!;
  const extraCpuMsPerRequest = Object.fromEntries(kinds.slice(1).map((k) => [k, cpuMsPerRequest[k]! - baseline]));
  return { requests, cpuMsPerRequest, extraCpuMsPerRequest, healthP99Ms: percentile(health, 99), judgeFakeJpegMs: percentile(judged, 50) };
}

export function reportHostile(r: HostileResult): string[] {
  return [
    `hostile uploads (${r.requests} of each, one at a time; gateway CPU per request from /proc, 10 ms resolution summed over the run):`,
    ...Object.entries(r.cpuMsPerRequest).map(([kind, ms]) => `  ${kind}: ${fmt(ms)} ms CPU${kind in r.extraCpuMsPerRequest ? ` (${fmt(r.extraCpuMsPerRequest[kind]!)} ms over the baseline)` : ''}`),
    `  /health p99 meanwhile: ${fmt(r.healthP99Ms)} ms`,
    `  judging the fake JPEG alone (in process, median of 20): ${fmt(r.judgeFakeJpegMs, 3)} ms`,
  ];
}
