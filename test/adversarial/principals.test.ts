/**
 * Finding 7 (medium): principals collided and JWTs without `exp` lived forever. A JWT whose
 * subject is an API key's principal name, or `anonymous`, is now a different principal and
 * sees none of its jobs; X-App-UserId still carries the bare name. JWTs must carry `exp`,
 * and one that lives longer than AUTH_JWT_MAX_LIFETIME_SECONDS is refused.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startHarness, tempDir } from '../support/harness.js';
import { makePng } from '../support/images.js';
import { uploadPhoto } from '../support/multipart.js';
import { wsClient } from '../support/subscriptions.js';
import { mintHs256, startGuardedGateway, type GuardedGateway } from './attacker.js';

const LIST = '{ pictureModelingJobs(limit: 50) { __typename ... on PictureModelingJobList { totalCount jobs { jobId } } } }';
const ONE = 'query($id: ID!) { pictureModelingJob(jobId: $id) { __typename ... on MssError { errorCode } ... on PictureModelingJob { jobId } } }';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let gw: GuardedGateway;
beforeAll(async () => {
  gw = await startGuardedGateway();
});
afterAll(async () => {
  await gw?.close();
});

describe('a JWT subject cannot become another kind of principal', () => {
  it("sub: \"batch-service\" sees none of the batch-service API key's jobs; both send the bare name as X-App-UserId", async () => {
    const created = await uploadPhoto(gw.url, { file: makePng(32, 32), headers: { 'x-api-key': gw.apiKeys['batch-service']! } });
    const jobId = created.body.data.createPictureModelingJob.jobId as string;
    expect(jobId).toBeDefined();

    const impostor = bearer(await mintHs256({ sub: 'batch-service' }));
    expect((await gql(gw.url, LIST, undefined, impostor)).body.data.pictureModelingJobs).toEqual({ __typename: 'PictureModelingJobList', totalCount: 0, jobs: [] });
    expect((await gql(gw.url, ONE, { id: jobId }, impostor)).body.data.pictureModelingJob).toEqual({ __typename: 'MssError', errorCode: 'GATEWAY.JOB_NOT_FOUND' });
    // The key itself still sees it.
    const own = await gql(gw.url, ONE, { id: jobId }, { 'x-api-key': gw.apiKeys['batch-service']! });
    expect(own.body.data.pictureModelingJob).toEqual({ __typename: 'PictureModelingJob', jobId });

    await uploadPhoto(gw.url, { file: makePng(32, 32), headers: impostor });
    const creates = gw.emulator.calls.filter((c) => c.operation === 'CreatePictureModelingJob');
    expect(creates.map((c) => c.appUserId)).toEqual(['batch-service', 'batch-service']);
  });

  it('sub: "anonymous" sees nothing that anonymous callers made (same store, authentication turned on later)', async () => {
    const dir = tempDir();
    const database = join(dir, 'shared.db');
    const open = await startHarness({ env: { DATABASE_PATH: database }, sharedEmulator: gw.emulator });
    const made = await uploadPhoto(open.url, { file: makePng(32, 32) });
    const jobId = made.body.data.createPictureModelingJob.jobId as string;
    expect(await open.gateway.services.store.getJob(jobId)).toMatchObject({ owner: 'anonymous' });
    await open.close();

    const guarded = await startGuardedGateway({ DATABASE_PATH: database });
    try {
      const impostor = bearer(await mintHs256({ sub: 'anonymous' }));
      expect((await gql(guarded.url, LIST, undefined, impostor)).body.data.pictureModelingJobs.totalCount).toBe(0);
      expect((await gql(guarded.url, ONE, { id: jobId }, impostor)).body.data.pictureModelingJob.errorCode).toBe('GATEWAY.JOB_NOT_FOUND');
    } finally {
      await guarded.close();
    }
  });
});

describe('JWT lifetimes', () => {
  it('a token without exp is 401', async () => {
    const forever = await mintHs256({ sub: 'alice' }, { expiresInSeconds: null });
    const answer = await gql(gw.url, LIST, undefined, bearer(forever));
    expect(answer.status).toBe(401);
    expect(answer.body.errors[0].message).toMatch(/no "exp" claim/);
  });

  it('a token living longer than AUTH_JWT_MAX_LIFETIME_SECONDS (default one day) is 401; one of an hour works', async () => {
    const twoDays = await gql(gw.url, LIST, undefined, bearer(await mintHs256({ sub: 'alice' }, { expiresInSeconds: 2 * 86_400 })));
    expect(twoDays.status).toBe(401);
    expect(twoDays.body.errors[0].message).toMatch(/lifetime exceeds 86400 seconds/);
    const hour = await gql(gw.url, LIST, undefined, bearer(await mintHs256({ sub: 'alice' }, { expiresInSeconds: 3600 })));
    expect(hour.status).toBe(200);
  });

  it('over graphql-ws too: a token without exp is closed with 4403', async () => {
    const codes: number[] = [];
    const client = wsClient(gw.wsUrl, { lazy: false, connectionParams: bearer(await mintHs256({ sub: 'alice' }, { expiresInSeconds: null })), onClosed: (code) => codes.push(code) });
    await expect.poll(() => codes[0], { timeout: 5000 }).toBe(4403);
    await client.dispose();
  });
});
