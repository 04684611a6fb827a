/**
 * DataLoaders, created fresh for each operation and each subscription event. Jobs come
 * from the store in one batch; only jobs the caller may see are then read upstream (live
 * state for unfinished ones), so an unknown or foreign id never costs an upstream call.
 * Assets are batched through ListAssetSummary, at most 100 ids a call.
 */
import DataLoader from 'dataloader';
import type { Principal } from '../auth/authenticator.js';
import { isUpstreamRefusal, jobNotFound } from '../errors.js';
import { isTerminal, type DigitalAssetSummary, type JobState } from '../metastudio/types.js';
import { ACCOUNT_OWNER, recordFromUpstream, type JobRecord } from '../jobs/model/job-record.js';
import { canSee, seesWholeAccount } from '../jobs/model/visibility.js';
import type { Services } from './context.js';

export const ASSET_BATCH_SIZE = 100;

export interface Loaders {
  /** The stored record, or null. */
  stored: DataLoader<string, JobRecord | null>;
  /** The current state of a stored, unfinished job, read upstream. */
  live: DataLoader<string, JobRecord>;
  /** For admins: a job this gateway does not hold, read upstream. */
  upstream: DataLoader<string, JobRecord>;
  /** Null for an id upstream does not return. */
  asset: DataLoader<string, DigitalAssetSummary | null>;
}

export function createLoaders(services: Pick<Services, 'store' | 'client' | 'jobs'>): Loaders {
  // Created on first use: a subscription event that touches no loader allocates none.
  let stored: Loaders['stored'] | undefined;
  let live: Loaders['live'] | undefined;
  let upstream: Loaders['upstream'] | undefined;
  let asset: Loaders['asset'] | undefined;
  const each = <T>(ids: readonly string[], read: (id: string) => Promise<T>) =>
    Promise.all(ids.map((id) => read(id).catch((error: unknown) => error as Error)));
  return {
    get stored() {
      return (stored ??= new DataLoader(async (ids) => {
        const found = await services.store.getJobs(ids);
        return ids.map((id) => found.get(id) ?? null);
      }));
    },
    get live() {
      return (live ??= new DataLoader((ids) =>
        each(ids, async (id) => {
          const refreshed = await services.jobs.refresh(id);
          if (!refreshed) throw jobNotFound(id);
          return refreshed;
        }),
      ));
    },
    get upstream() {
      return (upstream ??= new DataLoader((ids) =>
        each(ids, async (id) => {
          try {
            const { data } = await services.client.showPictureModelingJob(id);
            return recordFromUpstream({ ...data, job_id: data.job_id || id }, { owner: ACCOUNT_OWNER });
          } catch (error) {
            throw isUpstreamRefusal(error) ? jobNotFound(id) : error;
          }
        }),
      ));
    },
    get asset() {
      return (asset ??= new DataLoader<string, DigitalAssetSummary | null>(
        async (ids) => {
          const { data } = await services.client.listAssetSummary(ids);
          const byId = new Map((data.asset_list ?? []).map((a) => [a.asset_id, a]));
          return ids.map((id) => byId.get(id) ?? null);
        },
        { maxBatchSize: ASSET_BATCH_SIZE },
      ));
    },
  };
}

/**
 * A job as the caller may see it: another principal's job and an unknown id are both
 * GATEWAY.JOB_NOT_FOUND, decided from the store alone. Terminal jobs come from the store,
 * unfinished ones are read upstream.
 */
export async function loadVisibleJob(loaders: Loaders, principal: Principal, jobId: string): Promise<JobRecord> {
  const record = await loaders.stored.load(jobId);
  if (!record) {
    if (seesWholeAccount(principal)) return loaders.upstream.load(jobId);
    throw jobNotFound(jobId);
  }
  if (!canSee(principal, record)) throw jobNotFound(jobId);
  if (isTerminal(record.state)) return record;
  return loaders.live.load(jobId);
}

/**
 * One page of the jobs the caller may see, newest first, with the total: for holders of the
 * admin scope every job of the account, from upstream; for anyone else their own, from the
 * store (priming the loader, so nested reads of these jobs make no second store read).
 */
export async function listVisibleJobs(
  services: Pick<Services, 'store' | 'client'>,
  loaders: Loaders,
  principal: Principal,
  query: { offset: number; limit: number; states: readonly JobState[] | undefined },
): Promise<{ total: number; jobs: JobRecord[] }> {
  if (seesWholeAccount(principal)) {
    const { data } = await services.client.listPictureModelingJobs({ offset: query.offset, limit: query.limit, states: query.states });
    const jobs = (data.picture_modeling_jobs ?? []).map((info) => recordFromUpstream(info, { owner: ACCOUNT_OWNER }));
    return { total: typeof data.count === 'number' ? data.count : jobs.length, jobs };
  }
  const result = await services.store.listJobs(principal.id, query);
  for (const job of result.jobs) loaders.stored.prime(job.jobId, job);
  return result;
}
