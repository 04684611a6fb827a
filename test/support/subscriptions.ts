/** Real subscription clients: graphql-ws over ws, and SSE over fetch. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export const COMPLETED_SUBSCRIPTION = `subscription Completed($jobId: ID) {
  pictureModelingJobCompleted(jobId: $jobId) { jobId state name modelAssetId modelCoverUrl endTime errorInfo { errorCode errorMsg } }
}`;

export interface Collected {
  events: any[];
  errors: unknown[];
  done: Promise<void>;
  completed: () => boolean;
  /** Resolves once the subscription is acknowledged by the server (first message round trip). */
  dispose: () => void;
}

export function wsClient(url: string, options: { lazy?: boolean; connectionParams?: Record<string, unknown>; onClosed?: (code: number) => void } = {}): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: options.lazy ?? true,
    retryAttempts: 0,
    ...(options.connectionParams ? { connectionParams: options.connectionParams } : {}),
    on: { closed: (event) => options.onClosed?.((event as { code: number }).code) },
  });
}

export function subscribe(client: Client, variables: Record<string, unknown> = {}, query = COMPLETED_SUBSCRIPTION): Collected {
  const events: any[] = [];
  const errors: unknown[] = [];
  let completed = false;
  let dispose: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    dispose = client.subscribe(
      { query, variables },
      {
        next: (value) => {
          events.push(value);
        },
        error: (error) => {
          errors.push(error);
          resolve();
        },
        complete: () => {
          completed = true;
          resolve();
        },
      },
    );
  });
  return { events, errors, done, completed: () => completed, dispose: () => dispose() };
}

/** Subscribes over server-sent events (Yoga's distinct-connections mode) and collects `next` events. */
export async function sseSubscribe(baseUrl: string, variables: Record<string, unknown>, signal: AbortSignal, headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: COMPLETED_SUBSCRIPTION, variables }),
    signal,
  });
  const events: any[] = [];
  let ended = false;
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const pump = (async () => {
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
        if (event === 'next' && data) events.push(JSON.parse(data));
        if (event === 'complete') ended = true;
      }
    }
    ended = true;
  })().catch(() => {
    ended = true;
  });
  return { status: res.status, contentType: res.headers.get('content-type'), events, pump, ended: () => ended };
}
