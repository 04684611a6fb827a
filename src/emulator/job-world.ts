/**
 * The emulator's model of MetaStudio: jobs that move WAITING -> PROCESSING -> terminal
 * over time, their model assets, the four system styles, and the notify_url callbacks.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'undici';
import type {
  DigitalAssetSummary,
  JobState,
  PictureModelingInfo,
  ShowAssetResponse,
  StyleInfo,
} from '../metastudio/types.js';

export const SYSTEM_STYLES: readonly StyleInfo[] = [
  { style_id: 'system_male_001', name: '男性风格01', description: 'Male style 01', sex: 'MALE', tags: ['system'], state: 'PUBLISHED' },
  { style_id: 'system_female_001', name: '女性风格01', description: 'Female style 01', sex: 'FEMALE', tags: ['system'], state: 'PUBLISHED' },
  { style_id: 'system_male_002', name: '男性风格02', description: 'Male style 02', sex: 'MALE', tags: ['system'], state: 'PUBLISHED' },
  { style_id: 'system_female_002', name: '女性风格02', description: 'Female style 02', sex: 'FEMALE', tags: ['system'], state: 'PUBLISHED' },
];

export type TerminalOutcome = 'SUCCEED' | 'PARTIAL_SUCCEED' | 'FAILED' | 'CANCELED';

/**
 * The documented way to make a job end otherwise than SUCCEED: a model name that starts
 * with `fail-`, `partial-` or `cancel-` (case-insensitive).
 */
export function outcomeForName(name: string): TerminalOutcome {
  const lower = name.toLowerCase();
  if (lower.startsWith('fail-')) return 'FAILED';
  if (lower.startsWith('partial-')) return 'PARTIAL_SUCCEED';
  if (lower.startsWith('cancel-')) return 'CANCELED';
  return 'SUCCEED';
}

export type CallbackMode = 'normal' | 'suppress' | 'repeat';

export interface CallbackRecord {
  jobId: string;
  url: string;
  status: number | 'error';
  at: number;
}

interface Job {
  jobId: string;
  assetId: string;
  name: string;
  styleId: string;
  notifyUrl: string | undefined;
  appUserId: string | undefined;
  createdAt: number;
  durationMs: number;
  outcome: TerminalOutcome;
  /** Set once the job has ended (by time or by force). */
  endedAt: number | undefined;
  forced: JobState | undefined;
  timer: NodeJS.Timeout | undefined;
}

export interface JobWorldOptions {
  /** Time from create to the terminal state. */
  jobDurationMs: number;
  callbackMode?: CallbackMode;
  /** How many times a callback is sent in 'repeat' mode. @default 3 */
  repeatCount?: number;
  /** Base URL of the covers and thumbnails (the emulator serves them itself). @default https://emulator.invalid */
  imageBaseUrl?: () => string;
}

export class JobWorld {
  private readonly jobs = new Map<string, Job>();
  private readonly names = new Set<string>();
  readonly callbacks: CallbackRecord[] = [];
  callbackMode: CallbackMode;
  jobDurationMs: number;
  /** End each new job and deliver its callback before the create call is answered (a race MetaStudio can produce). */
  completeBeforeReply = false;
  private readonly repeatCount: number;
  private readonly pendingCallbacks = new Set<Promise<void>>();

  private readonly imageBaseUrl: () => string;

  constructor(options: JobWorldOptions) {
    this.imageBaseUrl = options.imageBaseUrl ?? (() => 'https://emulator.invalid');
    this.jobDurationMs = options.jobDurationMs;
    this.callbackMode = options.callbackMode ?? 'normal';
    this.repeatCount = options.repeatCount ?? 3;
  }

  hasName(name: string): boolean {
    return this.names.has(name);
  }

  create(input: { name: string; styleId: string; notifyUrl?: string | undefined; appUserId?: string | undefined }): Job {
    const job: Job = {
      jobId: randomUUID(),
      assetId: randomBytes(16).toString('hex'),
      name: input.name,
      styleId: input.styleId,
      notifyUrl: input.notifyUrl,
      appUserId: input.appUserId,
      createdAt: Date.now(),
      durationMs: this.jobDurationMs,
      outcome: outcomeForName(input.name),
      endedAt: undefined,
      forced: undefined,
      timer: undefined,
    };
    this.jobs.set(job.jobId, job);
    this.names.add(job.name);
    job.timer = setTimeout(() => this.end(job), job.durationMs);
    job.timer.unref();
    return job;
  }

  /** Ends a job now, with its planned outcome or the one given; then calls notify_url. */
  complete(jobId: string, state?: TerminalOutcome): boolean {
    const job = this.jobs.get(jobId);
    if (!job) return false;
    if (state) job.outcome = state;
    this.end(job);
    return true;
  }

  /** Pins a job to a state (any state) without ending it or sending a callback. */
  force(jobId: string, state: JobState): boolean {
    const job = this.jobs.get(jobId);
    if (!job) return false;
    job.forced = state;
    return true;
  }

  private end(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
    if (job.endedAt !== undefined) return;
    job.endedAt = Date.now();
    this.sendCallbacks(job);
  }

  stateOf(job: Job, now = Date.now()): JobState {
    if (job.forced) return job.forced;
    if (job.endedAt !== undefined) return job.outcome;
    return now - job.createdAt < job.durationMs / 4 ? 'WAITING' : 'PROCESSING';
  }

  info(jobId: string): PictureModelingInfo | undefined {
    const job = this.jobs.get(jobId);
    return job ? this.toInfo(job) : undefined;
  }

  private toInfo(job: Job): PictureModelingInfo {
    const state = this.stateOf(job);
    const info: PictureModelingInfo = {
      job_id: job.jobId,
      state,
      start_time: rfc3339(job.createdAt),
      model_asset_id: job.assetId,
      name: job.name,
      style_id: job.styleId,
    };
    if (job.endedAt !== undefined) info.end_time = rfc3339(job.endedAt);
    if (state === 'SUCCEED' || state === 'PARTIAL_SUCCEED') info.model_cover_url = `${this.imageBaseUrl()}/covers/${job.assetId}.png`;
    if (state === 'FAILED') info.error_info = { error_code: 'MSS.10001006', error_msg: 'Asset create job failed' };
    return info;
  }

  /** When the job last changed state (upstream's `update_time`): created, started processing, ended. */
  private updatedAt(job: Job, now: number): number {
    if (job.endedAt !== undefined) return job.endedAt;
    const processingFrom = job.createdAt + job.durationMs / 4;
    return now >= processingFrom ? processingFrom : job.createdAt;
  }

  /**
   * ListPictureModelingJobs: filtered by creation time and state, sorted by `create_time`
   * (the default) or `update_time`, ties broken by creation order so pages are stable.
   */
  list(filter: { states?: readonly JobState[] | undefined; since?: number | undefined; until?: number | undefined; sortKey?: 'create_time' | 'update_time'; desc?: boolean }): PictureModelingInfo[] {
    const now = Date.now();
    let jobs = [...this.jobs.values()];
    if (filter.since !== undefined) jobs = jobs.filter((j) => j.createdAt >= filter.since!);
    if (filter.until !== undefined) jobs = jobs.filter((j) => j.createdAt <= filter.until!);
    if (filter.states && filter.states.length > 0) jobs = jobs.filter((j) => filter.states!.includes(this.stateOf(j, now)));
    const key = filter.sortKey === 'update_time' ? (j: Job) => this.updatedAt(j, now) : (j: Job) => j.createdAt;
    // Map insertion order is creation order: a stable sort keeps it among equal keys.
    jobs.sort((a, b) => key(a) - key(b));
    if (filter.desc) jobs.reverse();
    return jobs.map((j) => this.toInfo(j));
  }

  private jobByAsset(assetId: string): Job | undefined {
    for (const job of this.jobs.values()) if (job.assetId === assetId) return job;
    return undefined;
  }

  private assetState(job: Job): string {
    const state = this.stateOf(job);
    if (state === 'SUCCEED' || state === 'PARTIAL_SUCCEED') return 'ACTIVED';
    if (state === 'FAILED' || state === 'CANCELED') return 'FAILED';
    return 'CREATING';
  }

  assetSummary(assetId: string): DigitalAssetSummary | undefined {
    const job = this.jobByAsset(assetId);
    if (!job) return undefined;
    return {
      asset_id: job.assetId,
      asset_name: job.name,
      asset_state: this.assetState(job),
      asset_type: 'HUMAN_MODEL',
      cover_url: `${this.imageBaseUrl()}/covers/${job.assetId}.png`,
      thumbnail_url: `${this.imageBaseUrl()}/thumbnails/${job.assetId}.png`,
    };
  }

  asset(assetId: string, projectId: string): ShowAssetResponse | undefined {
    const job = this.jobByAsset(assetId);
    if (!job) return undefined;
    return {
      project_id: projectId,
      asset_id: job.assetId,
      asset_name: job.name,
      asset_description: `Stylized model from picture-modeling job ${job.jobId}`,
      asset_type: 'HUMAN_MODEL',
      asset_state: this.assetState(job),
      create_time: rfc3339(job.createdAt),
      update_time: rfc3339(job.endedAt ?? job.createdAt),
      app_user_id: job.appUserId,
      files: [
        {
          file_id: randomUUID(),
          file_name: `${job.name}.glb`,
          file_type: 'GLB',
          asset_file_category: 'MAIN',
          download_url: `https://emulator.invalid/models/${job.assetId}.glb`,
        },
      ],
      asset_extra_meta: { human_model_meta: { style_id: job.styleId, modeling_type: 'PICTURE_MODELING', modeling_job_id: job.jobId } },
    };
  }

  private sendCallbacks(job: Job): void {
    if (!job.notifyUrl || this.callbackMode === 'suppress') return;
    const times = this.callbackMode === 'repeat' ? this.repeatCount : 1;
    const body = JSON.stringify({ job_id: job.jobId, result: job.outcome, asset_id: job.assetId });
    for (let i = 0; i < times; i++) {
      const p = this.postCallback(job.jobId, job.notifyUrl, body).finally(() => this.pendingCallbacks.delete(p));
      this.pendingCallbacks.add(p);
    }
  }

  private async postCallback(jobId: string, url: string, body: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const res = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        await res.body.dump();
        this.remember({ jobId, url, status: res.statusCode, at: Date.now() });
        if (res.statusCode < 500) return;
      } catch {
        this.remember({ jobId, url, status: 'error', at: Date.now() });
      }
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }

  private remember(record: CallbackRecord): void {
    this.callbacks.push(record);
    if (this.callbacks.length > 10_000) this.callbacks.splice(0, this.callbacks.length - 10_000);
  }

  /** Waits for callbacks in flight; used on close. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pendingCallbacks]);
  }

  dispose(): void {
    for (const job of this.jobs.values()) if (job.timer) clearTimeout(job.timer);
  }
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
