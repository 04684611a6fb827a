/** The GatewayStore on SQLite (better-sqlite3, WAL): the embedded store for one instance. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { GatewayStore } from '../store.js';
import type { StoreOptions } from '../store-options.js';
import { createSqliteJobs, jobTable } from './jobs.js';
import { createSqliteLeases } from './leases.js';
import { migrate } from './migrations.js';
import { createSqliteRegistrations } from './registrations.js';
import { createSqliteSecrets } from './secrets.js';

export function createSqliteStore(path: string, options: StoreOptions = {}): GatewayStore {
  const now = options.now ?? Date.now;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db, now);

  const jobs = jobTable(db);
  return {
    ...createSqliteJobs(db, jobs, now),
    ...createSqliteRegistrations(db, jobs, now),
    ...createSqliteSecrets(db),
    ...createSqliteLeases(db, now),
    async ready() {
      try {
        db.prepare('SELECT 1').get();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
