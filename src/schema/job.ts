import { JOB_STATES } from '../metastudio/types.js';
import type { JobRecord } from '../jobs/model/job-record.js';
import { DigitalAssetRef } from './asset.js';
import { builder } from './builder.js';
import { GatewayErrorCode, isMetaStudioError } from '../errors.js';
import { subscriptionError } from '../jobs/completion/completion-stream.js';
import { loadVisibleJob } from './loaders.js';

export const JobStateEnum = builder.enumType('PictureModelingJobState', {
  values: JOB_STATES,
  description: 'SUCCEED, PARTIAL_SUCCEED (model made, screenshot failed), FAILED and CANCELED are terminal',
});

const ErrorInfoRef = builder
  .objectRef<{ errorCode: string | null; errorMsg: string | null }>('PictureModelingJobErrorInfo')
  .implement({
    fields: (t) => ({
      errorCode: t.string({ nullable: true, resolve: (e) => e.errorCode }),
      errorMsg: t.string({ nullable: true, resolve: (e) => e.errorMsg }),
    }),
  });

export const PictureModelingJobRef = builder.objectRef<JobRecord>('PictureModelingJob');

builder.node(PictureModelingJobRef, {
  id: { resolve: (j) => j.jobId, description: 'Equals jobId, so normalized client caches (Apollo Client, urql Graphcache, Relay) merge updates' },
  // node(id:) and nodes(ids:) read like pictureModelingJob: the caller's jobs only, and
  // another principal's job costs nothing upstream and reads exactly like an unknown id.
  loadWithoutCache: async (id, ctx) => {
    try {
      return await loadVisibleJob(ctx.loaders, ctx.principal, id);
    } catch (error) {
      if (isMetaStudioError(error) && (error.code === GatewayErrorCode.JOB_NOT_FOUND || (error.origin === 'UPSTREAM' && error.httpStatus === 404))) return null;
      throw isMetaStudioError(error) ? subscriptionError(error) : error;
    }
  },
  fields: (t) => ({
    jobId: t.exposeID('jobId'),
    state: t.field({ type: JobStateEnum, resolve: (j) => j.state }),
    name: t.string({ nullable: true, resolve: (j) => j.name }),
    styleId: t.string({ nullable: true, resolve: (j) => j.styleId }),
    modelAssetId: t.id({ nullable: true, resolve: (j) => j.modelAssetId }),
    modelCoverUrl: t.string({ nullable: true, resolve: (j) => j.modelCoverUrl }),
    startTime: t.string({ nullable: true, description: 'RFC 3339', resolve: (j) => j.startTime }),
    endTime: t.string({ nullable: true, description: 'RFC 3339', resolve: (j) => j.endTime }),
    errorInfo: t.field({
      type: ErrorInfoRef,
      nullable: true,
      resolve: (j) => (j.errorCode || j.errorMsg ? { errorCode: j.errorCode, errorMsg: j.errorMsg } : null),
    }),
    modelAsset: t.field({
      type: DigitalAssetRef,
      nullable: true,
      description: 'Batched: one ListAssetSummary call per 100 assets in a request, however many jobs',
      resolve: (j, _args, ctx) => (j.modelAssetId ? ctx.loaders.asset.load(j.modelAssetId) : null),
    }),
  }),
});
