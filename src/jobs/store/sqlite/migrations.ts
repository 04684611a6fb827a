/** The SQLite schema, as the migrations that build it: append only (existing databases replay none of what they already ran). */
import type Database from 'better-sqlite3';

/** Append only: each entry runs once, in order, inside a transaction. A new record field is an `ALTER TABLE ... ADD COLUMN` here. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     job_id TEXT PRIMARY KEY,
     model_asset_id TEXT,
     owner TEXT NOT NULL,
     style_id TEXT,
     name TEXT,
     state TEXT NOT NULL,
     start_time TEXT,
     end_time TEXT,
     model_cover_url TEXT,
     error_code TEXT,
     error_msg TEXT,
     callback_nonce TEXT,
     notify_url TEXT,
     app_user_id TEXT,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE INDEX jobs_pending ON jobs (created_at) WHERE state IN ('WAITING', 'PROCESSING');
   CREATE TABLE callbacks (
     nonce TEXT PRIMARY KEY,
     job_id TEXT,
     owner TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     early_hit INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE leases (key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);`,
  // Registrations record the whole intent before the create is sent (lost answers can be adopted).
  `CREATE TABLE registrations (
     nonce TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     name TEXT NOT NULL,
     style_id TEXT NOT NULL,
     notify_url TEXT,
     app_user_id TEXT,
     idempotency_key TEXT,
     created_at INTEGER NOT NULL,
     job_id TEXT,
     status TEXT NOT NULL,
     early_hit INTEGER NOT NULL DEFAULT 0
   );
   INSERT INTO registrations (nonce, owner, name, style_id, created_at, job_id, status, early_hit)
     SELECT nonce, owner, '', '', created_at, job_id, CASE WHEN job_id IS NULL THEN 'unanswered' ELSE 'linked' END, early_hit FROM callbacks;
   DROP TABLE callbacks;
   CREATE INDEX registrations_unlinked ON registrations (created_at) WHERE job_id IS NULL;
   CREATE INDEX registrations_owner_unlinked ON registrations (owner) WHERE job_id IS NULL;
   CREATE INDEX jobs_owner ON jobs (owner, created_at);
   CREATE TABLE idempotency (
     owner TEXT NOT NULL,
     key TEXT NOT NULL,
     nonce TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (owner, key)
   );`,
  // The quota check counts one owner's unfinished jobs on every create.
  `CREATE INDEX jobs_owner_pending ON jobs (owner) WHERE state IN ('WAITING', 'PROCESSING');`,
];

export function migrate(db: Database.Database, now: () => number = Date.now): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, now());
    })();
  });
}
