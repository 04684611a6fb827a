/** RegistrationStore on SQLite: the registrations and idempotency tables (the quota also counts jobs). */
import type Database from 'better-sqlite3';
import type { JobRecord } from '../../model/job-record.js';
import { REGISTRATION_FIELDS, settled } from '../records.js';
import type { IdempotencyClaim, NewRegistration, Registration, RegistrationStore } from '../store.js';
import type { JobTable } from './jobs.js';
import { recordTable } from './record-table.js';

type Held = { nonce: string; fingerprint: string };

export function createSqliteRegistrations(db: Database.Database, jobs: JobTable, now: () => number): RegistrationStore {
  const registrations = recordTable(db, 'registrations', REGISTRATION_FIELDS, 'nonce');
  const read = (nonce: string) => {
    const found = registrations.get(nonce);
    return found && settled(found);
  };
  const linkRegistration = db.prepare("UPDATE registrations SET job_id = ?, status = 'linked' WHERE nonce = ?");
  const markEarly = db.prepare('UPDATE registrations SET early_hit = 1 WHERE nonce = ?');
  const markUnanswered = db.prepare("UPDATE registrations SET status = 'unanswered' WHERE nonce = ? AND job_id IS NULL");
  const deleteRegistration = db.prepare('DELETE FROM registrations WHERE nonce = ?');
  const selectUnlinked = db.prepare('SELECT * FROM registrations WHERE job_id IS NULL AND created_at < ? ORDER BY created_at LIMIT ?');
  const pruneLinked = db.prepare('DELETE FROM registrations WHERE job_id IS NOT NULL AND created_at < ?');
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
  const deleteIdempotent = db.prepare('DELETE FROM idempotency WHERE owner = ? AND key = ? AND nonce = ?');
  const pruneIdempotent = db.prepare('DELETE FROM idempotency WHERE expires_at <= ?');
  const held = (owner: string, key: string, at: number) => selectIdempotent.get(owner, key, at) as Held | undefined;

  const open = db.transaction((r: NewRegistration, maxActive: number, idem: IdempotencyClaim | undefined) => {
    const at = now();
    const existing = idem && held(r.owner, idem.key, at);
    if (existing) return { ok: false as const, reason: 'duplicate' as const, existing };
    if ((countActive.get({ owner: r.owner }) as number) >= maxActive) return { ok: false as const, reason: 'quota' as const };
    registrations.insert({ ...r, jobId: null, status: 'creating', earlyHit: false });
    if (idem) {
      pruneIdempotent.run(at);
      upsertIdempotent.run({ owner: r.owner, key: idem.key, nonce: r.nonce, fingerprint: idem.fingerprint, expiresAt: at + idem.ttlMs });
    }
    return { ok: true as const };
  });
  const link = db.transaction((nonce: string, record: JobRecord) => {
    jobs.insertOrKeep(record);
    linkRegistration.run(record.jobId, nonce);
    return { record: jobs.get(record.jobId)!, earlyHit: read(nonce)?.earlyHit ?? false };
  });
  const remove = db.transaction((r: Pick<Registration, 'nonce' | 'owner' | 'idempotencyKey'>) => {
    deleteRegistration.run(r.nonce);
    if (r.idempotencyKey) deleteIdempotent.run(r.owner, r.idempotencyKey, r.nonce);
  });

  return {
    async openRegistration(registration, maxActive, idempotency) {
      return open(registration, maxActive, idempotency);
    },
    async linkRegistration(nonce, record) {
      return link(nonce, record);
    },
    async findRegistration(nonce) {
      return read(nonce);
    },
    async markEarlyCallback(nonce) {
      markEarly.run(nonce);
    },
    async markUnanswered(nonce) {
      markUnanswered.run(nonce);
    },
    async removeRegistration(registration) {
      remove(registration);
    },
    async listUnlinked(before, limit) {
      return registrations.all(selectUnlinked, before, limit).map(settled);
    },
    async pruneRegistrations(before) {
      return pruneLinked.run(before).changes;
    },
    async findIdempotent(owner, key) {
      return held(owner, key, now());
    },
  };
}
