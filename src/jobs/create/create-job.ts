/**
 * The create saga both mutations share, in named steps: answer a repeated idempotency key
 * with the first attempt's job, prepare the input, apply the caller's limits, record the
 * intent (the registration) before anything goes upstream, send, then link the job to the
 * registration before answering. What the saga takes is given back in its one `finally`
 * unless it was handed over: the input to the send (which streams it), the registration to
 * the job once its id is known. A create whose answer is lost keeps its registration, so its
 * callback or the reconciler can still adopt the job.
 */
import { createHash } from 'node:crypto';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Principal } from '../../auth/authenticator.js';
import { badUpstreamResponse, idempotencyKeyReused, isMetaStudioError, quotaExceeded, rateLimited, storeUnavailable, upstreamTimeout } from '../../errors.js';
import type { CreatePictureModelingJobResponse } from '../../metastudio/types.js';
import type { QueueTurn, UpstreamResult } from '../../metastudio/client.js';
import type { Logger } from '../../observability/logger.js';
import type { Services } from '../../services.js';
import { recordForRegistration, type JobRecord } from '../model/job-record.js';
import type { NewRegistration } from '../store/store.js';
import type { CheckedFields } from './create-fields.js';
import { failureOutcome } from './failure-outcome.js';
import { waitForFirstAttempt } from './first-attempt.js';

export { checkFields, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_NAME_LENGTH, MAX_STYLE_ID_LENGTH, type CheckedFields, type CreateFields } from './create-fields.js';

export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export interface CreatedJob {
  jobId: string;
  modelAssetId: string;
  requestId: string | undefined;
  record: JobRecord;
}

export interface CreatePlan {
  /** What identifies the input for idempotency (e.g. 'upload' or the picture URL). */
  source: string;
  /** Work done before any cost is charged (judging the photo's header); throws to refuse. */
  prepare?: () => Promise<void>;
  /** The create is not going to be sent (a repeat, a refusal): release what `prepare` holds. */
  discard?: () => void;
  /** Sends the create upstream with the gateway's notify_url, waiting its turn in the budget's fair queue as `turn`. */
  send: (notifyUrl: string, turn: CreateTurn) => Promise<UpstreamResult<CreatePictureModelingJobResponse>>;
  /** Aborted when the caller goes away: a create still waiting for the budget leaves its queue unsent. */
  signal?: AbortSignal | undefined;
}

/** What the client needs to queue a create fairly (src/budget/create-queue.ts). */
export interface CreateTurn {
  queue: QueueTurn;
}

/** What a create holds until its `finally` gives it back, unless handed over first. */
interface Holdings {
  /** `prepare`'s hold on the input: the send takes it over; otherwise it is let go, once. */
  input: 'held' | 'handed-over' | 'let-go';
  /** Open from before the send until the job's id is known. */
  registration: NewRegistration | undefined;
}

const FIRST_ATTEMPT_FAILED = 'An attempt with this idempotencyKey has just failed, and nothing was created; retry with the same key';

const createdFrom = (record: JobRecord, requestId: string | undefined): CreatedJob => ({
  jobId: record.jobId,
  modelAssetId: record.modelAssetId ?? '',
  requestId,
  record,
});

export async function createJob(
  services: Services,
  principal: Principal,
  fields: CheckedFields,
  plan: CreatePlan,
  log: Logger,
  /** Work for a created job that the reply need not wait for (its log line): runs after the reply. */
  afterReply?: (created: CreatedJob) => void,
): Promise<CreatedJob> {
  const fingerprint = fingerprintOf(plan.source, fields);
  const holdings: Holdings = { input: 'held', registration: undefined };
  let failure: unknown;
  try {
    const earlier = await findEarlierAttempt(services, principal.id, fields.idempotencyKey);
    // An earlier attempt that failed has released its key: this one creates afresh.
    const repeat = earlier && (await answerRepeat(services, plan, holdings, earlier, fingerprint));
    if (repeat) return repeat;
    // The first attempt failed while this one waited, after this one's photo was let go: it
    // cannot be sent now (it would go upstream empty), so the caller sends it again.
    if (earlier && plan.discard) throw upstreamTimeout(FIRST_ATTEMPT_FAILED);
    await prepareInput(plan, holdings);
    await applyRateLimit(services, principal.id);
    const opened = await register(services, principal.id, fields, fingerprint);
    if ('earlier' in opened) {
      const raced = await answerRepeat(services, plan, holdings, opened.earlier, fingerprint);
      if (raced) return raced;
      throw upstreamTimeout(FIRST_ATTEMPT_FAILED);
    }
    // From here the send streams the input, and a failure settles the registration.
    holdings.registration = opened.registration;
    holdings.input = 'handed-over';
    const sent = await send(services, plan, opened);
    // The job exists: its link (or, failing that, the reconciler) settles the registration.
    holdings.registration = undefined;
    return await linkAndReply(services, opened.registration.nonce, sent, log, afterReply);
  } catch (error) {
    // What the failure was decides what becomes of the registration (failure-outcome.ts).
    failure = error;
    throw error;
  } finally {
    letGoOfInput(plan, holdings);
    if (holdings.registration) await settleFailure(services, holdings.registration, failure, log);
  }
}

function fingerprintOf(source: string, fields: CheckedFields): string {
  return createHash('sha256').update(JSON.stringify([source, fields.styleId, fields.name, fields.notifyUrl, fields.appUserId])).digest('hex');
}

function letGoOfInput(plan: CreatePlan, holdings: Holdings): void {
  if (holdings.input !== 'held') return;
  holdings.input = 'let-go';
  plan.discard?.();
}

async function findEarlierAttempt(services: Services, owner: string, key: string | null) {
  if (!key) return undefined;
  try {
    return await services.store.findIdempotent(owner, key);
  } catch (error) {
    throw storeUnavailable(error);
  }
}

async function prepareInput(plan: CreatePlan, holdings: Holdings): Promise<void> {
  try {
    await plan.prepare?.();
  } catch (error) {
    // Refused by `prepare` itself: it still reads what it took as it unwinds, so the caller
    // lets go of it afterwards; letting go here, mid-unwind, stalls the rest of the body.
    holdings.input = 'let-go';
    throw error;
  }
}

async function applyRateLimit(services: Services, owner: string): Promise<void> {
  try {
    await services.limiter.consume(owner);
  } catch (error) {
    if (!(error instanceof RateLimiterRes)) throw storeUnavailable(error);
    services.metrics.refusals.inc({ reason: 'rate_limited' });
    throw rateLimited(error.msBeforeNext, services.config.limits.createsPerMinute);
  }
}

type Opened = { registration: NewRegistration; token: string } | { earlier: { nonce: string; fingerprint: string } };

/** Records the intent within the caller's quota, claiming the idempotency key; or names the attempt that holds the key. */
async function register(services: Services, owner: string, fields: CheckedFields, fingerprint: string): Promise<Opened> {
  const { store, tokens, config, metrics } = services;
  const { nonce, token } = tokens.issue();
  const registration: NewRegistration = { nonce, owner, ...fields, createdAt: Date.now() };
  const claim = fields.idempotencyKey ? { key: fields.idempotencyKey, fingerprint, ttlMs: IDEMPOTENCY_TTL_MS } : undefined;
  let opened;
  try {
    opened = await store.openRegistration(registration, config.limits.maxPendingJobsPerPrincipal, claim);
  } catch (error) {
    // Without the registration the job could not be tracked: do not create it.
    throw storeUnavailable(error);
  }
  if (opened.ok) return { registration, token };
  if (opened.reason === 'duplicate') return { earlier: opened.existing };
  metrics.refusals.inc({ reason: 'quota_exceeded' });
  throw quotaExceeded(config.limits.maxPendingJobsPerPrincipal);
}

/**
 * The answer to a repeated idempotency key: the first attempt's job once it is known, or
 * undefined when the first attempt failed and released the key. The input is let go before
 * the wait, so the caller's body does not stall meanwhile.
 */
async function answerRepeat(services: Services, plan: CreatePlan, holdings: Holdings, earlier: { nonce: string; fingerprint: string }, fingerprint: string) {
  letGoOfInput(plan, holdings);
  if (earlier.fingerprint !== fingerprint) throw idempotencyKeyReused();
  try {
    const record = await waitForFirstAttempt(services, earlier.nonce);
    return record && createdFrom(record, undefined);
  } catch (error) {
    throw isMetaStudioError(error) ? error : storeUnavailable(error);
  }
}

/** Sends the create and reads its job from the answer. @throws BAD_UPSTREAM_RESPONSE for an answer without a job id. */
async function send(services: Services, plan: CreatePlan, opened: { registration: NewRegistration; token: string }) {
  const { registration } = opened;
  const notifyUrl = services.tokens.urlFor(services.publicUrl(), opened.token);
  const { data, requestId } = await plan.send(notifyUrl, { queue: { principal: registration.owner, idempotencyKey: registration.idempotencyKey, signal: plan.signal } });
  if (typeof data.job_id !== 'string' || !data.job_id) throw badUpstreamResponse('MetaStudio accepted the job but returned no job_id', requestId);
  // The model asset id is documented as always present; a missing one must not lose a job that exists.
  const record = recordForRegistration(registration, {
    job_id: data.job_id,
    state: 'WAITING',
    ...(typeof data.model_asset_id === 'string' ? { model_asset_id: data.model_asset_id } : {}),
  });
  return { record, requestId };
}

/**
 * Linked before the reply, so a read on any instance right after it finds the job (one
 * store write on the reply's path; issue 22 measured reads racing a link done after it).
 */
async function linkAndReply(
  services: Services,
  nonce: string,
  sent: { record: JobRecord; requestId: string | undefined },
  log: Logger,
  afterReply: ((created: CreatedJob) => void) | undefined,
): Promise<CreatedJob> {
  const { jobId } = sent.record;
  let reply = createdFrom(sent.record, sent.requestId);
  let earlyHit = false;
  try {
    const linked = await services.store.linkRegistration(nonce, sent.record);
    reply = createdFrom(linked.record, sent.requestId);
    earlyHit = linked.earlyHit;
  } catch (error) {
    // The job exists upstream and its registration is stored: the reconciler links it later.
    // The client still learns its job id; reads answer STORE_UNAVAILABLE until the store is back.
    log.error({ jobId, err: (error as Error).message }, 'created job could not be linked; it will be reconciled');
  }
  if (earlyHit) {
    // Its callback came before the link: marked for a re-read like any callback (reason
    // `ended`), read with the others marked meanwhile; the scheduler retries a failed read.
    services.jobs.reread(jobId);
  }
  if (afterReply) {
    setImmediate(() => {
      try {
        afterReply(reply);
      } catch (error) {
        log.warn({ jobId, err: (error as Error).message }, 'after-reply work failed');
      }
    });
  }
  return reply;
}

/** After a failed send: forget a create that made nothing, keep one that may have made a job. */
async function settleFailure(services: Services, registration: NewRegistration, error: unknown, log: Logger): Promise<void> {
  const { store, reconciler } = services;
  try {
    if (failureOutcome(error) === 'nothing-created') return await store.removeRegistration(registration);
    await store.markUnanswered(registration.nonce);
    const current = await store.findRegistration(registration.nonce);
    // Its callback already came: the job exists, so look for it now rather than at the next pass.
    if (current && !current.jobId && current.earlyHit) {
      reconciler.reconcile(current).catch((e: unknown) => log.warn({ nonce: registration.nonce, err: (e as Error).message }, 'reconciliation failed; will retry'));
    }
  } catch (storeError) {
    log.error({ nonce: registration.nonce, err: (storeError as Error).message }, 'could not settle a failed create');
  }
}
