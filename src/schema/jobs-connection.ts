/** pictureModelingJobsConnection: the caller's jobs as a Relay connection, newest first. */
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { isMetaStudioError } from '../errors.js';
import { subscriptionError } from '../jobs/completion/completion-stream.js';
import type { JobState } from '../metastudio/types.js';
import { builder } from './builder.js';
import type { GraphQLContext } from './context.js';
import { JobStateEnum, PictureModelingJobRef } from './job.js';
import { listVisibleJobs } from './loaders.js';

/** One page of the caller's jobs (for admins: of the account, from upstream), with the total. */
const page = (ctx: GraphQLContext, offset: number, limit: number, states: JobState[] | undefined) =>
  listVisibleJobs(ctx.services, ctx.loaders, ctx.principal, { offset, limit, states });

builder.queryField('pictureModelingJobsConnection', (t) =>
  t.connection(
    {
      type: PictureModelingJobRef,
      description: "The caller's jobs, newest first, as a Relay connection (at most 100 a page; `last` works with or without `before`)",
      args: { states: t.arg({ type: [JobStateEnum], required: false }) },
      resolve: async (_root, args, ctx) => {
        const states = args.states ?? undefined;
        try {
          // `last` without `before` counts from the end: that needs the total first.
          const totalCount = args.last != null && args.before == null ? (await page(ctx, 0, 1, states)).total : undefined;
          return await resolveOffsetConnection({ args, maxSize: 100, ...(totalCount === undefined ? {} : { totalCount }) }, async ({ offset, limit }) => (await page(ctx, offset, limit, states)).jobs);
        } catch (error) {
          throw isMetaStudioError(error) ? subscriptionError(error) : error;
        }
      },
    },
    { name: 'PictureModelingJobConnection' },
    { name: 'PictureModelingJobEdge' },
  ),
);
