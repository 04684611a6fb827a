/** Upstream wire shapes (snake_case), from the SDK models (docs/upstream.md). */

export const JOB_STATES = ['WAITING', 'PROCESSING', 'PARTIAL_SUCCEED', 'SUCCEED', 'FAILED', 'CANCELED'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['SUCCEED', 'PARTIAL_SUCCEED', 'FAILED', 'CANCELED']);

export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}

export interface CreatePictureModelingJobResponse {
  job_id: string;
  model_asset_id: string;
}

export interface PictureModelingInfo {
  job_id: string;
  state: JobState;
  start_time?: string;
  end_time?: string;
  error_info?: { error_code?: string; error_msg?: string };
  model_asset_id?: string;
  name?: string;
  style_id?: string;
  model_cover_url?: string;
}

export interface ListPictureModelingJobsResponse {
  count: number;
  picture_modeling_jobs: PictureModelingInfo[];
}

export interface DigitalAssetSummary {
  asset_id: string;
  asset_name?: string;
  asset_state?: string;
  asset_type?: string;
  block_reason_code?: string;
  cover_url?: string;
  thumbnail_url?: string;
}

export interface ListAssetSummaryResponse {
  asset_list: DigitalAssetSummary[];
}

export interface ShowAssetResponse {
  asset_id: string;
  asset_name?: string;
  asset_state?: string;
  asset_type?: string;
  asset_description?: string;
  create_time?: string;
  update_time?: string;
  files?: Array<{ file_id?: string; file_name?: string; file_type?: string; file_size?: number; download_url?: string; asset_file_category?: string }>;
  [key: string]: unknown;
}

export interface StyleInfo {
  style_id: string;
  name?: string;
  description?: string;
  sex?: string;
  tags?: string[];
  state?: string;
  [key: string]: unknown;
}

export interface ListStylesResponse {
  count: number;
  styles: StyleInfo[];
}
