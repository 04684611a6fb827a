import { GraphQLUpload } from 'graphql-upload-minimal';
import { createJobFromUrl } from '../jobs/create/create-job-from-url.js';
import type { CreatedJob } from '../jobs/create/create-job.js';
import { createJobFromUpload } from '../uploads/create-job-from-upload.js';
import { builder } from './builder.js';
import { PictureModelingJobRef } from './job.js';
import { loadVisibleJob } from './loaders.js';
import { orMssError } from './mss-error.js';

builder.addScalarType('Upload', GraphQLUpload, {});

const IDEMPOTENCY_DESCRIPTION =
  '1-128 printable ASCII. The same key from the same caller within 24 hours returns the first attempt\'s job, with no second create';

const CreateInput = builder.inputType('CreatePictureModelingJobInput', {
  fields: (t) => ({
    file: t.field({ type: 'Upload', required: true, description: 'jpg/jpeg/png, at most 3840x2160 (either orientation)' }),
    styleId: t.string({ required: true, description: 'e.g. system_female_001' }),
    name: t.string({ required: true, description: 'Model name, unique within the account; at most 64 characters' }),
    notifyUrl: t.string({ required: false, description: 'Optional: the gateway relays the completion to this URL, signed' }),
    appUserId: t.string({ required: false, description: 'Sent upstream as X-App-UserId; ASCII only' }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_DESCRIPTION }),
  }),
});

const CreateFromUrlInput = builder.inputType('CreatePictureModelingJobFromUrlInput', {
  fields: (t) => ({
    pictureUrl: t.string({ required: true, description: 'http(s) URL of a jpg/png that MetaStudio downloads' }),
    styleId: t.string({ required: true, description: 'e.g. system_female_001' }),
    name: t.string({ required: true, description: 'Model name, unique within the account; at most 64 characters' }),
    notifyUrl: t.string({ required: false, description: 'Optional: the gateway relays the completion to this URL, signed' }),
    appUserId: t.string({ required: false, description: 'Sent upstream as X-App-UserId; ASCII only' }),
    idempotencyKey: t.string({ required: false, description: IDEMPOTENCY_DESCRIPTION }),
  }),
});

const CreatedRef = builder.objectRef<CreatedJob>('PictureModelingJobCreated').implement({
  fields: (t) => ({
    jobId: t.exposeID('jobId'),
    modelAssetId: t.exposeID('modelAssetId'),
    requestId: t.string({ nullable: true, description: 'Upstream X-Request-Id', resolve: (c) => c.requestId ?? null }),
    job: t.field({
      type: PictureModelingJobRef,
      nullable: true,
      resolve: async (c, _args, ctx) => {
        try {
          return await loadVisibleJob(ctx.loaders, ctx.principal, c.jobId);
        } catch {
          // The job exists; upstream just could not show it right now.
          return c.record;
        }
      },
    }),
  }),
});

// Both mutations share one result union: the errors plugin builds it once per result name.
const createErrors = { union: { name: 'CreatePictureModelingJobResult' }, result: { name: 'PictureModelingJobCreated' } };

builder.mutationType({
  fields: (t) => ({
    createPictureModelingJob: t.field({
      type: CreatedRef,
      args: { input: t.arg({ type: CreateInput, required: true }) },
      errors: createErrors,
      resolve: (_root, { input }, ctx) => orMssError(ctx.log, () => createJobFromUpload(ctx.services, input, ctx.principal, ctx.log, ctx.signal, ctx.uploads)),
    }),
    createPictureModelingJobFromUrl: t.field({
      type: CreatedRef,
      description: 'CreatePictureModelingByUrlJob upstream: MetaStudio downloads the photo itself',
      args: { input: t.arg({ type: CreateFromUrlInput, required: true }) },
      errors: createErrors,
      resolve: (_root, { input }, ctx) => orMssError(ctx.log, () => createJobFromUrl(ctx.services, input, ctx.principal, ctx.log, ctx.signal)),
    }),
  }),
});
