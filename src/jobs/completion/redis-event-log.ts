/**
 * The job event log in Redis, shared by every instance: a stream per principal (XADD ids
 * as cursors, trimmed by age with MINID and by length with MAXLEN), beside a hash of the
 * latest state logged per job, both under the principal's hash tag so a Redis Cluster
 * keeps them in one slot. One script appends and PUBLISHes, so live listeners on every
 * instance get events in the stream's order.
 */
import type { RedisClient } from '../store/redis-connection.js';
import { defineScript } from '../store/redis/script.js';
import { stateRank, type JobRecord } from '../model/job-record.js';
import { ACCOUNT_STREAM, type EventLogLimits, type JobEvent, type JobEventLog } from './event-log.js';

// encodeURIComponent never yields '%' followed by a letter past F, so no principal's tag is the account's.
const tag = (stream: string) => (stream === ACCOUNT_STREAM ? '{%account}' : `{${encodeURIComponent(stream)}}`);
const streamKey = (stream: string) => `msgw:events:${tag(stream)}`;
const latestKey = (stream: string) => `msgw:events:${tag(stream)}:latest`;
/** The pub/sub channel of a stream: the topic name on the backend's EventTarget. */
const channel = (stream: string) => `pictureModelingJobUpdated:${tag(stream)}`;

/**
 * Logs the job unless the latest state logged for it ranks as high (a repeat or a stale
 * reading), trims the stream, and publishes the event with its cursor. Replies with the
 * new entry's id, or null when nothing was logged.
 */
const APPEND = defineScript({
  keys: ['stream', 'latest'],
  // publish: PUBLISH, or SPUBLISH on a Cluster.
  args: ['jobId', 'rank', 'job', 'minId', 'maxLen', 'channel', 'retentionMs', 'publish'],
  lua: `
local latest = tonumber(redis.call('HGET', KEY.latest, ARG.jobId) or '-1')
if latest >= tonumber(ARG.rank) then return false end
local id = redis.call('XADD', KEY.stream, 'MINID', '~', ARG.minId, '*', 'job', ARG.job)
redis.call('XTRIM', KEY.stream, 'MAXLEN', '~', ARG.maxLen)
redis.call('HSET', KEY.latest, ARG.jobId, ARG.rank)
redis.call('PEXPIRE', KEY.stream, ARG.retentionMs)
redis.call('PEXPIRE', KEY.latest, ARG.retentionMs)
redis.call(ARG.publish, ARG.channel, '{"cursor":"' .. id .. '","job":' .. ARG.job .. '}')
return id`,
  reply: (raw) => (typeof raw === 'string' ? raw : undefined),
});

/**
 * `sharded`: on a Cluster the backend's event target listens with SSUBSCRIBE, so the script
 * publishes with SPUBLISH; the channel carries the stream's hash tag, so it is in the
 * script's slot.
 */
export function createRedisEventLog(redis: RedisClient, eventTarget: EventTarget, limits: EventLogLimits, sharded: boolean): JobEventLog {
  return {
    async append(stream, job) {
      const id = await APPEND.run(redis, {
        keys: { stream: streamKey(stream), latest: latestKey(stream) },
        args: {
          jobId: job.jobId,
          rank: stateRank(job.state),
          job: JSON.stringify(job),
          minId: Date.now() - limits.retentionMs,
          maxLen: limits.maxPerStream,
          channel: channel(stream),
          retentionMs: limits.retentionMs,
          publish: sharded ? 'SPUBLISH' : 'PUBLISH',
        },
      });
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
