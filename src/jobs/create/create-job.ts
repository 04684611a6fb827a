/**
 * The create flow both mutations share: check the fields, honour an idempotency key,
 * apply the caller's limits, record the intent (the registration) before anything goes
 * upstream, send, then link the job to the registration before answering. A create whose
 * answer is lost keeps its registration, so its callback or the reconciler can still adopt
 * the job.
 */
import { createHash } from 'node:crypto';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Principal } from '../../auth/authenticator.js';
import {
  idempotencyKeyReused,
  invalidParameter,
  isMetaStudioError,
  quotaExceeded,
  rateLimited,
  badUpstreamResponse,
  storeUnavailable,
  upstreamTimeout,
} from '../../errors.js';
import { assertAppUserId } from '../../metastudio/requests.js';
import type { CreatePictureModelingJobResponse } from '../../metastudio/types.js';
import type { QueueTurn, UpstreamResult } from '../../metastudio/client.js';
import type { Logger } from '../../observability/logger.js';
import type { Services } from '../../services.js';
import { recordForRegistration, type JobRecord } from '../model/job-record.js';
import { failureOutcome } from './failure-outcome.js';
import { waitForFirstAttempt } from './first-attempt.js';
import { checkNotifyUrl } from '../webhooks/relay.js';
import type { NewRegistration } from '../store/store.js';

/** Upstream counts a name in UTF-16 code units (64 emoji are 128 of them); so do we and the emulator. */
export const MAX_NAME_LENGTH = 64;
export const MAX_STYLE_ID_LENGTH = 128;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
/** Unicode control, format, line- and paragraph-separator characters (C0, C1, U+200B-U+200F, U+202A-U+202E, U+2028/9, ...). */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export interface CreateFields {
  styleId: string;
  name: string;
  notifyUrl?: string | null | undefined;
  appUserId?: string | null | undefined;
  idempotencyKey?: string | null | undefined;
}

export interface CheckedFields {
  styleId: string;
  name: string;
  notifyUrl: string | null;
  appUserId: string | null;
  idempotencyKey: string | null;
}

export interface CreatedJob {
  jobId: string;
  modelAssetId: string;
  requestId: string | undefined;
  record: JobRecord;
}

/** @throws MetaStudioError MSS.00000003 naming the first bad field. */
export function checkFields(input: CreateFields, allowPrivateRelay: boolean): CheckedFields {
  const styleId = input.styleId.trim();
  if (!styleId) throw invalidParameter('styleId is required and must not be empty');
  if (styleId.length > MAX_STYLE_ID_LENGTH || !/^[\x21-\x7e]+$/.test(styleId)) {
    throw invalidParameter(`styleId must be 1 to ${MAX_STYLE_ID_LENGTH} printable ASCII characters without spaces`);
  }
  const name = input.name.trim();
  if (!name) throw invalidParameter('name is required and must not be empty');
  if (name.length > MAX_NAME_LENGTH) throw invalidParameter(`name must be at most ${MAX_NAME_LENGTH} characters (UTF-16 code units, as MetaStudio counts them)`);
  if (FORBIDDEN_IN_NAME.test(name)) throw invalidParameter('name must not contain control, format or line/paragraph separator characters');
  if (input.appUserId != null) assertAppUserId(input.appUserId);
  if (input.notifyUrl != null) {
    const problem = checkNotifyUrl(input.notifyUrl, allowPrivateRelay);
    if (problem) throw invalidParameter(problem);
  }
  const key = input.idempotencyKey ?? null;
  if (key !== null && (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key))) {
    throw invalidParameter(`idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`);
  }
  return { styleId, name, notifyUrl: input.notifyUrl ?? null, appUserId: input.appUserId ?? null, idempotencyKey: key };
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
  const { store, tokens, config, jobs, limiter } = services;
  const owner = principal.id;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([plan.source, fields.styleId, fields.name, fields.notifyUrl, fields.appUserId]))
    .digest('hex');

  // What `prepare` takes is released on every path that does not send, once: the finally
  // below, or early before waiting on a first attempt so the caller's body does not stall meanwhile.
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    plan.discard?.();
  };
  let sending = false;
  let registration: NewRegistration;
  let nonce: string;
  let result: UpstreamResult<CreatePictureModelingJobResponse>;
  try {
    if (fields.idempotencyKey) {
      let held: Awaited<ReturnType<typeof store.findIdempotent>>;
      try {
        held = await store.findIdempotent(owner, fields.idempotencyKey);
      } catch (error) {
        throw storeUnavailable(error);
      }
      if (held) {
        release();
        const replayed = await replay(services, held, fingerprint);
        if (replayed) return replayed;
      }
    }

    try {
      await plan.prepare?.();
    } catch (error) {
      // Refused by `prepare` itself: it still reads what it took as it unwinds, so the caller
      // lets go of it afterwards; letting go here, mid-unwind, stalls the rest of the body.
      released = true;
      throw error;
    }
    try {
      await limiter.consume(owner);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        services.metrics.refusals.inc({ reason: 'rate_limited' });
        throw rateLimited(error.msBeforeNext, config.limits.createsPerMinute);
      }
      throw storeUnavailable(error);
    }

    const issued = tokens.issue();
    nonce = issued.nonce;
    registration = { nonce, owner, ...fields, createdAt: Date.now() };
    let opened;
    try {
      opened = await store.openRegistration(
        registration,
        config.limits.maxPendingJobsPerPrincipal,
        fields.idempotencyKey ? { key: fields.idempotencyKey, fingerprint, ttlMs: IDEMPOTENCY_TTL_MS } : undefined,
      );
    } catch (error) {
      // Without the registration the job could not be tracked: do not create it.
      throw storeUnavailable(error);
    }
    if (!opened.ok) {
      if (opened.reason === 'quota') {
        services.metrics.refusals.inc({ reason: 'quota_exceeded' });
        throw quotaExceeded(config.limits.maxPendingJobsPerPrincipal);
      }
      // Another attempt with the same key got there first.
      release();
      const replayed = await replay(services, opened.existing, fingerprint);
      if (replayed) return replayed;
      throw upstreamTimeout('An attempt with this idempotencyKey has just failed; retry');
    }

    sending = true;
    try {
      result = await plan.send(tokens.urlFor(services.publicUrl(), issued.token), { queue: { principal: owner, idempotencyKey: fields.idempotencyKey, signal: plan.signal } });
    } catch (error) {
      await settleFailure(services, registration, error, log);
      throw error;
    }
  } finally {
    // Once sending, what `prepare` took belongs to the send (it streams the photo).
    if (!sending) release();
  }
  const { data, requestId } = result;
  if (typeof data.job_id !== 'string' || !data.job_id) {
    await settleFailure(services, registration, undefined, log);
    throw badUpstreamResponse('MetaStudio accepted the job but returned no job_id', requestId);
  }
  // The model asset id is documented as always present; a missing one must not lose a job that exists.
  const created = recordForRegistration(registration, {
    job_id: data.job_id,
    state: 'WAITING',
    ...(typeof data.model_asset_id === 'string' ? { model_asset_id: data.model_asset_id } : {}),
  });
  let reply = createdFrom(created, requestId);
  // Linked before the reply, so a read on any instance right after it finds the job (one
  // store write on the reply's path; issue 22 measured reads racing a link done after it).
  let earlyHit = false;
  try {
    const linked = await services.store.linkRegistration(nonce, created);
    reply = createdFrom(linked.record, requestId);
    earlyHit = linked.earlyHit;
  } catch (error) {
    // The job exists upstream and its registration is stored: the reconciler links it later.
    // The client still learns its job id; reads answer STORE_UNAVAILABLE until the store is back.
    log.error({ jobId: data.job_id, err: (error as Error).message }, 'created job could not be linked; it will be reconciled');
  }
  if (earlyHit) {
    jobs.refresh(data.job_id).catch((error: unknown) => log.warn({ jobId: data.job_id, err: (error as Error).message }, 'early-callback re-read failed'));
  }
  if (afterReply) {
    setImmediate(() => {
      try {
        afterReply(reply);
      } catch (error) {
        log.warn({ jobId: data.job_id, err: (error as Error).message }, 'after-reply work failed');
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

/**
 * The answer to a repeated idempotency key: the first attempt's job once it is known
 * (waiting while the first attempt is still running), or undefined when the first attempt
 * failed and released the key (the caller then creates afresh).
 */
async function replay(services: Services, held: { nonce: string; fingerprint: string }, fingerprint: string): Promise<CreatedJob | undefined> {
  if (held.fingerprint !== fingerprint) throw idempotencyKeyReused();
  try {
    const record = await waitForFirstAttempt(services, held.nonce);
    return record && createdFrom(record, undefined);
  } catch (error) {
    throw isMetaStudioError(error) ? error : storeUnavailable(error);
  }
}
