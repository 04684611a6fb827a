/** LeaseStore on Redis: a lease is a key Redis itself expires (PX). */
import type { RedisClient } from '../redis-connection.js';
import type { LeaseStore } from '../store.js';
import type { StoreKeys } from './keys.js';
import { defineScript } from './script.js';

/** Take the lease if it is free (or expired), or renew it for its holder. */
const takeOrRenew = defineScript({
  keys: ['lease'],
  args: ['holder', 'ttlMs'],
  lua: `
local current = redis.call('GET', KEY.lease)
if current == false or current == ARG.holder then
  redis.call('SET', KEY.lease, ARG.holder, 'PX', ARG.ttlMs)
  return 1
end
return 0`,
  reply: (raw) => raw === 1,
});

export function createRedisLeases(redis: RedisClient, keys: StoreKeys): LeaseStore {
  return {
    acquireLease: (key, holder, ttlMs) => takeOrRenew.run(redis, { keys: { lease: keys.lease(key) }, args: { holder, ttlMs } }),
  };
}
