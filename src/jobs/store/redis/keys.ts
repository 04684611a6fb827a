/**
 * Redis key names (prefix msgw:, or {msgw}: on a Cluster): job:<id> (JSON record), pending
 * (zset of unfinished job ids), owner:<p> (zset of a principal's job ids), active:<p> (set
 * of a principal's unfinished job ids and unlinked registrations), reg:<nonce> (hash),
 * unlinked (zset of nonces), idem:<p>:<key> (JSON, expiring), secret:<name>, lease:<key>.
 * On a Cluster the hash tag puts them all in one slot, so every script and MGET stays on
 * one shard: a job costs a few dozen commands, far below one node's capacity, and what
 * the Cluster adds is availability (a replica promoted when the shard's primary dies).
 */
export type StoreKeys = ReturnType<typeof keysUnder>;

export function keysUnder(prefix: string) {
  return {
    prefix,
    job: (id: string) => `${prefix}job:${id}`,
    registration: (nonce: string) => `${prefix}reg:${nonce}`,
    owner: (owner: string) => `${prefix}owner:${owner}`,
    active: (owner: string) => `${prefix}active:${owner}`,
    idempotency: (owner: string, key: string) => `${prefix}idem:${owner}:${key}`,
    secret: (name: string) => `${prefix}secret:${name}`,
    lease: (key: string) => `${prefix}lease:${key}`,
    pending: `${prefix}pending`,
    unlinked: `${prefix}unlinked`,
    ready: `${prefix}ready`,
  };
}
