/** JobStore on SQLite: the jobs table. */
import type Database from 'better-sqlite3';
import type { PictureModelingInfo } from '../../../metastudio/types.js';
import { mergeUpstream, type JobRecord } from '../../model/job-record.js';
import { JOB_FIELDS } from '../records.js';
import type { JobStore } from '../store.js';
import { recordTable, type RecordTable } from './record-table.js';

export type JobTable = RecordTable<typeof JOB_FIELDS>;

export function jobTable(db: Database.Database): JobTable {
  return recordTable(db, 'jobs', JOB_FIELDS, 'jobId');
}

export function createSqliteJobs(db: Database.Database, jobs: JobTable, now: () => number): JobStore {
  const selectPending = db.prepare("SELECT job_id FROM jobs WHERE state IN ('WAITING', 'PROCESSING') ORDER BY created_at LIMIT ?").pluck();
  const apply = db.transaction((jobId: string, info: PictureModelingInfo) => {
    const current = jobs.get(jobId);
    if (!current) return undefined;
    const result = mergeUpstream(current, info, now());
    if (result.record !== current) jobs.update(result.record);
    return result;
  });
  const ownerJobs = (states: readonly string[] | undefined) => {
    const filter = states && states.length > 0 ? ` AND state IN (${states.map(() => '?').join(', ')})` : '';
    return {
      count: db.prepare(`SELECT COUNT(*) FROM jobs WHERE owner = ?${filter}`).pluck(),
      page: db.prepare(`SELECT * FROM jobs WHERE owner = ?${filter} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`),
    };
  };

  return {
    async insertJob(record) {
      jobs.insertOrKeep(record);
      return jobs.get(record.jobId)!;
    },
    async getJob(jobId) {
      return jobs.get(jobId);
    },
    async getJobs(jobIds) {
      const out = new Map<string, JobRecord>();
      for (const id of new Set(jobIds)) {
        const record = jobs.get(id);
        if (record) out.set(id, record);
      }
      return out;
    },
    async applyUpstream(jobId, info) {
      return apply(jobId, info);
    },
    async listPendingJobIds(limit) {
      return selectPending.all(limit) as string[];
    },
    async listJobs(owner, query) {
      const states = query.states ? [...new Set(query.states)] : undefined;
      const statements = ownerJobs(states);
      const total = statements.count.get(owner, ...(states ?? [])) as number;
      return { total, jobs: jobs.all(statements.page, owner, ...(states ?? []), query.limit, query.offset) };
    },
  };
}
