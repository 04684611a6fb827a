/**
 * The notify_url endpoint, as a Yoga plugin. MetaStudio does not document the callback's
 * method or body, so POST (any JSON or empty body) and GET are accepted; the call is only
 * a trigger: it marks its job to be re-read upstream with others (jobs.reread, ../sync/read-scheduler.ts).
 * The token in the path is checked before any body is read; a job the store already holds
 * as terminal costs nothing upstream, and neither does a callback repeated within a few
 * seconds, so replaying a notify_url cannot multiply upstream traffic.
 */
import { trace } from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import { inSpan } from '../../observability/tracing.js';
import type { MetaStudioClient } from '../../metastudio/client.js';
import type { Logger } from '../../observability/logger.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import { isTerminal, type PictureModelingInfo } from '../../metastudio/types.js';
import { readCappedText } from '../../http/read-capped.js';
import { CALLBACK_PATH_PREFIX, type CallbackTokens } from './callback-token.js';
import type { JobService } from '../sync/job-service.js';
import type { Reconciler } from '../sync/reconciler.js';
import type { GatewayStore, Registration } from '../store/store.js';

const MAX_CALLBACK_BODY = 64 * 1024;
const BODY_DEADLINE_MS = 5000;
/** A callback for a job refreshed by a callback less than this long ago is answered without a read. */
const REPEAT_WINDOW_MS = 2000;
const MAX_REMEMBERED = 10_000;

/**
 * The token of a callback path: exactly `<base>/callbacks/picture-modeling/<token>` (one
 * trailing slash tolerated), where base is '' or PUBLIC_URL's path (a proxy may forward it
 * as is). Returns '' for the prefix alone, undefined for any other path.
 */
export function callbackTokenOf(pathname: string, basePath: string): string | undefined {
  for (const base of basePath ? ['', basePath] : ['']) {
    const prefix = `${base}${CALLBACK_PATH_PREFIX}`;
    if (pathname === prefix.slice(0, -1)) return '';
    if (!pathname.startsWith(prefix)) continue;
    const rest = pathname.slice(prefix.length).replace(/\/$/, '');
    return rest.includes('/') ? undefined : rest;
  }
  return undefined;
}

export interface CallbackDeps {
  tokens: CallbackTokens;
  client: Pick<MetaStudioClient, 'showPictureModelingJob'>;
  store: GatewayStore;
  jobs: JobService;
  reconciler: Reconciler;
  log: Logger;
  metrics: GatewayMetrics;
  publicUrl: () => string;
  /** A registration still unlinked after this long is adopted at once by its callback. */
  reconcileAfterMs: number;
}

export function useCallbackEndpoint(deps: CallbackDeps): Plugin {
  const recentlyRefreshed = new Map<string, number>();

  const reply = (status: number, body: Record<string, unknown>, result: string, headers: Record<string, string> = {}) => {
    deps.metrics.callbacks.inc({ result });
    trace.getActiveSpan()?.setAttribute('metastudio.callback.result', result);
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });
  };
  const background = (work: Promise<unknown>, jobId: string | null) =>
    work.catch((error: unknown) => deps.log.warn({ jobId, err: (error as Error).message }, 'callback follow-up failed; the poller will retry'));

  /** True when this job was refreshed by a callback moments ago (a replay or a burst of repeats). */
  function isRepeat(jobId: string): boolean {
    const now = Date.now();
    const last = recentlyRefreshed.get(jobId);
    if (last !== undefined && now - last < REPEAT_WINDOW_MS) return true;
    if (recentlyRefreshed.size >= MAX_REMEMBERED) {
      for (const [id, at] of recentlyRefreshed) if (now - at >= REPEAT_WINDOW_MS || recentlyRefreshed.size >= MAX_REMEMBERED) recentlyRefreshed.delete(id);
    }
    recentlyRefreshed.set(jobId, now);
    return false;
  }

  async function adoptUnlinked(registration: Registration, body: unknown) {
    const named = typeof (body as { job_id?: unknown })?.job_id === 'string' ? (body as { job_id: string }).job_id : undefined;
    if (named) {
      const { data } = await deps.client.showPictureModelingJob(named);
      if (await deps.jobs.adopt(registration, { ...data, job_id: data.job_id || named } as PictureModelingInfo)) return;
    }
    await deps.reconciler.reconcile(registration);
  }

  async function handle(request: Request, rawToken: string): Promise<Response> {
    if (request.method !== 'POST' && request.method !== 'GET') return reply(405, { error: 'method not allowed' }, 'refused_method', { allow: 'GET, POST' });
    let token: string;
    try {
      token = decodeURIComponent(rawToken);
    } catch {
      return reply(404, { error: 'not found' }, 'refused_malformed');
    }
    if (!token) return reply(404, { error: 'not found' }, 'refused_missing');
    const check = deps.tokens.verify(token);
    if (!check.ok) {
      deps.log.warn({ reason: check.reason }, 'callback refused');
      return check.reason === 'malformed'
        ? reply(404, { error: 'not found' }, 'refused_malformed')
        : reply(401, { error: 'invalid or expired callback token' }, `refused_${check.reason}`);
    }
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > MAX_CALLBACK_BODY) return reply(413, { error: 'callback body too large' }, 'refused_size');
    const registration = await deps.store.findRegistration(check.nonce);
    if (!registration) return reply(404, { error: 'not found' }, 'refused_unknown');

    if (registration.jobId !== null) {
      // The body says nothing the job's own state does not: it is left unread (the server drains it).
      const jobId = registration.jobId;
      const stored = await deps.store.getJob(jobId);
      if (stored && isTerminal(stored.state)) return reply(202, { ok: true }, 'terminal');
      if (isRepeat(jobId)) return reply(202, { ok: true }, 'repeat');
      // Read with the other jobs marked meanwhile (a burst of callbacks costs a page, not a Show each).
      deps.jobs.reread(jobId);
      return reply(202, { ok: true }, 'accepted');
    }
    // Only a job whose id is not known yet needs the body: it may name the job.
    const body = await readCappedText(request, MAX_CALLBACK_BODY, BODY_DEADLINE_MS);
    if (body.tooLarge) return reply(413, { error: 'callback body too large' }, 'refused_size');
    // The job id is not known yet: the create call is still running, or its answer was lost.
    await deps.store.markEarlyCallback(check.nonce);
    const linked = await deps.store.findRegistration(check.nonce);
    if (linked?.jobId) {
      deps.jobs.reread(linked.jobId);
    } else if (linked && (linked.status === 'unanswered' || Date.now() - linked.createdAt > deps.reconcileAfterMs)) {
      void background(adoptUnlinked(linked, parseJson(body.text)), null);
    }
    // Otherwise the create path sees the early hit when it links the job, and reads it then.
    return reply(202, { ok: true }, 'accepted');
  }

  return {
    onRequest({ request, url, endResponse }) {
      const token = callbackTokenOf(url.pathname, new URL(deps.publicUrl()).pathname.replace(/\/+$/, ''));
      if (token === undefined) return;
      return inSpan('callback picture-modeling', {}, () => handle(request, token)).then(endResponse, (error: unknown) => {
        // Its only dependency that throws is the store (Redis down, a failover): 503 so
        // that MetaStudio retries, if it does; the poller reads the job meanwhile.
        deps.log.error({ err: (error as Error).message }, 'callback could not be handled; answered 503');
        endResponse(reply(503, { error: 'temporarily unavailable; retry' }, 'store_unavailable', { 'retry-after': '5' }));
      });
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
