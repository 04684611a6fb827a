import { GraphQLUpload } from 'graphql-upload-minimal';
import { createJobFromUpload, type CreatedJob } from '../uploads/create-job-from-upload.js';
import { builder } from './builder.js';
import { PictureModelingJobRef } from './job.js';
import { MetaStudioError } from '../metastudio/errors.js';
import { orMssError } from './mss-error.js';

builder.addScalarType('Upload', GraphQLUpload, {});

const CreateInput = builder.inputType('CreatePictureModelingJobInput', {
  fields: (t) => ({
    file: t.field({ type: 'Upload', required: true, description: 'jpg/jpeg/png, at most 3840x2160 (either orientation)' }),
    styleId: t.string({ required: true, description: 'e.g. system_female_001' }),
    name: t.string({ required: true, description: 'Model name, unique within the account; at most 64 characters' }),
    notifyUrl: t.string({ required: false, description: 'Optional: the gateway relays the completion to this URL, signed' }),
    appUserId: t.string({ required: false, description: 'Sent upstream as X-App-UserId; ASCII only' }),
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
          return await ctx.loaders.job.load(c.jobId);
        } catch {
          // The job exists; upstream just could not show it right now.
          return c.record;
        }
      },
    }),
  }),
});

builder.mutationType({
  fields: (t) => ({
    createPictureModelingJob: t.field({
      type: CreatedRef,
      args: { input: t.arg({ type: CreateInput, required: true }) },
      errors: { types: [MetaStudioError], union: { name: 'CreatePictureModelingJobResult' } },
      resolve: (_root, { input }, ctx) => orMssError(ctx.log, () => createJobFromUpload(ctx.services, input, ctx.principal, ctx.log)),
    }),
  }),
});
