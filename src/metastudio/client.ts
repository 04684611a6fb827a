/**
 * The MetaStudio client: one function per upstream operation, each returning the parsed
 * body and the upstream X-Request-Id, or throwing one MetaStudioError.
 */
import { invalidParameter } from '../errors.js';
import { encodeMultipart, type StreamedFile } from './multipart-body.js';
import { prepareRequest, type RequestSpec, type SigningContext } from './requests.js';
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
}

export interface CallOptions {
  /** Sent as X-App-UserId; printable ASCII only, refused before any call otherwise. */
  appUserId?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface CreateJobInput extends CallOptions {
  file: StreamedFile;
  styleId: string;
  name: string;
  notifyUrl?: string | undefined;
}

export interface CreateJobByUrlInput extends CallOptions {
  pictureUrl: string;
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

  // async so that input refused while preparing (e.g. a non-ASCII X-App-UserId) rejects, never throws.
  async function get<T>(operation: string, spec: Omit<RequestSpec, 'method'>, call: CallOptions | undefined) {
    const prepared = prepareRequest(signing(), { ...spec, method: 'GET', appUserId: call?.appUserId });
    return transport.send<T>(prepared, { operation, signal: call?.signal, retry: true });
  }

  async function postJson<T>(operation: string, path: string, value: unknown, call: CallOptions | undefined) {
    const prepared = prepareRequest(signing(), {
      method: 'POST',
      path,
      body: { kind: 'json', value },
      appUserId: call?.appUserId,
    });
    return transport.send<T>(prepared, { operation, signal: call?.signal });
  }

  return {
    async createPictureModelingJob(input) {
      const fields: Array<[string, string]> = [
        ['style_id', input.styleId],
        ['name', input.name],
      ];
      if (input.notifyUrl) fields.push(['notify_url', input.notifyUrl]);
      const multipart = encodeMultipart(fields, 'file', input.file);
      const prepared = prepareRequest(signing(), {
        method: 'POST',
        path: `${STYLIZED}/picture-modelings`,
        body: { kind: 'multipart', contentType: multipart.contentType },
        appUserId: input.appUserId,
      });
      // Never retried: the file stream can be read once, and a create is not idempotent.
      return transport.send(prepared, { operation: 'CreatePictureModelingJob', stream: multipart.body, signal: input.signal });
    },

    async createPictureModelingByUrlJob(input) {
      const body: Record<string, string> = { picture_url: input.pictureUrl, style_id: input.styleId, name: input.name };
      if (input.notifyUrl) body['notify_url'] = input.notifyUrl;
      return postJson('CreatePictureModelingByUrlJob', `${STYLIZED}/picture-modelings-by-url`, body, input);
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
