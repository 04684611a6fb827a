/**
 * The job event log in SQLite, for one instance: a table beside the store's (its own
 * connection to the same file), row ids as cursors (AUTOINCREMENT, so a trimmed id is
 * never reused), live events through an in-process EventTarget.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setMaxListeners } from 'node:events';
import Database from 'better-sqlite3';
import { stateRank, type JobRecord } from '../model/job-record.js';
import type { EventLogLimits, JobEvent, JobEventLog } from './event-log.js';

export function createSqliteEventLog(path: string, limits: EventLogLimits): JobEventLog {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS job_events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      stream TEXT NOT NULL,
      job_id TEXT NOT NULL,
      rank INTEGER NOT NULL,
      at INTEGER NOT NULL,
      job TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS job_events_by_stream ON job_events (stream, id);
    CREATE INDEX IF NOT EXISTS job_events_by_job ON job_events (stream, job_id, rank);
  `);
  const latestRank = db.prepare('SELECT MAX(rank) FROM job_events WHERE stream = ? AND job_id = ?').pluck();
  const insert = db.prepare('INSERT INTO job_events (stream, job_id, rank, at, job) VALUES (?, ?, ?, ?, ?)');
  const trimByAge = db.prepare('DELETE FROM job_events WHERE stream = ? AND at < ?');
  const trimByCount = db.prepare(
    'DELETE FROM job_events WHERE stream = ? AND id <= (SELECT id FROM job_events WHERE stream = ? ORDER BY id DESC LIMIT 1 OFFSET ?)',
  );
  const readAfter = db.prepare('SELECT id, job FROM job_events WHERE stream = ? AND id > ? ORDER BY id LIMIT ?');

  const append = db.transaction((stream: string, job: JobRecord): JobEvent | undefined => {
    const rank = stateRank(job.state);
    const latest = latestRank.get(stream, job.jobId) as number | null;
    if (latest !== null && latest >= rank) return undefined;
    const now = Date.now();
    const { lastInsertRowid } = insert.run(stream, job.jobId, rank, now, JSON.stringify(job));
    trimByAge.run(stream, now - limits.retentionMs);
    trimByCount.run(stream, stream, limits.maxPerStream);
    return { cursor: String(lastInsertRowid), job };
  });

  const live = new EventTarget();
  setMaxListeners(0, live);
  return {
    async append(stream, job) {
      const event = append(stream, job);
      if (event) live.dispatchEvent(new CustomEvent(stream, { detail: event }));
      return event;
    },
    async read(stream, after, limit) {
      const rows = readAfter.all(stream, after === undefined ? 0 : Number(after.split('-')[0]), limit) as Array<{ id: number; job: string }>;
      return rows.map((row) => ({ cursor: String(row.id), job: JSON.parse(row.job) as JobRecord }));
    },
    listen(stream, listener) {
      const handler = (event: Event) => listener((event as CustomEvent<JobEvent>).detail);
      live.addEventListener(stream, handler);
      return () => live.removeEventListener(stream, handler);
    },
    async close() {
      db.close();
    },
  };
}
