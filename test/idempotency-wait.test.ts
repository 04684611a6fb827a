/**
 * A repeat of an idempotencyKey while the first attempt is still creating waits for that
 * attempt, and answers as soon as its registration is settled: woken by the backend's event
 * bus (an in-memory EventTarget, or Redis pub/sub across instances), not by polling the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../src/emulator/create-emulator.js';
import { startHarness, waitFor, type Harness, UNFELT_LIMITS } from './support/harness.js';
import { makePng } from './support/images.js';
import { uploadPhoto } from './support/multipart.js';
import { startRedis, type RedisServer } from './support/redis.js';

/** How long the first create takes upstream once MetaStudio has it. */
const SLOW_CREATE_MS = 300;
/**
 * The repeat answers this soon after the first attempt's answer. The store re-read on a timer
 * (1 s, Redis only) could not make it: from the repeat's start it comes at least
 * 1000 - SLOW_CREATE_MS ms after the first attempt's link.
 */
const PROMPT_MS = 250;

const env = { RATE_LIMIT_CREATES_PER_MINUTE: '100000', MAX_PENDING_JOBS_PER_PRINCIPAL: '100000' };
const uniqueName = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

async function timedUpload(h: Harness, input: Record<string, unknown>) {
  const { body } = await uploadPhoto(h.url, { file: makePng(24, 24), input });
  return { result: body.data.createPictureModelingJob, at: performance.now() };
}

/** The first attempt goes to `first` and is slow upstream; the repeat goes to `second` once the first is upstream. */
async function repeatDuringFirstAttempt(emulator: Emulator, first: Harness, second: Harness) {
  const input = { name: uniqueName('wait'), idempotencyKey: uniqueName('key') };
  const received = emulator.countReceived('CreatePictureModelingJob');
  emulator.addFault({ operation: 'CreatePictureModelingJob', delayMs: SLOW_CREATE_MS });
  const firstAttempt = timedUpload(first, input);
  // Upstream has it, so its registration (and the key) is stored: the repeat finds it creating.
  await waitFor(() => emulator.countReceived('CreatePictureModelingJob') > received);
  const repeatSent = performance.now();
  const [one, two] = await Promise.all([firstAttempt, timedUpload(second, input)]);
  expect(one.result.__typename).toBe('PictureModelingJobCreated');
  expect(two.result).toMatchObject({ __typename: 'PictureModelingJobCreated', jobId: one.result.jobId, modelAssetId: one.result.modelAssetId });
  expect(emulator.countReceived('CreatePictureModelingJob')).toBe(received + 1);
  // The repeat was waiting while the first was still upstream...
  expect(one.at - repeatSent).toBeGreaterThan(SLOW_CREATE_MS / 2);
  // ...and answered right after the first attempt's link (which comes just before its answer).
  expect(two.at - one.at).toBeLessThan(PROMPT_MS);
}

describe('a repeat waits on the first attempt, SQLite', () => {
  let emulator: Emulator;
  let h: Harness;
  beforeAll(async () => {
    emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000 });
    h = await startHarness({ env, sharedEmulator: emulator });
  });
  afterAll(async () => {
    await h?.close();
    await emulator?.close();
  });

  it('answers with the first attempt\'s job as soon as it is linked', async () => {
    for (let round = 0; round < 3; round++) await repeatDuringFirstAttempt(emulator, h, h);
  });

  it('when the first attempt is refused upstream meanwhile, the repeat sends nothing (its photo was let go) and says to retry; the retry creates', async () => {
    const input = { name: uniqueName('refused'), idempotencyKey: uniqueName('key') };
    const received = emulator.countReceived('CreatePictureModelingJob');
    emulator.addFault({ operation: 'CreatePictureModelingJob', delayMs: SLOW_CREATE_MS, status: 400, body: { error_code: 'MSS.00000003', error_msg: 'bad style' } });
    const firstAttempt = timedUpload(h, input);
    await waitFor(() => emulator.countReceived('CreatePictureModelingJob') > received);
    const [one, two] = await Promise.all([firstAttempt, timedUpload(h, input)]);
    expect(one.result).toMatchObject({ __typename: 'MssError', errorCode: 'MSS.00000003' });
    expect(two.result).toMatchObject({ __typename: 'MssError', errorCode: 'GATEWAY.UPSTREAM_TIMEOUT' });
    expect(two.result.errorMsg).toMatch(/nothing was created; retry with the same key/);
    // Only the first attempt went upstream: the repeat never sent its let-go photo.
    expect(emulator.countReceived('CreatePictureModelingJob')).toBe(received + 1);
    const retried = await timedUpload(h, input);
    expect(retried.result.__typename).toBe('PictureModelingJobCreated');
    expect(emulator.countReceived('CreatePictureModelingJob')).toBe(received + 2);
  });
});

describe('a repeat waits on the first attempt, two instances on one Redis', () => {
  let redis: RedisServer;
  let emulator: Emulator;
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    redis = await startRedis();
    emulator = await createEmulator({ rateLimits: UNFELT_LIMITS, jobDurationMs: 3_600_000 });
    const shared = { ...env, REDIS_URL: redis.url, CALLBACK_SECRET: 'shared-callback-secret-0123456789' };
    a = await startHarness({ env: shared, sharedEmulator: emulator });
    b = await startHarness({ env: shared, sharedEmulator: emulator });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await emulator?.close();
    await redis?.stop();
  });

  it('the repeat on B answers with the job A created as soon as A links it', async () => {
    for (let round = 0; round < 3; round++) await repeatDuringFirstAttempt(emulator, a, b);
  });

  it('the repeat on the same instance is woken alike', async () => {
    await repeatDuringFirstAttempt(emulator, b, b);
  });
});
