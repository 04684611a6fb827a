/** pictureModelingJobUpdated over SSE, collecting `id:` lines with the events. */
import { postForSse } from './stream-reader.js';

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
  const events: SseEvents['events'] = [];
  let completed = false;
  const answer = await postForSse(baseUrl, { body: { query: UPDATED_SUBSCRIPTION, variables }, signal, headers }, ({ event, id, data }) => {
    if (event === 'next' && data) events.push({ id, data });
    if (event === 'complete') completed = true;
  });
  return { status: answer.status, events, ended: () => completed || answer.bodyEnded(), json: answer.json };
}
