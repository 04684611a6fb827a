import { getOperationAST, Kind, type DocumentNode } from 'graphql';
import { openCompletionStream } from '../jobs/completion/completion-stream.js';
import type { Principal } from '../auth/authenticator.js';
import type { JobRecord } from '../jobs/model/job-record.js';
import { builder } from './builder.js';
import { PictureModelingJobRef } from './job.js';
import { createLoaders } from './loaders.js';
import type { Services } from '../services.js';

/** How often a stream re-reads the store when events can be lost (Redis pub/sub). */
export const RECHECK_MS = 5000;

/** What every job stream takes from the services: the store, reads, the gauge, the re-check. */
export function jobStreamBasics(services: Services) {
  const { store, jobs, metrics, config, mayDropEvents } = services;
  return {
    store,
    jobs,
    onOpen: () => metrics.activeSubscriptions.inc(),
    onClose: () => metrics.activeSubscriptions.dec(),
    recheckMs: mayDropEvents ? RECHECK_MS : undefined,
    rereadAfterMs: config.rereadAfterMs,
  };
}

builder.subscriptionType({
  fields: (t) => ({
    pictureModelingJobCompleted: t.field({
      type: PictureModelingJobRef,
      description:
        'With jobId: emits once when that job reaches a terminal state (SUCCEED, PARTIAL_SUCCEED, FAILED, CANCELED) and completes; ' +
        'emits at once if the job is already terminal. Without jobId: every completion of the caller\'s jobs.',
      args: { jobId: t.arg.id({ required: false }) },
      subscribe: (_root, { jobId }, ctx) => {
        const { bus, client } = ctx.services;
        return openCompletionStream(
          { ...jobStreamBasics(ctx.services), bus, client },
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

/**
 * A key under which identical subscriptions may share one execution, or undefined. Only
 * the all-jobs form qualifies: with a jobId each subscriber reads the store when it
 * starts, so a late one must not join a stream that has already looked.
 */
export function broadcastKey(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  query: string,
  principal: Principal,
): string | undefined {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation || operation.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return undefined;
  const field = operation.selectionSet.selections[0]!;
  if (field.kind !== Kind.FIELD || field.name.value !== 'pictureModelingJobCompleted') return undefined;
  const jobId = field.arguments?.find((a) => a.name.value === 'jobId')?.value;
  if (jobId && jobId.kind !== Kind.NULL && !(jobId.kind === Kind.VARIABLE && variables?.[jobId.name.value] == null)) return undefined;
  return JSON.stringify([principal.id, principal.admin, query, operationName ?? null, variables ?? null]);
}
