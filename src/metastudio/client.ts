/**
 * The MetaStudio client: one function per upstream operation, each returning the parsed
 * body and the upstream X-Request-Id, or throwing one MetaStudioError.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { OPERATION_BUDGET } from '../budget/rate-limits.js';
import type { UpstreamBudget } from '../budget/upstream-budget.js';
import { UNPACED, type Turn } from '../budget/turn.js';
import { invalidParameter, isMetaStudioError, isUpstreamThrottle, upstreamBusy } from '../errors.js';
import { encodeMultipart, type StreamedFile } from './multipart-body.js';
import { createReplayableStream } from './replayable-stream.js';
import { assertAppUserId, prepareRequest, type RequestSpec, type SigningContext } from './requests.js';
import { encodeRfc3986, type Credentials } from './signer.js';
import { createTransport, type CallObserver, type UpstreamResult } from './transport.js';
import type {
  CreatePictureModelingJobResponse,
  JobState,
  ListAssetSummaryResponse,
  ListPictureModelingJobsResponse,
  ListStylesResponse,
  PictureModelingInfo,
  ShowAssetResponse,
} from './types.js';

export type { UpstreamResult } from './transport.js';

export interface MetaStudioClientOptions {
  endpoint: string;
  projectId: string;
  credentials?: Credentials | undefined;
  securityToken?: string | undefined;
  iamToken?: string | undefined;
  /** Per call: connect, response headers and each gap in the response body. */
  timeoutMs: number;
  retries?: number;
  onCall?: CallObserver | undefined;
  /** Paces every call (UPSTREAM_RATE_LIMITS); without it calls go out at once and 429s reach the caller. */
  budget?: UpstreamBudget | undefined;
}

/** Who a create waits for, in the fair queue of creates. */
export interface QueueTurn {
  principal: string;
  /** Names the wait for pictureModelingCreateQueue. */
  idempotencyKey?: string | null | undefined;
  /**
   * Aborted when the caller goes away: a create still waiting leaves the queue unsent. Once
   * sent, the create is not aborted by it (the upload's own end decides, see uploads/).
   */
  signal?: AbortSignal | undefined;
}

/** Photo bytes kept in case API Gateway throttles a create mid-stream (see replayable-stream.ts). */
export const REPLAY_KEEP_BYTES = 256 * 1024;

export interface CallOptions {
  /** Sent as X-App-UserId; printable ASCII only, refused before any call otherwise. */
  appUserId?: string | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Longest wait for a turn in the upstream budget, throttled retries included; beyond it
   * GATEWAY.UPSTREAM_BUSY and nothing is sent (for work that can come back later; no caller
   * in the gateway sets it yet: the poller leaves room by waiting while re-reads are due).
   * @default UPSTREAM_QUEUE_TIMEOUT_MS
   */
  maxWaitMs?: number | undefined;
}

export interface CreateJobInput extends CallOptions {
  file: StreamedFile;
  queue?: QueueTurn | undefined;
  styleId: string;
  name: string;
  notifyUrl?: string | undefined;
}

export interface CreateJobByUrlInput extends CallOptions {
  pictureUrl: string;
  queue?: QueueTurn | undefined;
  styleId: string;
  name: string;
  notifyUrl?: string | undefined;
}

export interface ListJobsInput extends CallOptions {
  offset?: number | undefined;
  limit?: number | undefined;
  /** Several states are sent comma-separated. */
  states?: readonly JobState[] | undefined;
  sortKey?: 'create_time' | 'update_time' | 'asset_order' | undefined;
  sortDir?: 'asc' | 'desc' | undefined;
  createSince?: string | undefined;
  createUntil?: string | undefined;
}

export interface ListStylesInput extends CallOptions {
  offset?: number | undefined;
  limit?: number | undefined;
  styleId?: string | undefined;
  name?: string | undefined;
  sex?: string | undefined;
  state?: string | undefined;
}

export interface MetaStudioClient {
  createPictureModelingJob(input: CreateJobInput): Promise<UpstreamResult<CreatePictureModelingJobResponse>>;
  createPictureModelingByUrlJob(input: CreateJobByUrlInput): Promise<UpstreamResult<CreatePictureModelingJobResponse>>;
  showPictureModelingJob(jobId: string, options?: CallOptions): Promise<UpstreamResult<PictureModelingInfo>>;
  listPictureModelingJobs(input?: ListJobsInput): Promise<UpstreamResult<ListPictureModelingJobsResponse>>;
  listAssetSummary(assetIds: readonly string[], options?: CallOptions): Promise<UpstreamResult<ListAssetSummaryResponse>>;
  showAsset(assetId: string, options?: CallOptions): Promise<UpstreamResult<ShowAssetResponse>>;
  listStyles(input?: ListStylesInput): Promise<UpstreamResult<ListStylesResponse>>;
  close(): Promise<void>;
}

const STYLIZED = '/digital-human/stylized';

export function createMetaStudioClient(options: MetaStudioClientOptions): MetaStudioClient {
  const endpoint = new URL(options.endpoint);
  const transport = createTransport({
    endpoint,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    onCall: options.onCall,
  });
  const signing = (): SigningContext => ({
    endpoint,
    projectId: options.projectId,
    credentials: options.credentials,
    securityToken: options.securityToken,
    iamToken: options.iamToken,
  });

  const { budget } = options;

  /**
   * A read (or the asset summary POST), each attempt in its budget slot. A throttled one
   * is sent again once the budget allows (at least 2 s later) while its queue time lasts.
   */
  async function paced<T>(operation: string, call: CallOptions | undefined, send: (pace: (() => Promise<Turn>) | undefined) => Promise<UpstreamResult<T>>) {
    if (!budget) return send(undefined);
    const op = OPERATION_BUDGET[operation]!;
    const deadline = performance.now() + (call?.maxWaitMs ?? budget.queueTimeoutMs);
    for (;;) {
      try {
        return await send(() => budget.take(op, { signal: call?.signal, deadline }));
      } catch (error) {
        if (!isUpstreamThrottle(error)) throw error;
        const notBefore = await budget.throttled(op, error.message);
        if (notBefore >= deadline) throw upstreamBusy(notBefore - performance.now(), `MetaStudio's rate limit for ${op} calls is fully used`);
        await sleep(notBefore - performance.now(), undefined, call?.signal ? { signal: call.signal } : undefined);
      }
    }
  }

  /**
   * A create waits its turn in the fair queue; one throttled upstream goes back to the
   * head of its principal's line while its queue time lasts, never to the caller.
   */
  async function queued<T>(
    operation: 'create' | 'createByUrl',
    input: CallOptions & { queue?: QueueTurn | undefined },
    send: (turn: Turn) => Promise<UpstreamResult<T>>,
    /** Before a throttled create is queued again: false when it cannot be sent again. */
    rewind: () => Promise<boolean> = async () => true,
  ): Promise<UpstreamResult<T>> {
    if (!budget) return send(UNPACED);
    const deadline = performance.now() + budget.queueTimeoutMs;
    let notBefore: number | undefined;
    for (let attempt = 0; ; attempt++) {
      let turn: Turn;
      try {
        turn = await budget.takeCreateTurn(operation, {
          principal: input.queue?.principal ?? '',
          idempotencyKey: input.queue?.idempotencyKey,
          signal: input.queue?.signal ?? input.signal,
          deadline,
          front: attempt > 0,
          notBefore,
        });
      } catch (error) {
        // The caller went away while waiting: nothing was sent, so nothing was created.
        if (!isMetaStudioError(error)) throw upstreamBusy(0, 'The caller went away while this create waited for its turn');
        throw error;
      }
      try {
        return await send(turn);
      } catch (error) {
        if (!isUpstreamThrottle(error)) throw error;
        const again = await rewind();
        notBefore = await budget.throttled(operation, error.message);
        if (!again) throw upstreamBusy(2000, 'MetaStudio throttled this create after much of its photo had been sent, so it cannot be sent again');
      } finally {
        turn.release();
      }
    }
  }

  // async so that input refused while preparing (e.g. a non-ASCII X-App-UserId) rejects, never throws.
  async function get<T>(operation: string, spec: Omit<RequestSpec, 'method'>, call: CallOptions | undefined) {
    const prepared = prepareRequest(signing(), { ...spec, method: 'GET', appUserId: call?.appUserId });
    return paced(operation, call, (pace) => transport.send<T>(prepared, { operation, signal: call?.signal, retry: true, pace }));
  }

  function prepareJson(path: string, value: unknown, call: CallOptions | undefined) {
    return prepareRequest(signing(), { method: 'POST', path, body: { kind: 'json', value }, appUserId: call?.appUserId });
  }

  async function postJson<T>(operation: string, path: string, value: unknown, call: CallOptions | undefined) {
    const prepared = prepareJson(path, value, call);
    return paced(operation, call, (pace) => transport.send<T>(prepared, { operation, signal: call?.signal, pace }));
  }

  return {
    async createPictureModelingJob(input) {
      const fields: Array<[string, string]> = [
        ['style_id', input.styleId],
        ['name', input.name],
      ];
      if (input.notifyUrl) fields.push(['notify_url', input.notifyUrl]);
      // Checked before any wait: a header value that cannot be sent is refused at once.
      if (input.appUserId !== undefined) assertAppUserId(input.appUserId);
      const photo = createReplayableStream(input.file.stream, REPLAY_KEEP_BYTES);
      try {
        return await queued(
          'create',
          input,
          (turn) => {
            const multipart = encodeMultipart(fields, 'file', { ...input.file, stream: photo.pass() });
            const prepared = prepareRequest(signing(), {
              method: 'POST',
              path: `${STYLIZED}/picture-modelings`,
              body: { kind: 'multipart', contentType: multipart.contentType },
              appUserId: input.appUserId,
            });
            // Never retried on a fault: a create is not idempotent. Only a throttled one (never seen by MetaStudio) is sent again.
            return transport.send(prepared, { operation: 'CreatePictureModelingJob', stream: multipart.body, signal: input.signal, turn });
          },
          () => photo.rewind(),
        );
      } finally {
        photo.release();
      }
    },

    async createPictureModelingByUrlJob(input) {
      const body: Record<string, string> = { picture_url: input.pictureUrl, style_id: input.styleId, name: input.name };
      if (input.notifyUrl) body['notify_url'] = input.notifyUrl;
      const prepared = prepareJson(`${STYLIZED}/picture-modelings-by-url`, body, input);
      return queued('createByUrl', input, (turn) => transport.send(prepared, { operation: 'CreatePictureModelingByUrlJob', signal: input.signal, turn }));
    },

    showPictureModelingJob(jobId, call) {
      return get('ShowPictureModelingJob', { path: `${STYLIZED}/picture-modelings/${encodeRfc3986(jobId)}` }, call);
    },

    listPictureModelingJobs(input = {}) {
      if (input.limit !== undefined && (input.limit < 1 || input.limit > 100)) {
        return Promise.reject(invalidParameter('limit must be between 1 and 100'));
      }
      if (input.offset !== undefined && input.offset < 0) {
        return Promise.reject(invalidParameter('offset must not be negative'));
      }
      return get(
        'ListPictureModelingJobs',
        {
          path: `${STYLIZED}/picture-modelings`,
          query: {
            offset: input.offset,
            limit: input.limit,
            state: input.states && input.states.length > 0 ? input.states.join(',') : undefined,
            sort_key: input.sortKey,
            sort_dir: input.sortDir,
            create_since: input.createSince,
            create_until: input.createUntil,
          },
        },
        input,
      );
    },

    listAssetSummary(assetIds, call) {
      return postJson('ListAssetSummary', '/digital-assets/summarys', { asset_ids: [...assetIds] }, call);
    },

    showAsset(assetId, call) {
      return get('ShowAsset', { path: `/digital-assets/${encodeRfc3986(assetId)}` }, call);
    },

    listStyles(input = {}) {
      return get(
        'ListStyles',
        {
          path: '/styles',
          query: {
            offset: input.offset,
            limit: input.limit,
            style_id: input.styleId,
            name: input.name,
            sex: input.sex,
            state: input.state,
          },
        },
        input,
      );
    },

    close: () => transport.close(),
  };
}
