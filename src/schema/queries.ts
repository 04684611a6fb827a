import { invalidParameter } from '../errors.js';
import type { StyleInfo } from '../metastudio/types.js';
import type { JobRecord } from '../jobs/model/job-record.js';
import { builder } from './builder.js';
import { JobStateEnum, PictureModelingJobRef } from './job.js';
import { listVisibleJobs, loadVisibleJob } from './loaders.js';
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
      description: "One of the caller's jobs: terminal ones from the store, the rest read upstream",
      errors: { union: { name: 'PictureModelingJobResult' } },
      resolve: (_root, { jobId }, ctx) =>
        orMssError(ctx.log, async () => {
          if (!jobId.trim()) throw invalidParameter('jobId must not be empty');
          return loadVisibleJob(ctx.loaders, ctx.principal, jobId);
        }),
    }),
    pictureModelingJobs: t.field({
      type: JobListRef,
      args: {
        offset: t.arg.int({ defaultValue: 0 }),
        limit: t.arg.int({ defaultValue: 10 }),
        states: t.arg({ type: [JobStateEnum], required: false }),
      },
      description: "The caller's jobs, newest first (for holders of the admin scope: every job of the account, from upstream)",
      errors: { union: { name: 'PictureModelingJobListResult' } },
      resolve: (_root, args, ctx) =>
        orMssError(ctx.log, async () => {
          const offset = args.offset ?? 0;
          const limit = args.limit ?? 10;
          if (limit < 1 || limit > 100) throw invalidParameter('limit must be between 1 and 100');
          if (offset < 0) throw invalidParameter('offset must not be negative');
          const { total, jobs } = await listVisibleJobs(ctx.services, ctx.loaders, ctx.principal, { offset, limit, states: args.states ?? undefined });
          return { totalCount: total, jobs };
        }),
    }),
    pictureModelingStyles: t.field({
      type: StyleListRef,
      description: 'ListStyles, for a style picker',
      errors: { union: { name: 'StyleListResult' } },
      resolve: (_root, _args, ctx) =>
        orMssError(ctx.log, async () => {
          const { data } = await ctx.services.client.listStyles();
          return { styles: data.styles ?? [] };
        }),
    }),
  }),
});
