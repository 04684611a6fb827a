/**
 * The job event log in Redis, shared by every instance: a stream per principal (XADD ids
 * as cursors, trimmed by age with MINID and by length with MAXLEN), beside a hash of the
 * latest state logged per job, both under the principal's hash tag so a Redis Cluster
 * keeps them in one slot. One script appends and PUBLISHes, so live listeners on every
 * instance get events in the stream's order.
 */
import type { RedisClient } from '../store/redis-connection.js';
import { stateRank, type JobRecord } from '../model/job-record.js';
import { ACCOUNT_STREAM, type EventLogLimits, type JobEvent, type JobEventLog } from './event-log.js';

// encodeURIComponent never yields '%' followed by a letter past F, so no principal's tag is the account's.
const tag = (stream: string) => (stream === ACCOUNT_STREAM ? '{%account}' : `{${encodeURIComponent(stream)}}`);
const streamKey = (stream: string) => `msgw:events:${tag(stream)}`;
const latestKey = (stream: string) => `msgw:events:${tag(stream)}:latest`;
/** The pub/sub channel of a stream: the topic name on the backend's EventTarget. */
const channel = (stream: string) => `pictureModelingJobUpdated:${tag(stream)}`;

/** KEYS: stream, latest. ARGV: jobId, rank, job JSON, MINID, MAXLEN, channel, retention ms, PUBLISH or SPUBLISH. */
const APPEND = `
local latest = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
if latest >= tonumber(ARGV[2]) then return false end
local id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[4], '*', 'job', ARGV[3])
redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[5])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[7])
redis.call(ARGV[8], ARGV[6], '{"cursor":"' .. id .. '","job":' .. ARGV[3] .. '}')
return id`;

/**
 * `sharded`: on a Cluster the backend's event target listens with SSUBSCRIBE, so the script
 * publishes with SPUBLISH; the channel carries the stream's hash tag, so it is in the
 * script's slot.
 */
export function createRedisEventLog(redis: RedisClient, eventTarget: EventTarget, limits: EventLogLimits, sharded: boolean): JobEventLog {
  return {
    async append(stream, job) {
      const json = JSON.stringify(job);
      const args = [job.jobId, String(stateRank(job.state)), json, String(Date.now() - limits.retentionMs), String(limits.maxPerStream), channel(stream), String(limits.retentionMs), sharded ? 'SPUBLISH' : 'PUBLISH'];
      const id = (await redis.eval(APPEND, 2, streamKey(stream), latestKey(stream), ...args)) as string | null;
      return id ? { cursor: id, job } : undefined;
    },
    async read(stream, after, limit) {
      const entries = await redis.xrange(streamKey(stream), after === undefined ? '-' : `(${after.includes('-') ? after : `${after}-0`}`, '+', 'COUNT', limit);
      return entries.map(([id, fields]) => ({ cursor: id, job: JSON.parse(fields[1]!) as JobRecord }));
    },
    listen(stream, listener) {
      const handler = (event: Event) => listener((event as CustomEvent<JobEvent>).detail);
      eventTarget.addEventListener(channel(stream), handler);
      return () => eventTarget.removeEventListener(channel(stream), handler);
    },
    async close() {
      // The connections are the backend's.
    },
  };
}
