/** createPictureModelingJobFromUrl: MetaStudio downloads the photo itself (CreatePictureModelingByUrlJob). */
import type { Principal } from '../../auth/authenticator.js';
import { invalidParameter } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Services } from '../../services.js';
import { principalAsAppUserId } from './app-user-id.js';
import { checkFields, type CreateFields } from './create-fields.js';
import { createJob, type CreatedJob } from './create-job.js';

export const MAX_PICTURE_URL_LENGTH = 2048;

export interface CreateJobFromUrlInput extends CreateFields {
  pictureUrl: string;
}

export function checkPictureUrl(raw: string): string {
  const value = raw.trim();
  if (!value) throw invalidParameter('pictureUrl is required and must not be empty');
  if (value.length > MAX_PICTURE_URL_LENGTH) throw invalidParameter(`pictureUrl must be at most ${MAX_PICTURE_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidParameter('pictureUrl must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidParameter('pictureUrl must be an absolute http(s) URL');
  if (url.username || url.password) throw invalidParameter('pictureUrl must not carry credentials');
  return url.href;
}

export async function createJobFromUrl(
  services: Services,
  input: CreateJobFromUrlInput,
  principal: Principal,
  log: Logger = services.log,
  /** Aborted when the caller goes away. */
  signal?: AbortSignal,
): Promise<CreatedJob> {
  const fields = checkFields(input, services.config.relayAllowPrivate);
  const pictureUrl = checkPictureUrl(input.pictureUrl);
  return createJob(
    services,
    principal,
    fields,
    {
      source: pictureUrl,
      signal,
      send: (notifyUrl, turn) =>
        services.client.createPictureModelingByUrlJob({
          ...turn,
          pictureUrl,
          styleId: fields.styleId,
          name: fields.name,
          notifyUrl,
          appUserId: fields.appUserId ?? principalAsAppUserId(principal),
        }),
    },
    log,
    (created) => log.info({ jobId: created.jobId, upstreamRequestId: created.requestId }, 'picture-modeling job created from a URL'),
  );
}
