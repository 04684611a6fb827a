import { invalidParameter, MetaStudioError } from '../metastudio/errors.js';
import type { StyleInfo } from '../metastudio/types.js';
import { recordFromUpstream, type JobRecord } from '../jobs/job-record.js';
import { builder } from './builder.js';
import { JobStateEnum, PictureModelingJobRef } from './job.js';
import { orMssError } from './mss-error.js';

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

builder.queryType({
  fields: (t) => ({
    pictureModelingJob: t.field({
      type: PictureModelingJobRef,
      args: { jobId: t.arg.id({ required: true }) },
      description: 'Terminal jobs from the store, the rest read upstream',
      errors: { types: [MetaStudioError], union: { name: 'PictureModelingJobResult' } },
      resolve: (_root, { jobId }, ctx) =>
        orMssError(ctx.log, () => {
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
      errors: { types: [MetaStudioError], union: { name: 'PictureModelingJobListResult' } },
      resolve: (_root, args, ctx) =>
        orMssError(ctx.log, async () => {
          // The client refuses out-of-range paging itself, before any call.
          const { data } = await ctx.services.client.listPictureModelingJobs({
            offset: args.offset ?? 0,
            limit: args.limit ?? 10,
            states: args.states ?? undefined,
          });
          const jobs = (data.picture_modeling_jobs ?? []).map((info) => recordFromUpstream(info));
          // Prime the per-request loader so nested reads of these jobs make no second call.
          for (const job of jobs) ctx.loaders.job.prime(job.jobId, job);
          return { totalCount: typeof data.count === 'number' ? data.count : jobs.length, jobs };
        }),
    }),
    pictureModelingStyles: t.field({
      type: StyleListRef,
      description: 'ListStyles, for a style picker',
      errors: { types: [MetaStudioError], union: { name: 'StyleListResult' } },
      resolve: (_root, _args, ctx) =>
        orMssError(ctx.log, async () => {
          const { data } = await ctx.services.client.listStyles();
          return { styles: data.styles ?? [] };
        }),
    }),
  }),
});
