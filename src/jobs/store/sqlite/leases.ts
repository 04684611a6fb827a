/** LeaseStore on SQLite: a lease row is free once `now()` has passed its expiry. */
import type Database from 'better-sqlite3';
import type { LeaseStore } from '../store.js';

export function createSqliteLeases(db: Database.Database, now: () => number): LeaseStore {
  const take = db.prepare(
    `INSERT INTO leases (key, holder, expires_at) VALUES (@key, @holder, @expires)
     ON CONFLICT(key) DO UPDATE SET holder = @holder, expires_at = @expires
     WHERE leases.expires_at < @now OR leases.holder = @holder`,
  );
  return {
    async acquireLease(key, holder, ttlMs) {
      const at = now();
      return take.run({ key, holder, expires: at + ttlMs, now: at }).changes > 0;
    },
  };
}
