/**
 * createPictureModelingJob: judge the photo by its header while it streams in, then run
 * the shared create flow with the photo streamed upstream behind it.
 */
import { principalAsAppUserId } from '../jobs/create/app-user-id.js';
import type { FileUpload } from 'graphql-upload-minimal';
import type { Principal } from '../auth/authenticator.js';
import { checkFields, createJob, type CreatedJob, type CreateFields } from '../jobs/create/create-job.js';
import { invalidParameter, isMetaStudioError, tooManyUploads, tooManyUploadsForPrincipal } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Services } from '../services.js';
import { MIME_TYPES } from './image-header.js';
import { inspectPhoto, letGo, tooLarge, type InspectedPhoto, type PhotoSource } from './photo-stream.js';
import { requestUploads, type RequestUploads, type UploadFacts } from './use-streaming-uploads.js';

export interface CreateJobInput extends CreateFields {
  file: Promise<FileUpload> | FileUpload;
}

export async function createJobFromUpload(
  services: Services,
  input: CreateJobInput,
  principal: Principal,
  log: Logger = services.log,
  /** Aborted when the caller goes away (a create waiting for the budget then leaves unsent). */
  signal?: AbortSignal,
  /** The request's files, from the context; outside a multipart request nothing is known of them. */
  uploads: RequestUploads = requestUploads(),
): Promise<CreatedJob> {
  const { config, client, metrics } = services;
  const started = performance.now();
  let source: PhotoSource | undefined;
  let photo: InspectedPhoto | undefined;
  let counted = false;
  // A photo that was being read is detached from its reader first (see letGo).
  const discard = () => {
    if (!source) return;
    const read = source;
    if (photo) void photo.detach().then(() => letGo(read), () => letGo(read));
    else letGo(read);
  };
  try {
    const fields = checkFields(input, config.relayAllowPrivate);
    // Before a byte of the photo is read: a caller cannot make the gateway wait on more than its share.
    const slot = services.uploadSlots.take(principal.id);
    if (slot !== true) {
      metrics.refusals.inc({ reason: slot === 'principal' ? 'too_many_uploads_per_principal' : 'too_many_uploads' });
      throw slot === 'principal' ? tooManyUploadsForPrincipal(config.security.maxUploadsPerPrincipal) : tooManyUploads(config.limits.maxConcurrentUploads);
    }
    counted = true;
    let upload: FileUpload;
    try {
      upload = await input.file;
    } catch (error) {
      throw invalidParameter(`The photo could not be read from the request: ${(error as Error).message}`);
    }
    try {
      source = uploads.take(upload);
    } catch (error) {
      // graphql-upload-minimal throws the file's own failure here (cut off, malformed body).
      throw invalidParameter(`The photo could not be read from the request: ${(error as Error).message}`);
    }
    const facts = uploads.factsOf(upload);
    const hint = facts?.sizeHint;
    const created = await createJob(
      services,
      principal,
      fields,
      {
        source: 'upload',
        async prepare() {
          // Known to be too large from Content-Length: refuse before reading the photo at all.
          if (hint && hint.min > config.maxUploadBytes) throw tooLarge(config.maxUploadBytes);
          photo = await inspectPhoto(source!, { maxBytes: config.maxUploadBytes });
        },
        discard,
        signal,
        // The photo is not read further until the create's turn in the budget comes (back-pressure).
        send: (notifyUrl, turn) =>
          client.createPictureModelingJob({
            ...turn,
            // The name and type sent upstream come from the bytes, never from the client.
            file: { name: `photo.${photo!.format === 'png' ? 'png' : 'jpg'}`, type: MIME_TYPES[photo!.format], stream: fromClient(photo!.body, facts) },
            styleId: fields.styleId,
            name: fields.name,
            notifyUrl,
            appUserId: fields.appUserId ?? principalAsAppUserId(principal),
          }),
      },
      log,
      (done) => log.info({ jobId: done.jobId, upstreamRequestId: done.requestId, bytes: photo?.bytesRead() ?? 0 }, 'picture-modeling job created'),
    );
    const bytes = photo?.bytesRead() ?? 0;
    metrics.uploads.inc({ result: 'created' });
    metrics.uploadBytes.inc(bytes);
    metrics.uploadSeconds.observe({ result: 'created' }, (performance.now() - started) / 1000);
    return created;
  } catch (error) {
    // A photo we refused must not keep the client's request hanging on backpressure, nor
    // (in a request with several files) hold up the files behind it: one refused before it
    // was read is let go as it arrives.
    if (source) discard();
    else Promise.resolve(input.file).then((file) => uploads.letGoIfUntaken(file), () => {});
    const result = isMetaStudioError(error) ? (error.origin === 'GATEWAY' && error.httpStatus < 500 ? 'refused' : 'upstream_error') : 'error';
    metrics.uploads.inc({ result });
    metrics.uploadSeconds.observe({ result }, (performance.now() - started) / 1000);
    throw error;
  } finally {
    if (counted) services.uploadSlots.release(principal.id);
  }
}

/**
 * The photo as the client sends it: a failure on the client's side (it broke off, went
 * idle, or sent parts beyond the file) is ours to report, and the upstream request is
 * aborted before its last byte, so MetaStudio never sees a complete create.
 */
function fromClient(body: AsyncIterable<Uint8Array>, facts: UploadFacts | undefined): AsyncIterable<Uint8Array> {
  const photo = body[Symbol.asyncIterator]();
  // An iterator object, not an async generator: a generator suspended on the next pull keeps
  // the chunk it yielded last in its registers, one pinned chunk per upload.
  // Both already fail as the client's errors: the photo's body (photo-stream.ts, nextFromClient)
  // and the body's judgement (use-streaming-uploads.ts) throw MetaStudioErrors only.
  const next = async (): Promise<IteratorResult<Uint8Array>> => {
    const result = await photo.next();
    if (result.done) await facts?.complete;
    return result;
  };
  const iterator: AsyncIterableIterator<Uint8Array> = {
    next,
    return: async () => (await photo.return?.()) ?? { value: undefined, done: true },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
