/** Real subscription clients: graphql-ws over ws, and SSE over fetch. */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { waitFor } from './harness.js';
import { postForSse } from './stream-reader.js';

export const COMPLETED_SUBSCRIPTION = `subscription Completed($jobId: ID) {
  pictureModelingJobCompleted(jobId: $jobId) { jobId state name modelAssetId modelCoverUrl endTime errorInfo { errorCode errorMsg } }
}`;

export interface Collected {
  events: any[];
  errors: unknown[];
  done: Promise<void>;
  completed: () => boolean;
  dispose: () => void;
}

/**
 * Subscriptions open on the gateway at `baseUrl`, from the gauge on its /metrics. A graphql-ws
 * server says nothing until the first event, so this is how a test knows a subscription is
 * listening: the gauge counts it once the bus listener is attached.
 */
export async function openSubscriptions(baseUrl: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return Number(/^gateway_active_subscriptions (\d+)$/m.exec(text)?.[1] ?? 0);
}

/** Waits until the gateway at `baseUrl` has `count` subscriptions open. */
export async function untilSubscriptions(baseUrl: string, count: number, timeoutMs = 5000): Promise<void> {
  await waitFor(async () => (await openSubscriptions(baseUrl)) === count, timeoutMs, 10);
}

/** Runs `open` and waits until the gateway at `baseUrl` holds one more subscription: it is listening from then on. */
export async function opened<T>(baseUrl: string, open: () => T | Promise<T>): Promise<T> {
  const before = await openSubscriptions(baseUrl);
  const result = await open();
  await waitFor(async () => (await openSubscriptions(baseUrl)) > before);
  return result;
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

/**
 * Subscribes with `query` over server-sent events (Yoga's distinct-connections mode) and collects
 * each `next` event as `toEvent(data, id)`, `id` being the event's `id:` line.
 */
export async function sseCollect<E>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown>,
  signal: AbortSignal,
  headers: Record<string, string>,
  toEvent: (data: any, id: string | undefined) => E,
) {
  const events: E[] = [];
  let completed = false;
  const answer = await postForSse(baseUrl, { body: { query, variables }, signal, headers }, ({ event, id, data }) => {
    if (event === 'next' && data) events.push(toEvent(data, id));
    if (event === 'complete') completed = true;
  });
  return { status: answer.status, contentType: answer.contentType, events, json: answer.json, ended: () => completed || answer.bodyEnded() };
}

/** pictureModelingJobCompleted over server-sent events, collecting the data of each `next` event. */
export async function sseSubscribe(baseUrl: string, variables: Record<string, unknown>, signal: AbortSignal, headers: Record<string, string> = {}) {
  return sseCollect<any>(baseUrl, COMPLETED_SUBSCRIPTION, variables, signal, headers, (data) => data);
}
