/**
 * DataLoaders, created fresh for each operation and each subscription event. Jobs are
 * de-duplicated and terminal ones come from the store; assets are batched through
 * ListAssetSummary, at most 100 ids a call.
 */
import DataLoader from 'dataloader';
import { isTerminal, type DigitalAssetSummary } from '../metastudio/types.js';
import { recordFromUpstream, type JobRecord } from '../jobs/job-record.js';
import type { Services } from './context.js';

export const ASSET_BATCH_SIZE = 100;

export interface Loaders {
  /** Rejects with a MetaStudioError for a job upstream cannot show. */
  job: DataLoader<string, JobRecord>;
  /** Null for an id upstream does not return. */
  asset: DataLoader<string, DigitalAssetSummary | null>;
}

export function createLoaders(services: Pick<Services, 'store' | 'client' | 'jobs'>): Loaders {
  // Created on first use: a subscription event that touches no loader allocates none.
  let job: Loaders['job'] | undefined;
  let asset: Loaders['asset'] | undefined;
  return {
    get job() {
      return (job ??= new DataLoader<string, JobRecord>(async (ids) => {
        const stored = await services.store.getJobs(ids);
        return Promise.all(
          ids.map(async (id): Promise<JobRecord | Error> => {
            const record = stored.get(id);
            if (record && isTerminal(record.state)) return record;
            try {
              if (record) return (await services.jobs.refresh(id)) ?? record;
              const { data } = await services.client.showPictureModelingJob(id);
              return recordFromUpstream({ ...data, job_id: data.job_id || id });
            } catch (error) {
              return error as Error;
            }
          }),
        );
      }));
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
