/**
 * createPictureModelingJob end to end: check the fields, judge the photo by its header,
 * register the callback token, stream the photo upstream, record the job.
 */
import type { FileUpload } from 'graphql-upload-minimal';
import { GatewayErrorCode, invalidParameter, isMetaStudioError, MetaStudioError } from '../metastudio/errors.js';
import { assertAppUserId } from '../metastudio/requests.js';
import { ANONYMOUS, type JobRecord } from '../jobs/job-record.js';
import { checkNotifyUrl } from '../jobs/relay.js';
import type { Logger } from '../observability/logger.js';
import type { Services } from '../schema/context.js';
import { MIME_TYPES } from './image-header.js';
import { inspectPhoto, tooLarge, type PhotoSource } from './photo-stream.js';
import type { HintedFileUpload } from './use-streaming-uploads.js';

export const MAX_NAME_LENGTH = 64;
export const MAX_STYLE_ID_LENGTH = 128;

export interface CreateJobInput {
  file: Promise<FileUpload> | FileUpload;
  styleId: string;
  name: string;
  notifyUrl?: string | null | undefined;
  appUserId?: string | null | undefined;
}

export interface CreatedJob {
  jobId: string;
  modelAssetId: string;
  requestId: string | undefined;
  record: JobRecord;
}

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Checks the text fields and returns them trimmed. */
function checkFields(input: CreateJobInput, allowPrivateRelay: boolean): { styleId: string; name: string } {
  const styleId = input.styleId.trim();
  if (!styleId) throw invalidParameter('styleId is required and must not be empty');
  if (styleId.length > MAX_STYLE_ID_LENGTH || !/^[\x21-\x7e]+$/.test(styleId)) {
    throw invalidParameter(`styleId must be 1 to ${MAX_STYLE_ID_LENGTH} printable ASCII characters without spaces`);
  }
  const name = input.name.trim();
  if (!name) throw invalidParameter('name is required and must not be empty');
  if ([...name].length > MAX_NAME_LENGTH) throw invalidParameter(`name must be at most ${MAX_NAME_LENGTH} characters`);
  if (CONTROL_CHARS.test(name)) throw invalidParameter('name must not contain control characters');
  if (input.appUserId != null) assertAppUserId(input.appUserId);
  if (input.notifyUrl != null) {
    const problem = checkNotifyUrl(input.notifyUrl, allowPrivateRelay);
    if (problem) throw invalidParameter(problem);
  }
  return { styleId, name };
}

export async function createJobFromUpload(
  services: Services,
  input: CreateJobInput,
  principal = ANONYMOUS,
  log: Logger = services.log,
): Promise<CreatedJob> {
  const { config, store, tokens, client, metrics, jobs } = services;
  const started = performance.now();
  let source: PhotoSource | undefined;
  let bytes = () => 0;
  try {
    const { styleId, name } = checkFields(input, config.relayAllowPrivate);
    let upload: FileUpload;
    try {
      upload = await input.file;
    } catch (error) {
      throw invalidParameter(`The photo could not be read from the request: ${(error as Error).message}`);
    }
    source = upload.createReadStream() as unknown as PhotoSource;
    const hint = (upload as HintedFileUpload).sizeHint;
    // Known to be too large from Content-Length: refuse before calling upstream at all.
    if (hint && hint.min > config.maxUploadBytes) throw tooLarge(config.maxUploadBytes);
    const photo = await inspectPhoto(source, { maxBytes: config.maxUploadBytes });
    bytes = photo.bytesRead;

    const { nonce, token } = tokens.issue();
    try {
      await store.registerCallback({ nonce, owner: principal, createdAt: Date.now() });
    } catch (error) {
      // Without the registration the completion could not be tracked: do not create the job.
      throw new MetaStudioError({
        code: GatewayErrorCode.STORE_UNAVAILABLE,
        message: 'The gateway cannot record jobs right now; nothing was sent to MetaStudio',
        httpStatus: 503,
        origin: 'GATEWAY',
        cause: error,
      });
    }
    const { data, requestId } = await client.createPictureModelingJob({
      // The name and type sent upstream come from the bytes, never from the client.
      file: { name: `photo.${photo.format === 'png' ? 'png' : 'jpg'}`, type: MIME_TYPES[photo.format], stream: photo.body },
      styleId,
      name,
      notifyUrl: tokens.urlFor(services.publicUrl(), token),
      appUserId: input.appUserId ?? undefined,
    });
    if (typeof data.job_id !== 'string' || !data.job_id) {
      throw new MetaStudioError({
        code: GatewayErrorCode.BAD_UPSTREAM_RESPONSE,
        message: 'MetaStudio accepted the job but returned no job_id',
        httpStatus: 502,
        origin: 'GATEWAY',
        requestId,
      });
    }
    const now = Date.now();
    const created: JobRecord = {
      jobId: data.job_id,
      // Documented as always present; a missing one must not lose a job that exists.
      modelAssetId: typeof data.model_asset_id === 'string' ? data.model_asset_id : null,
      owner: principal,
      styleId,
      name,
      state: 'WAITING',
      startTime: null,
      endTime: null,
      modelCoverUrl: null,
      errorCode: null,
      errorMsg: null,
      callbackNonce: nonce,
      notifyUrl: input.notifyUrl ?? null,
      appUserId: input.appUserId ?? null,
      createdAt: now,
      updatedAt: now,
    };
    let record = created;
    try {
      record = await store.insertJob(created);
      const { earlyHit } = await store.linkCallback(nonce, data.job_id);
      if (earlyHit) {
        jobs.refresh(data.job_id).catch((error: unknown) => log.warn({ jobId: data.job_id, err: (error as Error).message }, 'early-callback re-read failed'));
      }
    } catch (error) {
      // The job exists upstream: report it created. A later subscription or query adopts it
      // from upstream; only this gateway's callback token for it is lost.
      log.error({ jobId: data.job_id, err: (error as Error).message }, 'created job could not be stored');
    }
    metrics.uploads.inc({ result: 'created' });
    metrics.uploadBytes.inc(bytes());
    metrics.uploadSeconds.observe({ result: 'created' }, (performance.now() - started) / 1000);
    log.info({ jobId: data.job_id, upstreamRequestId: requestId, bytes: bytes() }, 'picture-modeling job created');
    return { jobId: data.job_id, modelAssetId: record.modelAssetId ?? '', requestId, record };
  } catch (error) {
    // A photo we refused must not keep the client's request hanging on backpressure.
    source?.destroy?.();
    const result = isMetaStudioError(error) ? (error.origin === 'GATEWAY' && error.httpStatus === 400 ? 'refused' : 'upstream_error') : 'error';
    metrics.uploads.inc({ result });
    metrics.uploadSeconds.observe({ result }, (performance.now() - started) / 1000);
    throw error;
  }
}
