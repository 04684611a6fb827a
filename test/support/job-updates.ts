/** pictureModelingJobUpdated over SSE, collecting `id:` lines with the events. */
import { sseCollect } from './subscriptions.js';

export const UPDATED_SUBSCRIPTION = `subscription Updated($jobId: ID, $after: String) {
  pictureModelingJobUpdated(jobId: $jobId, after: $after) { cursor job { id jobId state modelCoverUrl } }
}`;

export interface SseEvents {
  status: number;
  /** `{ id, data }` of each `next` event. */
  events: Array<{ id: string | undefined; data: any }>;
  ended: () => boolean;
  json?: any;
}

export async function sseUpdates(baseUrl: string, variables: Record<string, unknown>, signal: AbortSignal, headers: Record<string, string> = {}): Promise<SseEvents> {
  return sseCollect(baseUrl, UPDATED_SUBSCRIPTION, variables, signal, headers, (data, id) => ({ id, data }));
}
