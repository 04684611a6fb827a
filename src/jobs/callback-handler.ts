/**
 * The notify_url endpoint, outside Yoga. MetaStudio does not document the callback's
 * method or body, so POST (any JSON or empty body) and GET are accepted; the call is only
 * a trigger: the job's real state is read upstream after answering.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { CALLBACK_PATH_PREFIX, type CallbackTokens } from './callback-token.js';
import type { JobService } from './job-service.js';
import type { JobStore } from './job-store.js';

const MAX_CALLBACK_BODY = 64 * 1024;

/**
 * The callback path, also under a base path (PUBLIC_URL may carry one that a proxy
 * forwards as is). Returns the token part ('' when absent), or undefined for other paths.
 */
export function callbackTokenOf(pathname: string): string | undefined {
  const at = pathname.indexOf(CALLBACK_PATH_PREFIX);
  if (at >= 0) return pathname.slice(at + CALLBACK_PATH_PREFIX.length);
  return pathname.endsWith(CALLBACK_PATH_PREFIX.slice(0, -1)) ? '' : undefined;
}

export function createCallbackHandler(deps: {
  tokens: CallbackTokens;
  store: JobStore;
  jobs: JobService;
  log: Logger;
  metrics: GatewayMetrics;
}) {
  const reply = (res: ServerResponse, status: number, body: Record<string, unknown>, result: string) => {
    deps.metrics.callbacks.inc({ result });
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  return async function handleCallback(req: IncomingMessage, res: ServerResponse, rawToken: string): Promise<void> {
    if (req.method !== 'POST' && req.method !== 'GET') {
      res.setHeader('allow', 'GET, POST');
      req.resume();
      return reply(res, 405, { error: 'method not allowed' }, 'refused_method');
    }
    const bodyOk = await readCapped(req, MAX_CALLBACK_BODY);
    if (!bodyOk) return reply(res, 413, { error: 'callback body too large' }, 'refused_size');

    let token: string;
    try {
      // Some callers append a slash to the URL they were given.
      token = decodeURIComponent(rawToken).replace(/\/+$/, '');
    } catch {
      return reply(res, 404, { error: 'not found' }, 'refused_malformed');
    }
    if (!token || token.includes('/')) return reply(res, 404, { error: 'not found' }, 'refused_missing');
    const check = deps.tokens.verify(token);
    if (!check.ok) {
      deps.log.warn({ reason: check.reason }, 'callback refused');
      return check.reason === 'malformed'
        ? reply(res, 404, { error: 'not found' }, 'refused_malformed')
        : reply(res, 401, { error: 'invalid or expired callback token' }, `refused_${check.reason}`);
    }
    const registration = await deps.store.findCallback(check.nonce);
    if (!registration) return reply(res, 404, { error: 'not found' }, 'refused_unknown');

    reply(res, 202, { ok: true }, 'accepted');

    if (registration.jobId === null) {
      // The callback beat the create response: the create path refreshes once it links the job.
      await deps.store.markEarlyCallback(check.nonce);
      const linked = await deps.store.findCallback(check.nonce);
      if (linked?.jobId) await refresh(linked.jobId);
      return;
    }
    await refresh(registration.jobId);
  };

  async function refresh(jobId: string) {
    try {
      await deps.jobs.refresh(jobId);
    } catch (error) {
      // The poller will try again.
      deps.log.warn({ jobId, err: (error as Error).message }, 'callback re-read failed');
    }
  }
}

async function readCapped(req: IncomingMessage, limit: number): Promise<boolean> {
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      return false;
    }
  }
  return true;
}
