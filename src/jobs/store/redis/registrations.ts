/**
 * RegistrationStore on Redis: a registration is a hash that expires with its notify_url
 * token; the owner's active set and the unlinked zset index it, and an idempotency key is
 * a document that Redis expires. Every change touching several keys is one script.
 */
import type { RedisClient } from '../redis-connection.js';
import type { Registration, RegistrationStore } from '../store.js';
import { evalDurably, UnreplicatedError } from './durable.js';
import { jobDocument, pairsToHash, registrationHash } from './encoding.js';
import { STORE_JOB_LUA, storeJobCall } from './jobs.js';
import type { StoreKeys } from './keys.js';
import { defineScript } from './script.js';

type Held = { nonce: string; fingerprint: string };

/** HSET every field of a JSON object (what registrationHash encoded). */
const HSET_JSON_LUA = `
local function hset_json(key, json)
  local flat = {}
  for name, value in pairs(cjson.decode(json)) do
    flat[#flat + 1] = name
    flat[#flat + 1] = value
  end
  redis.call('HSET', key, unpack(flat))
end`;

const openRegistration = defineScript({
  keys: ['active', 'registration', 'unlinked'],
  optionalKeys: ['idempotency'],
  args: ['maxActive', 'nonce', 'createdAt', 'ttlSeconds', 'fields'],
  optionalArgs: ['held', 'heldTtlMs'],
  lua: `${HSET_JSON_LUA}
if KEY.idempotency then
  local held = redis.call('GET', KEY.idempotency)
  if held then return {'duplicate', held} end
end
if redis.call('SCARD', KEY.active) >= tonumber(ARG.maxActive) then return {'quota'} end
hset_json(KEY.registration, ARG.fields)
redis.call('EXPIRE', KEY.registration, ARG.ttlSeconds)
redis.call('SADD', KEY.active, 'r:' .. ARG.nonce)
redis.call('ZADD', KEY.unlinked, ARG.createdAt, ARG.nonce)
if KEY.idempotency then redis.call('SET', KEY.idempotency, ARG.held, 'PX', ARG.heldTtlMs) end
return {'ok'}`,
  reply: (raw) => raw as [outcome: 'ok' | 'quota' | 'duplicate', held?: string],
});

/** Stores the job (unless one is there) and, if the registration is still there, links it. */
const linkRegistration = defineScript({
  keys: ['registration', 'job', 'pending', 'owner', 'active', 'unlinked'],
  args: ['nonce', 'record', 'jobId', 'createdAt', 'unfinished', 'linked'],
  lua: `${STORE_JOB_LUA}
${HSET_JSON_LUA}
store_job(KEY.job, KEY.pending, KEY.owner, KEY.active, ARG.record, ARG.jobId, ARG.createdAt, ARG.unfinished)
redis.call('SREM', KEY.active, 'r:' .. ARG.nonce)
redis.call('ZREM', KEY.unlinked, ARG.nonce)
if redis.call('EXISTS', KEY.registration) == 1 then hset_json(KEY.registration, ARG.linked) end
return {redis.call('GET', KEY.job), redis.call('HGETALL', KEY.registration)}`,
  reply: (raw) => raw as [record: string, registration: string[]],
});

/** Forgets the registration, and its idempotency key if this registration still holds it. */
const removeRegistration = defineScript({
  keys: ['registration', 'active', 'unlinked'],
  optionalKeys: ['idempotency'],
  args: ['nonce'],
  lua: `
redis.call('DEL', KEY.registration)
redis.call('SREM', KEY.active, 'r:' .. ARG.nonce)
redis.call('ZREM', KEY.unlinked, ARG.nonce)
if KEY.idempotency then
  local held = redis.call('GET', KEY.idempotency)
  if held and cjson.decode(held).nonce == ARG.nonce then redis.call('DEL', KEY.idempotency) end
end
return 1`,
  reply: () => undefined,
});

export interface RedisRegistrationOptions {
  /** Registrations expire with their notify_url tokens. */
  ttlSeconds: number;
  waitReplicas: number;
}

export function createRedisRegistrations(redis: RedisClient, keys: StoreKeys, options: RedisRegistrationOptions): RegistrationStore {
  const read = async (nonce: string): Promise<Registration | undefined> => registrationHash.decode(await redis.hgetall(keys.registration(nonce)));
  const remove = (r: Pick<Registration, 'nonce' | 'owner' | 'idempotencyKey'>) =>
    removeRegistration.run(redis, {
      keys: {
        registration: keys.registration(r.nonce),
        active: keys.active(r.owner),
        unlinked: keys.unlinked,
        idempotency: r.idempotencyKey ? keys.idempotency(r.owner, r.idempotencyKey) : undefined,
      },
      args: { nonce: r.nonce },
    });

  return {
    async openRegistration(r, maxActive, idem) {
      const call = openRegistration.evalArguments({
        keys: {
          active: keys.active(r.owner),
          registration: keys.registration(r.nonce),
          unlinked: keys.unlinked,
          idempotency: idem ? keys.idempotency(r.owner, idem.key) : undefined,
        },
        args: {
          maxActive,
          nonce: r.nonce,
          createdAt: r.createdAt,
          ttlSeconds: options.ttlSeconds,
          fields: JSON.stringify(registrationHash.encode({ ...r, jobId: null, status: 'creating', earlyHit: false })),
          held: idem ? JSON.stringify({ nonce: r.nonce, fingerprint: idem.fingerprint } satisfies Held) : undefined,
          heldTtlMs: idem?.ttlMs,
        },
      });
      let raw: unknown;
      try {
        raw = await evalDurably(redis, options.waitReplicas, call);
      } catch (error) {
        if (!(error instanceof UnreplicatedError)) throw error;
        // A refusal (quota, a held key) wrote nothing a failover could lose: it stands.
        if ((error.value as string[] | undefined)?.[0] !== 'ok') raw = error.value;
        else {
          // A failover could discard this intent: withdraw it (best effort) and send nothing.
          await remove({ ...r, idempotencyKey: idem ? idem.key : null }).catch(() => {});
          throw error;
        }
      }
      const [outcome, held] = openRegistration.reply(raw);
      if (outcome === 'duplicate') return { ok: false, reason: 'duplicate', existing: JSON.parse(held!) as Held };
      if (outcome === 'quota') return { ok: false, reason: 'quota' };
      return { ok: true };
    },
    async linkRegistration(nonce, record) {
      const job = storeJobCall(keys, record);
      const [stored, registration] = await linkRegistration.run(redis, {
        keys: { ...job.keys, registration: keys.registration(nonce), unlinked: keys.unlinked },
        args: { ...job.args, nonce, linked: JSON.stringify(registrationHash.encodeProgress({ jobId: record.jobId, status: 'linked' })) },
      });
      return { record: jobDocument.decode(stored), earlyHit: registrationHash.decodeProgress(pairsToHash(registration)).earlyHit };
    },
    findRegistration: read,
    async markEarlyCallback(nonce) {
      await redis.hset(keys.registration(nonce), registrationHash.encodeProgress({ earlyHit: true }));
    },
    async markUnanswered(nonce) {
      await redis.hset(keys.registration(nonce), registrationHash.encodeProgress({ status: 'unanswered' }));
    },
    async removeRegistration(r) {
      await remove(r);
    },
    async listUnlinked(before, limit) {
      const nonces = await redis.zrangebyscore(keys.unlinked, '-inf', `(${before}`, 'LIMIT', 0, limit);
      const found = await Promise.all(nonces.map(read));
      const out: Registration[] = [];
      for (const [i, r] of found.entries()) {
        if (r && !r.jobId) out.push(r);
        // Expired with its token: nothing can adopt it any more.
        else if (!r) await redis.zrem(keys.unlinked, nonces[i]!);
      }
      return out;
    },
    async pruneRegistrations() {
      // Registrations expire with their tokens (EXPIRE at creation).
      return 0;
    },
    async findIdempotent(owner, key) {
      const raw = await redis.get(keys.idempotency(owner, key));
      return raw ? (JSON.parse(raw) as Held) : undefined;
    },
  };
}
