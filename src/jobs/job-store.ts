/**
 * What the gateway keeps about jobs. SQLite implements it for one instance, Redis for
 * several; every method is atomic on its own.
 */
import type { PictureModelingInfo } from '../metastudio/types.js';
import type { JobRecord, MergeResult } from './job-record.js';

export interface CallbackRegistration {
  nonce: string;
  /** Null until the create call has returned the job id. */
  jobId: string | null;
  owner: string;
  createdAt: number;
  /** A callback arrived before the job id was known. */
  earlyHit: boolean;
}

export interface JobStore {
  /** Before the create call: the notify_url token must resolve even if the callback beats the response. */
  registerCallback(registration: Omit<CallbackRegistration, 'jobId' | 'earlyHit'>): Promise<void>;
  /** After the create call; reports whether a callback already came. */
  linkCallback(nonce: string, jobId: string): Promise<{ earlyHit: boolean }>;
  findCallback(nonce: string): Promise<CallbackRegistration | undefined>;
  markEarlyCallback(nonce: string): Promise<void>;

  /** Inserts, or keeps the existing record if one is already there (a callback raced us). */
  insertJob(record: JobRecord): Promise<JobRecord>;
  getJob(jobId: string): Promise<JobRecord | undefined>;
  getJobs(jobIds: readonly string[]): Promise<Map<string, JobRecord>>;
  /** Applies an upstream reading with mergeUpstream, atomically. */
  applyUpstream(jobId: string, info: PictureModelingInfo): Promise<MergeResult | undefined>;
  /** Jobs not yet terminal, oldest first. */
  listPendingJobIds(limit: number): Promise<string[]>;

  /** A secret generated once and shared by every instance using this store. */
  getOrCreateSecret(name: string, generate: () => string): Promise<string>;
  /** True if `holder` now holds `key` for `ttlMs` (or already did). */
  acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean>;

  ready(): Promise<boolean>;
  close(): Promise<void>;
}
