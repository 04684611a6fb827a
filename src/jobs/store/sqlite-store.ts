/** JobStore on SQLite (better-sqlite3, WAL): the embedded store for one instance. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { PictureModelingInfo } from '../../metastudio/types.js';
import { mergeUpstream, type JobRecord } from '../model/job-record.js';
import type { GatewayStore, Registration } from './store.js';

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

interface RegistrationRow {
  nonce: string;
  owner: string;
  name: string;
  style_id: string;
  notify_url: string | null;
  app_user_id: string | null;
  idempotency_key: string | null;
  created_at: number;
  job_id: string | null;
  status: string;
  early_hit: number;
}

function toRegistration(row: RegistrationRow): Registration {
  return {
    nonce: row.nonce,
    owner: row.owner,
    name: row.name,
    styleId: row.style_id,
    notifyUrl: row.notify_url,
    appUserId: row.app_user_id,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
    jobId: row.job_id,
    status: row.job_id ? 'linked' : (row.status as Registration['status']),
    earlyHit: row.early_hit === 1,
  };
}

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

export function createSqliteStore(path: string): GatewayStore {
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
  const insertRegistration = db.prepare(
    `INSERT INTO registrations (nonce, owner, name, style_id, notify_url, app_user_id, idempotency_key, created_at, job_id, status)
     VALUES (@nonce, @owner, @name, @styleId, @notifyUrl, @appUserId, @idempotencyKey, @createdAt, NULL, 'creating')`,
  );
  const selectRegistration = db.prepare('SELECT * FROM registrations WHERE nonce = ?');
  const linkRegistration = db.prepare("UPDATE registrations SET job_id = ?, status = 'linked' WHERE nonce = ?");
  const markEarly = db.prepare('UPDATE registrations SET early_hit = 1 WHERE nonce = ?');
  const markUnanswered = db.prepare("UPDATE registrations SET status = 'unanswered' WHERE nonce = ? AND job_id IS NULL");
  const deleteRegistration = db.prepare('DELETE FROM registrations WHERE nonce = ?');
  const selectUnlinked = db.prepare('SELECT * FROM registrations WHERE job_id IS NULL AND created_at < ? ORDER BY created_at LIMIT ?');
  const countActive = db
    .prepare(
      `SELECT (SELECT COUNT(*) FROM jobs WHERE owner = @owner AND state IN ('WAITING', 'PROCESSING'))
            + (SELECT COUNT(*) FROM registrations WHERE owner = @owner AND job_id IS NULL)`,
    )
    .pluck();
  const selectIdempotent = db.prepare('SELECT nonce, fingerprint FROM idempotency WHERE owner = ? AND key = ? AND expires_at > ?');
  const upsertIdempotent = db.prepare(
    `INSERT INTO idempotency (owner, key, nonce, fingerprint, expires_at) VALUES (@owner, @key, @nonce, @fingerprint, @expiresAt)
     ON CONFLICT(owner, key) DO UPDATE SET nonce = @nonce, fingerprint = @fingerprint, expires_at = @expiresAt`,
  );
  const pruneLinked = db.prepare('DELETE FROM registrations WHERE job_id IS NOT NULL AND created_at < ?');
  const deleteIdempotent = db.prepare('DELETE FROM idempotency WHERE owner = ? AND key = ? AND nonce = ?');
  const pruneIdempotent = db.prepare('DELETE FROM idempotency WHERE expires_at <= ?');
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
  const readRegistration = (nonce: string): Registration | undefined => {
    const row = selectRegistration.get(nonce) as RegistrationRow | undefined;
    return row && toRegistration(row);
  };
  const apply = db.transaction((jobId: string, info: PictureModelingInfo) => {
    const current = readJob(jobId);
    if (!current) return undefined;
    const result = mergeUpstream(current, info);
    if (result.record !== current) updateJob.run(toRow(result.record));
    return result;
  });
  const open = db.transaction((r: Parameters<GatewayStore['openRegistration']>[0], maxActive: number, idem: Parameters<GatewayStore['openRegistration']>[2]) => {
    const now = Date.now();
    if (idem) {
      const existing = selectIdempotent.get(r.owner, idem.key, now) as { nonce: string; fingerprint: string } | undefined;
      if (existing) return { ok: false as const, reason: 'duplicate' as const, existing };
    }
    if ((countActive.get({ owner: r.owner }) as number) >= maxActive) return { ok: false as const, reason: 'quota' as const };
    insertRegistration.run(r);
    if (idem) {
      pruneIdempotent.run(now);
      upsertIdempotent.run({ owner: r.owner, key: idem.key, nonce: r.nonce, fingerprint: idem.fingerprint, expiresAt: now + idem.ttlMs });
    }
    return { ok: true as const };
  });
  const link = db.transaction((nonce: string, record: JobRecord) => {
    insertJob.run(toRow(record));
    linkRegistration.run(record.jobId, nonce);
    return { record: readJob(record.jobId)!, earlyHit: readRegistration(nonce)?.earlyHit ?? false };
  });
  const remove = db.transaction((r: { nonce: string; owner: string; idempotencyKey: string | null }) => {
    deleteRegistration.run(r.nonce);
    if (r.idempotencyKey) deleteIdempotent.run(r.owner, r.idempotencyKey, r.nonce);
  });
  const selectOwnerJobs = (states: readonly string[] | undefined) => {
    const filter = states && states.length > 0 ? ` AND state IN (${states.map(() => '?').join(', ')})` : '';
    return {
      count: db.prepare(`SELECT COUNT(*) FROM jobs WHERE owner = ?${filter}`).pluck(),
      page: db.prepare(`SELECT * FROM jobs WHERE owner = ?${filter} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`),
    };
  };

  return {
    async openRegistration(registration, maxActive, idempotency) {
      return open(registration, maxActive, idempotency);
    },
    async linkRegistration(nonce, record) {
      return link(nonce, record);
    },
    async findRegistration(nonce) {
      return readRegistration(nonce);
    },
    async markEarlyCallback(nonce) {
      markEarly.run(nonce);
    },
    async markUnanswered(nonce) {
      markUnanswered.run(nonce);
    },
    async removeRegistration(registration) {
      remove({ nonce: registration.nonce, owner: registration.owner, idempotencyKey: registration.idempotencyKey });
    },
    async listUnlinked(before, limit) {
      return (selectUnlinked.all(before, limit) as RegistrationRow[]).map(toRegistration);
    },
    async pruneRegistrations(before) {
      return pruneLinked.run(before).changes;
    },
    async findIdempotent(owner, key) {
      return selectIdempotent.get(owner, key, Date.now()) as { nonce: string; fingerprint: string } | undefined;
    },
    async listJobs(owner, query) {
      const states = query.states ? [...new Set(query.states)] : undefined;
      const statements = selectOwnerJobs(states);
      const total = statements.count.get(owner, ...(states ?? [])) as number;
      const rows = statements.page.all(owner, ...(states ?? []), query.limit, query.offset) as JobRow[];
      return { total, jobs: rows.map(toRecord) };
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
