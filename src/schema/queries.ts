import { invalidParameter } from '../metastudio/errors.js';
import { JOB_STATES, type StyleInfo } from '../metastudio/types.js';
import { recordFromUpstream, type JobRecord } from '../jobs/job-record.js';
import { builder } from './builder.js';
import type { GraphQLContext } from './context.js';
import { JobStateEnum, PictureModelingJobRef } from './job.js';
import { asMetaStudioError, MssErrorClass } from './mss-error.js';

const JobListRef = builder.objectRef<{ totalCount: number; jobs: JobRecord[] }>('PictureModelingJobList').implement({
  fields: (t) => ({
    totalCount: t.exposeInt('totalCount'),
    jobs: t.field({ type: [PictureModelingJobRef], resolve: (l) => l.jobs }),
  }),
});

const StyleRef = builder.objectRef<StyleInfo>('Style').implement({
  fields: (t) => ({
    styleId: t.id({ resolve: (s) => s.style_id }),
    name: t.string({ nullable: true, resolve: (s) => s.name ?? null }),
    description: t.string({ nullable: true, resolve: (s) => s.description ?? null }),
    sex: t.string({ nullable: true, resolve: (s) => s.sex ?? null }),
    tags: t.stringList({ nullable: true, resolve: (s) => s.tags ?? null }),
  }),
});

const StyleListRef = builder.objectRef<{ styles: StyleInfo[] }>('StyleList').implement({
  fields: (t) => ({ styles: t.field({ type: [StyleRef], resolve: (l) => l.styles }) }),
});

async function orMssError<T>(ctx: GraphQLContext, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw asMetaStudioError(error, ctx.log);
  }
}

builder.queryType({
  fields: (t) => ({
    pictureModelingJob: t.field({
      type: PictureModelingJobRef,
      args: { jobId: t.arg.id({ required: true }) },
      description: 'Terminal jobs from the store, the rest read upstream',
      errors: { types: [MssErrorClass], union: { name: 'PictureModelingJobResult' } },
      resolve: (_root, { jobId }, ctx) =>
        orMssError(ctx, () => {
          if (!jobId.trim()) throw invalidParameter('jobId must not be empty');
          return ctx.loaders.job.load(jobId);
        }),
    }),
    pictureModelingJobs: t.field({
      type: JobListRef,
      args: {
        offset: t.arg.int({ defaultValue: 0 }),
        limit: t.arg.int({ defaultValue: 10 }),
        states: t.arg({ type: [JobStateEnum], required: false }),
      },
      errors: { types: [MssErrorClass], union: { name: 'PictureModelingJobListResult' } },
      resolve: (_root, args, ctx) =>
        orMssError(ctx, async () => {
          const offset = args.offset ?? 0;
          const limit = args.limit ?? 10;
          if (offset < 0) throw invalidParameter('offset must not be negative');
          if (limit < 1 || limit > 100) throw invalidParameter('limit must be between 1 and 100');
          const states = args.states?.filter((s) => JOB_STATES.includes(s));
          const { data } = await ctx.services.client.listPictureModelingJobs({ offset, limit, states });
          const jobs = (data.picture_modeling_jobs ?? []).map((info) => recordFromUpstream(info));
          // Prime the per-request loader so nested reads of these jobs make no second call.
          for (const job of jobs) ctx.loaders.job.prime(job.jobId, job);
          return { totalCount: typeof data.count === 'number' ? data.count : jobs.length, jobs };
        }),
    }),
    pictureModelingStyles: t.field({
      type: StyleListRef,
      description: 'ListStyles, for a style picker',
      errors: { types: [MssErrorClass], union: { name: 'StyleListResult' } },
      resolve: (_root, _args, ctx) =>
        orMssError(ctx, async () => {
          const { data } = await ctx.services.client.listStyles();
          return { styles: data.styles ?? [] };
        }),
    }),
  }),
});
