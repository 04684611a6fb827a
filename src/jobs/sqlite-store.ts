/** JobStore on SQLite (better-sqlite3, WAL): the embedded store for one instance. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { PictureModelingInfo } from '../metastudio/types.js';
import { mergeUpstream, type JobRecord } from './job-record.js';
import type { CallbackRegistration, JobStore } from './job-store.js';

/** Append only: each entry runs once, in order, inside a transaction. */
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
];

interface JobRow {
  job_id: string;
  model_asset_id: string | null;
  owner: string;
  style_id: string | null;
  name: string | null;
  state: string;
  start_time: string | null;
  end_time: string | null;
  model_cover_url: string | null;
  error_code: string | null;
  error_msg: string | null;
  callback_nonce: string | null;
  notify_url: string | null;
  app_user_id: string | null;
  created_at: number;
  updated_at: number;
}

function toRecord(row: JobRow): JobRecord {
  return {
    jobId: row.job_id,
    modelAssetId: row.model_asset_id,
    owner: row.owner,
    styleId: row.style_id,
    name: row.name,
    state: row.state as JobRecord['state'],
    startTime: row.start_time,
    endTime: row.end_time,
    modelCoverUrl: row.model_cover_url,
    errorCode: row.error_code,
    errorMsg: row.error_msg,
    callbackNonce: row.callback_nonce,
    notifyUrl: row.notify_url,
    appUserId: row.app_user_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRow(r: JobRecord): JobRow {
  return {
    job_id: r.jobId,
    model_asset_id: r.modelAssetId,
    owner: r.owner,
    style_id: r.styleId,
    name: r.name,
    state: r.state,
    start_time: r.startTime,
    end_time: r.endTime,
    model_cover_url: r.modelCoverUrl,
    error_code: r.errorCode,
    error_msg: r.errorMsg,
    callback_nonce: r.callbackNonce,
    notify_url: r.notifyUrl,
    app_user_id: r.appUserId,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

export function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (applied.has(version)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
    })();
  });
}

export function createSqliteStore(path: string): JobStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  const columns = Object.keys(toRow({} as JobRecord));
  const insertJob = db.prepare(
    `INSERT INTO jobs (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')}) ON CONFLICT(job_id) DO NOTHING`,
  );
  const updateJob = db.prepare(
    `UPDATE jobs SET ${columns
      .filter((c) => c !== 'job_id')
      .map((c) => `${c} = @${c}`)
      .join(', ')} WHERE job_id = @job_id`,
  );
  const selectJob = db.prepare('SELECT * FROM jobs WHERE job_id = ?');
  const selectPending = db.prepare(
    "SELECT job_id FROM jobs WHERE state IN ('WAITING', 'PROCESSING') ORDER BY created_at LIMIT ?",
  ).pluck();
  const insertCallback = db.prepare('INSERT INTO callbacks (nonce, job_id, owner, created_at) VALUES (?, NULL, ?, ?)');
  const selectCallback = db.prepare('SELECT * FROM callbacks WHERE nonce = ?');
  const linkCallback = db.prepare('UPDATE callbacks SET job_id = ? WHERE nonce = ?');
  const markEarly = db.prepare('UPDATE callbacks SET early_hit = 1 WHERE nonce = ?');
  const insertSecret = db.prepare('INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING');
  const selectSecret = db.prepare('SELECT value FROM secrets WHERE name = ?').pluck();
  const takeLease = db.prepare(
    `INSERT INTO leases (key, holder, expires_at) VALUES (@key, @holder, @expires)
     ON CONFLICT(key) DO UPDATE SET holder = @holder, expires_at = @expires
     WHERE leases.expires_at < @now OR leases.holder = @holder`,
  );

  const readJob = (jobId: string) => {
    const row = selectJob.get(jobId) as JobRow | undefined;
    return row ? toRecord(row) : undefined;
  };
  const readCallback = (nonce: string): CallbackRegistration | undefined => {
    const row = selectCallback.get(nonce) as
      | { nonce: string; job_id: string | null; owner: string; created_at: number; early_hit: number }
      | undefined;
    return row && { nonce: row.nonce, jobId: row.job_id, owner: row.owner, createdAt: row.created_at, earlyHit: row.early_hit === 1 };
  };
  const apply = db.transaction((jobId: string, info: PictureModelingInfo) => {
    const current = readJob(jobId);
    if (!current) return undefined;
    const result = mergeUpstream(current, info);
    if (result.record !== current) updateJob.run(toRow(result.record));
    return result;
  });
  const link = db.transaction((nonce: string, jobId: string) => {
    linkCallback.run(jobId, nonce);
    return { earlyHit: readCallback(nonce)?.earlyHit ?? false };
  });

  return {
    async registerCallback(r) {
      insertCallback.run(r.nonce, r.owner, r.createdAt);
    },
    async linkCallback(nonce, jobId) {
      return link(nonce, jobId);
    },
    async findCallback(nonce) {
      return readCallback(nonce);
    },
    async markEarlyCallback(nonce) {
      markEarly.run(nonce);
    },
    async insertJob(record) {
      insertJob.run(toRow(record));
      return readJob(record.jobId)!;
    },
    async getJob(jobId) {
      return readJob(jobId);
    },
    async getJobs(jobIds) {
      const out = new Map<string, JobRecord>();
      for (const id of new Set(jobIds)) {
        const record = readJob(id);
        if (record) out.set(id, record);
      }
      return out;
    },
    async applyUpstream(jobId, info) {
      return apply(jobId, info);
    },
    async listPendingJobIds(limit) {
      return selectPending.all(limit) as string[];
    },
    async getOrCreateSecret(name, generate) {
      insertSecret.run(name, generate());
      return selectSecret.get(name) as string;
    },
    async acquireLease(key, holder, ttlMs) {
      const now = Date.now();
      return takeLease.run({ key, holder, expires: now + ttlMs, now }).changes > 0;
    },
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
