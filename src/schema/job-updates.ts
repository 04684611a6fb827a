/** pictureModelingJobUpdated: each state change of the caller's jobs, with cursors for replays. */
import type { JobEvent } from '../jobs/completion/event-log.js';
import { openJobUpdates } from '../jobs/completion/job-updates.js';
import { builder } from './builder.js';
import { PictureModelingJobRef } from './job.js';
import { createLoaders } from './loaders.js';
import { jobStreamBasics } from './subscription.js';

const PictureModelingJobEventRef = builder.objectRef<JobEvent>('PictureModelingJobEvent').implement({
  description: 'One state change of a job, as the gateway stored it',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Pass as `after` (or SSE Last-Event-ID) to replay what came after this event' }),
    job: t.field({ type: PictureModelingJobRef, description: 'The job as it was at this event', resolve: (event) => event.job }),
  }),
});

builder.subscriptionField('pictureModelingJobUpdated', (t) =>
  t.field({
    type: PictureModelingJobEventRef,
    description:
      "Each state change of the caller's jobs (with jobId: of that job, completing after its terminal state), in order per job, at least once. " +
      'Each event has a cursor; `after` replays what the caller missed since that cursor (events are kept at least 24 hours), then goes on live ' +
      'with no gap and no duplicate. Over SSE, the Last-Event-ID header stands for `after`.',
    args: { jobId: t.arg.id({ required: false }), after: t.arg.string({ required: false }) },
    subscribe: (_root, { jobId, after }, ctx) => {
      return openJobUpdates(
        { ...jobStreamBasics(ctx.services), events: ctx.services.events },
        ctx.principal,
        jobId,
        after ?? ctx.lastEventId,
      );
    },
    resolve: (event: JobEvent, _args, ctx) => {
      // Each event is its own result: no loader cache lives as long as the subscription.
      ctx.loaders = createLoaders(ctx.services);
      return event;
    },
  }),
);
