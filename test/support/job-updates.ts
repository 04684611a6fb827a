/** pictureModelingJobUpdated over SSE, collecting `id:` lines with the events. */

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
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: UPDATED_SUBSCRIPTION, variables }),
    signal,
  });
  const out: SseEvents = { status: res.status, events: [], ended: () => ended };
  let ended = false;
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
    out.json = await res.json();
    ended = true;
    return out;
  }
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let idx;
      while ((idx = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === 'next' && data) out.events.push({ id: /^id: (.*)$/m.exec(block)?.[1], data: JSON.parse(data) });
        if (event === 'complete') ended = true;
      }
    }
    ended = true;
  })().catch(() => {
    ended = true;
  });
  return out;
}
