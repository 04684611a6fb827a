/**
 * Upstream budget benchmark (issue 21, 7a and 7d): 100 creates from 10 principals, all
 * sent at once, against the emulator throttling at create=5/s exactly as API Gateway
 * does, with the gateway's budget set to the same 5/s; then the same 100 split across two
 * instances on one Redis. Measured: creates per second achieved as a share of the budget
 * (between the first and the last answer), calls throttled upstream, and the spread of
 * waiting time between principals (the per-principal mean wait, highest minus lowest).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { tempDir } from '../test/support/harness.js';
import { makePng } from '../test/support/images.js';
import { startRedis } from '../test/support/redis.js';
import { fmt, startEmulatorProcess, startGatewayProcess, type EmulatorProcess, type GatewayProcess } from './lib.js';

const RATE = 5;
const CREATES = 100;
const PRINCIPALS = 10;
const MUTATION = 'mutation($input: CreatePictureModelingJobInput!) { createPictureModelingJob(input: $input) { __typename ... on PictureModelingJobCreated { jobId } ... on MssError { errorCode } } }';
const PHOTO = makePng(256, 256, 20_000);

export interface BudgetRun {
  instances: number;
  created: number;
  refused: number;
  /** Refused creates by error code. */
  refusals: Record<string, number>;
  throttled: number;
  /** The shortest time spanned by rate + 1 consecutive accepted creates, as MetaStudio received them. */
  tightestWindowMs: number;
  /** Creates per second between the first and the last answer. */
  achievedPerSecond: number;
  shareOfBudget: number;
  /** Per principal: mean seconds from sending to the answer. */
  meanWaitByPrincipal: number[];
  waitSpreadSeconds: number;
  seconds: number;
}

export interface BudgetBenchResult {
  rate: number;
  creates: number;
  principals: number;
  single: BudgetRun[];
  twoInstances: BudgetRun[];
}

function apiKeys(): { file: string; keys: string[] } {
  const keys = Array.from({ length: PRINCIPALS }, () => randomBytes(24).toString('base64url'));
  const file = join(tempDir('bench-keys-'), 'keys.txt');
  writeFileSync(file, keys.map((k, i) => `p${i}:${createHash('sha256').update(k).digest('hex')}`).join('\n') + '\n');
  return { file, keys };
}

async function create(gateway: GatewayProcess, key: string, name: string): Promise<string> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: MUTATION, variables: { input: { styleId: 'system_female_001', name, file: null } } }));
  form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.append('0', new Blob([new Uint8Array(PHOTO)], { type: 'image/png' }), 'p.png');
  const res = await fetch(`${gateway.url}/graphql`, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1', 'x-api-key': key } });
  const body = (await res.json()) as { data?: { createPictureModelingJob?: { __typename: string; errorCode?: string } } };
  const result = body.data?.createPictureModelingJob;
  return result?.__typename === 'PictureModelingJobCreated' ? 'created' : (result?.errorCode ?? 'error');
}

interface UpstreamCreates {
  throttled: number;
  /** The shortest time spanned by RATE + 1 consecutive creates MetaStudio accepted (over 1000 ms: never over the limit). */
  tightestWindowMs: number;
}

async function upstreamCreates(emulator: EmulatorProcess): Promise<UpstreamCreates> {
  const calls = (await emulator.control('calls')) as Array<{ operation: string; status: number; receivedAt?: number }>;
  const creates = calls.filter((c) => c.operation === 'CreatePictureModelingJob');
  const accepted = creates.filter((c) => c.status !== 429 && c.receivedAt !== undefined).map((c) => c.receivedAt!).sort((a, b) => a - b);
  let tightestWindowMs = Infinity;
  for (let i = RATE; i < accepted.length; i++) tightestWindowMs = Math.min(tightestWindowMs, accepted[i]! - accepted[i - RATE]!);
  return { throttled: creates.filter((c) => c.status === 429).length, tightestWindowMs };
}

async function run(emulator: EmulatorProcess, gateways: GatewayProcess[], keys: string[], round: string): Promise<BudgetRun> {
  // One create per instance with no limit first: each opens its upload connection, whose
  // set-up would otherwise delay that one call (see README, "The upstream budget").
  await emulator.control('rate-limits', { limits: 'off' });
  for (const [i, g] of gateways.entries()) await create(g, keys[0]!, `warm-${round}-${i}`);
  await emulator.control('reset', {});
  await emulator.control('rate-limits', { limits: `create=${RATE}` });
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: CREATES }, async (_, i) => {
      const principal = i % PRINCIPALS;
      const outcome = await create(gateways[i % gateways.length]!, keys[principal]!, `b-${round}-${i}`);
      return { principal, outcome, at: performance.now() - started };
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const refusals: Record<string, number> = {};
  for (const o of outcomes) if (o.outcome !== 'created') refusals[o.outcome] = (refusals[o.outcome] ?? 0) + 1;
  const upstream = await upstreamCreates(emulator);
  const answered = outcomes.filter((o) => o.outcome === 'created').map((o) => o.at).sort((a, b) => a - b);
  const achievedPerSecond = answered.length > 1 ? (answered.length - 1) / ((answered.at(-1)! - answered[0]!) / 1000) : 0;
  const meanWaitByPrincipal = Array.from({ length: PRINCIPALS }, (_, p) => {
    const waits = outcomes.filter((o) => o.principal === p).map((o) => o.at / 1000);
    return waits.reduce((a, b) => a + b, 0) / waits.length;
  });
  return {
    instances: gateways.length,
    created: answered.length,
    refused: outcomes.length - answered.length,
    refusals,
    throttled: upstream.throttled,
    tightestWindowMs: upstream.tightestWindowMs,
    achievedPerSecond,
    shareOfBudget: achievedPerSecond / RATE,
    meanWaitByPrincipal,
    waitSpreadSeconds: Math.max(...meanWaitByPrincipal) - Math.min(...meanWaitByPrincipal),
    seconds,
  };
}

export async function benchBudget(options: { runs?: number | undefined } = {}): Promise<BudgetBenchResult> {
  const runs = options.runs ?? 2;
  const { file, keys } = apiKeys();
  // Each principal sends 10 uploads at once: MAX_UPLOADS_PER_PRINCIPAL (8 in flight) would
  // refuse 2 of them before they reach the budget, which is what is measured here.
  const env = { MAX_UPLOADS_PER_PRINCIPAL: '16', AUTH_DISABLED: 'false', AUTH_API_KEYS_FILE: file, UPSTREAM_RATE_LIMITS: `create=${RATE},createByUrl=100000,show=100000,list=100000,styles=100000,assets=100000` };
  const result: BudgetBenchResult = { rate: RATE, creates: CREATES, principals: PRINCIPALS, single: [], twoInstances: [] };
  const emulator = await startEmulatorProcess();
  const redis = await startRedis();
  const single = await startGatewayProcess(emulator, env);
  const shared = { ...env, REDIS_URL: redis.url, CALLBACK_SECRET: 'bench-callback-secret-0123456789' };
  const pair = [await startGatewayProcess(emulator, shared), await startGatewayProcess(emulator, shared)];
  try {
    // Interleaved, so both setups see the same machine.
    for (let i = 0; i < runs; i++) {
      result.single.push(await run(emulator, [single], keys, `s${i}`));
      result.twoInstances.push(await run(emulator, pair, keys, `d${i}`));
    }
    return result;
  } finally {
    await Promise.all([single.stop(), ...pair.map((g) => g.stop())]);
    await emulator.stop();
    await redis.stop();
  }
}

export function reportBudget(r: BudgetBenchResult): string[] {
  const line = (x: BudgetRun) =>
    `    ${x.created} created, ${x.refused} refused${x.refused ? ` (${Object.entries(x.refusals).map(([k, v]) => `${v} ${k}`).join(', ')})` : ''}, ${x.throttled} throttled upstream ` +
    `(tightest ${r.rate + 1} accepted creates within ${fmt(x.tightestWindowMs, 0)} ms); ${fmt(x.achievedPerSecond)} creates/s = ${fmt(100 * x.shareOfBudget, 1)}% of the budget; ` +
    `per-principal mean wait ${fmt(Math.min(...x.meanWaitByPrincipal))}-${fmt(Math.max(...x.meanWaitByPrincipal))} s (spread ${fmt(x.waitSpreadSeconds)} s); ${fmt(x.seconds, 1)} s in all`;
  return [
    `budget: ${r.creates} creates from ${r.principals} principals at once, emulator and gateway at create=${r.rate}/s:`,
    '  (a) one instance:',
    ...r.single.map(line),
    '  (d) two instances on one Redis:',
    ...r.twoInstances.map(line),
  ];
}
