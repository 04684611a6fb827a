/** pictureModelingJobsConnection: the caller's jobs as a Relay connection, newest first. */
import { resolveOffsetConnection } from '@pothos/plugin-relay';
import { isMetaStudioError } from '../errors.js';
import { subscriptionError } from '../jobs/completion/completion-stream.js';
import { ACCOUNT_OWNER, recordFromUpstream, type JobRecord } from '../jobs/model/job-record.js';
import { seesWholeAccount } from '../jobs/model/visibility.js';
import type { JobState } from '../metastudio/types.js';
import { builder } from './builder.js';
import type { GraphQLContext } from './context.js';
import { JobStateEnum, PictureModelingJobRef } from './job.js';

/** One page of the caller's jobs (for admins: of the account, from upstream), with the total. */
async function page(ctx: GraphQLContext, offset: number, limit: number, states: JobState[] | undefined): Promise<{ total: number; jobs: JobRecord[] }> {
  if (seesWholeAccount(ctx.principal)) {
    const { data } = await ctx.services.client.listPictureModelingJobs({ offset, limit, states });
    const jobs = (data.picture_modeling_jobs ?? []).map((info) => recordFromUpstream(info, { owner: ACCOUNT_OWNER }));
    return { total: typeof data.count === 'number' ? data.count : jobs.length, jobs };
  }
  const result = await ctx.services.store.listJobs(ctx.principal.id, { offset, limit, states });
  for (const job of result.jobs) ctx.loaders.stored.prime(job.jobId, job);
  return result;
}

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
