/**
 * Finding 6 (medium): an SSE stream opened with a 3 s token still delivered a completion
 * 5 s after the token expired. Now the stream's last event is an UNAUTHENTICATED error at
 * expiry, and it ends, like graphql-ws's 4403; a completion after that reaches nobody.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../support/images.js';
import { uploadPhoto } from '../support/multipart.js';
import { sseSubscribe } from '../support/subscriptions.js';
import { mintHs256, startGuardedGateway, type GuardedGateway } from './attacker.js';

let gw: GuardedGateway;
beforeAll(async () => {
  gw = await startGuardedGateway();
});
afterAll(async () => {
  await gw?.close();
});

describe('SSE and token expiry', () => {
  it('an all-jobs SSE stream ends with UNAUTHENTICATED when its token expires, and receives nothing after', async () => {
    const shortLived = await mintHs256({ sub: 'eve' }, { expiresInSeconds: 2 });
    const expiresAt = JSON.parse(Buffer.from(shortLived.split('.')[1]!, 'base64url').toString()).exp * 1000;
    const controller = new AbortController();
    const sse = await sseSubscribe(gw.url, {}, controller.signal, { authorization: `Bearer ${shortLived}` });
    expect(sse.status).toBe(200);
    try {
      await expect.poll(() => sse.ended(), { timeout: 10_000, interval: 50 }).toBe(true);
      const endedAt = Date.now();
      expect(endedAt).toBeGreaterThanOrEqual(expiresAt);
      expect(sse.events).toEqual([{ errors: [expect.objectContaining({ message: 'Unauthenticated: the credentials have expired', extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })] }]);

      // A job of the same principal that ends afterwards is not delivered to the dead stream.
      const fresh = { authorization: `Bearer ${await mintHs256({ sub: 'eve' })}` };
      const created = await uploadPhoto(gw.url, { file: makePng(16, 16), headers: fresh });
      const jobId = created.body.data.createPictureModelingJob.jobId as string;
      await expect.poll(async () => (await gw.gateway.services.store.getJob(jobId))?.state, { timeout: 10_000 }).toBe('SUCCEED');
      expect(sse.events).toHaveLength(1);
    } finally {
      controller.abort();
    }
  });

  it('a token that lives on keeps its stream open and receives the completion', async () => {
    const token = { authorization: `Bearer ${await mintHs256({ sub: 'frank' })}` };
    const controller = new AbortController();
    const sse = await sseSubscribe(gw.url, {}, controller.signal, token);
    try {
      await uploadPhoto(gw.url, { file: makePng(16, 16), headers: token });
      await expect.poll(() => sse.events.length, { timeout: 10_000 }).toBe(1);
      expect(sse.events[0].data.pictureModelingJobCompleted.state).toBe('SUCCEED');
      expect(sse.ended()).toBe(false);
    } finally {
      controller.abort();
    }
  });
});
