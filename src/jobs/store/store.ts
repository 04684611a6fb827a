/**
 * What the gateway keeps, split by concern. SQLite implements it for one instance, Redis
 * for several; every method is atomic on its own in both (one transaction, one Lua
 * script), and test/store-contract.test.ts runs the same cases against both.
 */
import type { JobState, PictureModelingInfo } from '../../metastudio/types.js';
import type { JobRecord, MergeResult } from '../model/job-record.js';
import type { StoredRegistration } from './records.js';

/**
 * The intent to create a job, recorded before the upstream create is sent, so that a job
 * whose create answer never arrives (timeout, dropped connection, a crash) can still be
 * recognised by its callback or by reconciling with ListPictureModelingJobs. Its fields
 * are declared in records.ts.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, not an alias: messages and hovers then say Registration
export interface Registration extends StoredRegistration {}

export type NewRegistration = Omit<Registration, 'jobId' | 'status' | 'earlyHit'>;

export interface IdempotencyClaim {
  key: string;
  /** Hash of the create's input: the same key with another input is refused. */
  fingerprint: string;
  ttlMs: number;
}

export type OpenResult =
  | { ok: true }
  | { ok: false; reason: 'quota' }
  | { ok: false; reason: 'duplicate'; existing: { nonce: string; fingerprint: string } };

export interface RegistrationStore {
  /**
   * Records the intent, unless the owner already has `maxActive` unfinished jobs and
   * creates, or `idempotency.key` is already held (then the holder is returned).
   */
  openRegistration(registration: NewRegistration, maxActive: number, idempotency?: IdempotencyClaim): Promise<OpenResult>;
  /**
   * The job is known: stores `record` (keeping one already stored, e.g. by a racing
   * adoption) and links the registration to it, in one step. Reports whether a callback came first.
   */
  linkRegistration(nonce: string, record: JobRecord): Promise<{ record: JobRecord; earlyHit: boolean }>;
  findRegistration(nonce: string): Promise<Registration | undefined>;
  markEarlyCallback(nonce: string): Promise<void>;
  /** The create ended without an answer: keep the registration for adoption. */
  markUnanswered(nonce: string): Promise<void>;
  /** Upstream refused the create (or it was never sent): forget it, and its idempotency key. */
  removeRegistration(registration: Registration | NewRegistration): Promise<void>;
  /** Registrations still without a job id, created before `before`, oldest first. */
  listUnlinked(before: number, limit: number): Promise<Registration[]>;
  /** Forgets linked registrations created before `before` (their notify_url tokens have expired); returns how many. */
  pruneRegistrations(before: number): Promise<number>;
  /** The registration holding an idempotency key, if the key is still held. */
  findIdempotent(owner: string, key: string): Promise<{ nonce: string; fingerprint: string } | undefined>;
}

export interface JobListQuery {
  offset: number;
  limit: number;
  states?: readonly JobState[] | undefined;
}

export interface JobStore {
  /** Inserts, or keeps the existing record if one is already there. */
  insertJob(record: JobRecord): Promise<JobRecord>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  getJobs(jobIds: readonly string[]): Promise<Map<string, JobRecord>>;
  /** Applies an upstream reading with mergeUpstream, atomically. */
  applyUpstream(jobId: string, info: PictureModelingInfo): Promise<MergeResult | undefined>;
  /** Jobs not yet terminal, oldest first. */
  listPendingJobIds(limit: number): Promise<string[]>;
  /** One owner's jobs, newest first. */
  listJobs(owner: string, query: JobListQuery): Promise<{ total: number; jobs: JobRecord[] }>;
}

export interface SecretStore {
  /** A secret generated once and shared by every instance using this store. */
  getOrCreateSecret(name: string, generate: () => string): Promise<string>;
}

export interface LeaseStore {
  /** True if `holder` now holds `key` for `ttlMs` (or already did). */
  acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean>;
}

export interface GatewayStore extends JobStore, RegistrationStore, SecretStore, LeaseStore {
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
