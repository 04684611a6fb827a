/**
 * The stored records, each declared once (field -> SQLite column and kind). Their types,
 * SQLite rows and Redis encodings all derive from these declarations, so a new field is a
 * line here plus a migration in sqlite/migrations.ts (see shape.ts for the kinds).
 */
import type { JobState } from '../../metastudio/types.js';
import { field, flag, integer, nullableText, text, textOf, type RecordOf } from './shape.js';

/** A job as the gateway keeps it (the type is JobRecord, in ../model/job-record.ts). */
export const JOB_FIELDS = {
  jobId: field('job_id', text),
  modelAssetId: field('model_asset_id', nullableText),
  /** The principal that created it (ACCOUNT_OWNER for jobs made by other means). */
  owner: field('owner', text),
  styleId: field('style_id', nullableText),
  name: field('name', nullableText),
  state: field('state', textOf<JobState>()),
  startTime: field('start_time', nullableText),
  endTime: field('end_time', nullableText),
  modelCoverUrl: field('model_cover_url', nullableText),
  errorCode: field('error_code', nullableText),
  errorMsg: field('error_msg', nullableText),
  /** The callback registration (nonce) whose token is in this job's notify_url. */
  callbackNonce: field('callback_nonce', nullableText),
  /** The client's own URL for relayed completions. */
  notifyUrl: field('notify_url', nullableText),
  appUserId: field('app_user_id', nullableText),
  createdAt: field('created_at', integer),
  updatedAt: field('updated_at', integer),
};

/** What a registration records when it is opened, and never changes after (Redis keeps it as one document). */
export const REGISTRATION_INTENT_FIELDS = {
  /** The nonce of the notify_url token. */
  nonce: field('nonce', text),
  owner: field('owner', text),
  /** Unique per account upstream: what reconciliation matches on. */
  name: field('name', text),
  styleId: field('style_id', text),
  notifyUrl: field('notify_url', nullableText),
  appUserId: field('app_user_id', nullableText),
  idempotencyKey: field('idempotency_key', nullableText),
  createdAt: field('created_at', integer),
};

export type RegistrationStatus = 'creating' | 'unanswered' | 'linked';

/** What changes as the create goes on (Redis keeps each as a hash field of its own). */
export const REGISTRATION_PROGRESS_FIELDS = {
  /** Null until the create answered or the job was adopted. */
  jobId: field('job_id', nullableText),
  /** `creating` while the create call runs; `unanswered` once it ended without telling us the job id. */
  status: field('status', textOf<RegistrationStatus>()),
  /** A callback came while the job id was unknown. */
  earlyHit: field('early_hit', flag),
};

export const REGISTRATION_FIELDS = { ...REGISTRATION_INTENT_FIELDS, ...REGISTRATION_PROGRESS_FIELDS };

export type StoredJob = RecordOf<typeof JOB_FIELDS>;
export type StoredRegistration = RecordOf<typeof REGISTRATION_FIELDS>;

/** A registration that has its job is linked, whatever a late markUnanswered wrote. */
export function settled<R extends Pick<StoredRegistration, 'jobId' | 'status'>>(registration: R): R {
  return registration.jobId && registration.status !== 'linked' ? { ...registration, status: 'linked' } : registration;
}
