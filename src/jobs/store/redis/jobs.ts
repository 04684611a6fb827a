/** JobStore on Redis: each job a JSON document, with its indexes kept by Lua scripts. */
import { isTerminal } from '../../../metastudio/types.js';
import { mergeUpstream, type JobRecord } from '../../model/job-record.js';
import type { RedisClient } from '../redis-connection.js';
import type { JobStore } from '../store.js';
import { jobDocument } from './encoding.js';
import type { StoreKeys } from './keys.js';
import { defineScript } from './script.js';

/** Stores a job unless one is there, with its indexes: the owner's, and pending/active while unfinished. */
export const STORE_JOB_LUA = `
local function store_job(job, pending, owner, active, record, id, created, unfinished)
  if redis.call('SET', job, record, 'NX') then
    redis.call('ZADD', owner, created, id)
    if unfinished == '1' then
      redis.call('ZADD', pending, created, id)
      redis.call('SADD', active, id)
    end
  end
end`;

/** The job's side of a store_job call: its keys and arguments, named. */
export function storeJobCall(keys: StoreKeys, record: JobRecord) {
  return {
    keys: { job: keys.job(record.jobId), pending: keys.pending, owner: keys.owner(record.owner), active: keys.active(record.owner) },
    args: { record: jobDocument.encode(record), jobId: record.jobId, createdAt: record.createdAt, unfinished: isTerminal(record.state) ? '0' : '1' },
  };
}

const parse = (raw: unknown): JobRecord | undefined => (typeof raw === 'string' ? jobDocument.decode(raw) : undefined);

const insertJob = defineScript({
  keys: ['job', 'pending', 'owner', 'active'],
  args: ['record', 'jobId', 'createdAt', 'unfinished'],
  lua: `${STORE_JOB_LUA}
store_job(KEY.job, KEY.pending, KEY.owner, KEY.active, ARG.record, ARG.jobId, ARG.createdAt, ARG.unfinished)
return redis.call('GET', KEY.job)`,
  reply: (raw) => parse(raw)!,
});

/** SET the job only if it is still what we read; when it turns terminal it leaves pending and active. */
const swapJob = defineScript({
  keys: ['job', 'pending', 'active'],
  args: ['read', 'record', 'terminal', 'jobId'],
  lua: `
if redis.call('GET', KEY.job) == ARG.read then
  redis.call('SET', KEY.job, ARG.record)
  if ARG.terminal == '1' then
    redis.call('ZREM', KEY.pending, ARG.jobId)
    redis.call('SREM', KEY.active, ARG.jobId)
  end
  return 1
end
return 0`,
  reply: (raw) => raw === 1,
});

export function createRedisJobs(redis: RedisClient, keys: StoreKeys, now: () => number): JobStore {
  return {
    async insertJob(record) {
      return insertJob.run(redis, storeJobCall(keys, record));
    },
    async getJob(jobId) {
      return parse(await redis.get(keys.job(jobId)));
    },
    async getJobs(jobIds) {
      const ids = [...new Set(jobIds)];
      const out = new Map<string, JobRecord>();
      if (ids.length === 0) return out;
      const raws = await redis.mget(ids.map(keys.job));
      raws.forEach((raw, i) => {
        const record = parse(raw);
        if (record) out.set(ids[i]!, record);
      });
      return out;
    },
    async applyUpstream(jobId, info) {
      for (let attempt = 0; attempt < 10; attempt++) {
        const read = await redis.get(keys.job(jobId));
        const current = parse(read);
        if (!current) return undefined;
        const result = mergeUpstream(current, info, now());
        if (result.record === current) return result;
        const swapped = await swapJob.run(redis, {
          keys: { job: keys.job(jobId), pending: keys.pending, active: keys.active(current.owner) },
          args: { read: read!, record: jobDocument.encode(result.record), terminal: isTerminal(result.record.state) ? '1' : '0', jobId },
        });
        if (swapped) return result;
      }
      throw new Error(`job ${jobId} kept changing under concurrent updates`);
    },
    async listPendingJobIds(limit) {
      return redis.zrange(keys.pending, 0, limit - 1);
    },
    async listJobs(owner, query) {
      // A principal's jobs are read whole and filtered here: fine for the hundreds one person makes.
      const ids = await redis.zrevrange(keys.owner(owner), 0, -1);
      const records = ids.length ? (await redis.mget(ids.map(keys.job))).map(parse).filter((r): r is JobRecord => !!r) : [];
      const states = query.states && query.states.length > 0 ? new Set(query.states) : undefined;
      const matching = states ? records.filter((r) => states.has(r.state)) : records;
      return { total: matching.length, jobs: matching.slice(query.offset, query.offset + query.limit) };
    },
  };
}
