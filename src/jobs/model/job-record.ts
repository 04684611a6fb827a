/** The gateway's own record of a job, and the rule that state only moves forward. */
import { isJobState, isTerminal, type JobState, type PictureModelingInfo } from '../../metastudio/types.js';

export { ANONYMOUS } from '../../auth/authenticator.js';
import { ANONYMOUS } from '../../auth/authenticator.js';
import type { NewRegistration } from '../store/store.js';
import type { StoredJob } from '../store/records.js';

/** Owner of jobs an admin looked at that this gateway did not create: no principal can be ''. */
export const ACCOUNT_OWNER = '';

/** A job as the gateway keeps it; its fields are declared once, with their storage, in ../store/records.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, not an alias: messages and hovers then say JobRecord
export interface JobRecord extends StoredJob {}

/** WAITING < PROCESSING < every terminal state; terminal states never change. */
export function stateRank(state: JobState): number {
  if (isTerminal(state)) return 2;
  return state === 'PROCESSING' ? 1 : 0;
}

export interface MergeResult {
  record: JobRecord;
  changed: boolean;
  becameTerminal: boolean;
}

/**
 * Folds an upstream reading into a record. Older or repeated readings (duplicate or
 * out-of-order callbacks, slow polls) leave the state as it is.
 */
/** Upstream states as the enum spells them; anything else is not a state. */
export function normaliseState(value: unknown): JobState | undefined {
  const upper = typeof value === 'string' ? value.trim().toUpperCase() : value;
  return isJobState(upper) ? upper : undefined;
}

export function mergeUpstream(current: JobRecord, reading: PictureModelingInfo, now = Date.now()): MergeResult {
  const state = normaliseState(reading.state);
  if (!state || isTerminal(current.state)) return { record: current, changed: false, becameTerminal: false };
  const info = { ...reading, state };
  const forward = stateRank(info.state) > stateRank(current.state);
  const sameState = info.state === current.state;
  if (!forward && !sameState) return { record: current, changed: false, becameTerminal: false };
  const record: JobRecord = {
    ...current,
    state: info.state,
    modelAssetId: info.model_asset_id ?? current.modelAssetId,
    styleId: info.style_id ?? current.styleId,
    name: info.name ?? current.name,
    startTime: info.start_time ?? current.startTime,
    endTime: info.end_time ?? current.endTime,
    modelCoverUrl: info.model_cover_url ?? current.modelCoverUrl,
    errorCode: info.error_info?.error_code ?? current.errorCode,
    errorMsg: info.error_info?.error_msg ?? current.errorMsg,
    updatedAt: now,
  };
  return { record, changed: forward, becameTerminal: forward && isTerminal(info.state) };
}

/** What a registration (the recorded intent of a create) says about the job it made. */
export type RegisteredCreate = Pick<NewRegistration, 'nonce' | 'owner' | 'name' | 'styleId' | 'notifyUrl' | 'appUserId' | 'createdAt'>;

/** The record a registered create's job starts as: WAITING, with the registration's owner, fields and nonce. */
export function recordForRegistration(registration: RegisteredCreate, info: PictureModelingInfo, now = Date.now()): JobRecord {
  return recordFromUpstream(
    { ...info, state: 'WAITING' },
    {
      owner: registration.owner,
      name: registration.name,
      styleId: registration.styleId,
      callbackNonce: registration.nonce,
      notifyUrl: registration.notifyUrl,
      appUserId: registration.appUserId,
      createdAt: registration.createdAt,
    },
    now,
  );
}

export function recordFromUpstream(info: PictureModelingInfo, extra: Partial<JobRecord> = {}, now = Date.now()): JobRecord {
  return {
    jobId: info.job_id,
    modelAssetId: info.model_asset_id ?? null,
    owner: ANONYMOUS,
    styleId: info.style_id ?? null,
    name: info.name ?? null,
    state: normaliseState(info.state) ?? 'WAITING',
    startTime: info.start_time ?? null,
    endTime: info.end_time ?? null,
    modelCoverUrl: info.model_cover_url ?? null,
    errorCode: info.error_info?.error_code ?? null,
    errorMsg: info.error_info?.error_msg ?? null,
    callbackNonce: null,
    notifyUrl: null,
    appUserId: null,
    createdAt: now,
    updatedAt: now,
    ...extra,
  };
}
