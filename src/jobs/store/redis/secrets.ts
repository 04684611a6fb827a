/** SecretStore on Redis: SET NX, so the first instance's secret is everyone's. */
import type { RedisClient } from '../redis-connection.js';
import type { SecretStore } from '../store.js';
import type { StoreKeys } from './keys.js';

export function createRedisSecrets(redis: RedisClient, keys: StoreKeys): SecretStore {
  return {
    async getOrCreateSecret(name, generate) {
      await redis.set(keys.secret(name), generate(), 'NX');
      return (await redis.get(keys.secret(name)))!;
    },
  };
}
