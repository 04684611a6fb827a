import { openCompletionStream } from '../jobs/completion-stream.js';
import type { JobRecord } from '../jobs/job-record.js';
import { builder } from './builder.js';
import { PictureModelingJobRef } from './job.js';
import { createLoaders } from './loaders.js';

export const RECHECK_MS = 5000;

builder.subscriptionType({
  fields: (t) => ({
    pictureModelingJobCompleted: t.field({
      type: PictureModelingJobRef,
      description:
        'With jobId: emits once when that job reaches a terminal state (SUCCEED, PARTIAL_SUCCEED, FAILED, CANCELED) and completes; ' +
        'emits at once if the job is already terminal. Without jobId: every completion of the caller\'s jobs.',
      args: { jobId: t.arg.id({ required: false }) },
      subscribe: (_root, { jobId }, ctx) => {
        const { bus, store, jobs, metrics, config } = ctx.services;
        return openCompletionStream(
          {
            bus,
            store,
            jobs,
            onOpen: () => metrics.activeSubscriptions.inc(),
            onClose: () => metrics.activeSubscriptions.dec(),
            recheckMs: config.redisUrl ? RECHECK_MS : undefined,
          },
          ctx.principal,
          jobId,
        );
      },
      resolve: (record: JobRecord, _args, ctx) => {
        // Each event is its own result: no loader cache lives as long as the subscription.
        ctx.loaders = createLoaders(ctx.services);
        return record;
      },
    }),
  }),
});
