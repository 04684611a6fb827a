/**
 * Server-sent events with `id:` lines: Yoga's SSE answer (distinct connections mode of
 * graphql-sse) plus, for events that carry a cursor (pictureModelingJobUpdated), that
 * cursor as the event id. An EventSource that reconnects sends it back as Last-Event-ID,
 * which the subscription takes as its `after` (see the GraphQL context). Everything else
 * is as Yoga writes it: `event: next` / `data:`, a `:` ping, `event: complete` at the end.
 */
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { publicResult } from './public-result.js';
import { acceptsMultipartSubscriptions } from './use-multipart-subscriptions.js';

const PING_MS = 12_000;

/** The cursor of a result whose only root field is an event with a `cursor` string. */
export function cursorOf(result: ExecutionResult): string | undefined {
  const data = result.data as Record<string, unknown> | null | undefined;
  if (!data) return undefined;
  const roots = Object.values(data);
  const cursor = roots.length === 1 ? (roots[0] as { cursor?: unknown } | null)?.cursor : undefined;
  // An id line ends at a newline; a cursor never has one, but a field named so might.
  return typeof cursor === 'string' && !/[\r\n]/.test(cursor) ? cursor : undefined;
}

function acceptsEventStream(accept: string | null): boolean {
  return (accept ?? '').toLowerCase().split(',').some((range) => range.split(';')[0]!.trim() === 'text/event-stream');
}

export function useSseEventIds(): Plugin {
  return {
    onResultProcess({ request, result, setResultProcessor }) {
      const accept = request.headers.get('accept');
      if (!isAsyncIterable(result) || !acceptsEventStream(accept) || acceptsMultipartSubscriptions(accept)) return;
      setResultProcessor((results, fetchAPI) => {
        const iterator = (results as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
        const encoder = new fetchAPI.TextEncoder();
        let ping: NodeJS.Timeout | undefined;
        const body = new fetchAPI.ReadableStream<Uint8Array>({
          start(controller) {
            // A first comment flushes the headers to browsers that wait for a body byte.
            controller.enqueue(encoder.encode(':\n\n'));
            ping = setInterval(() => {
              if (controller.desiredSize !== null && controller.desiredSize > 0) controller.enqueue(encoder.encode(':\n\n'));
            }, PING_MS);
          },
          async pull(controller) {
            try {
              const next = await iterator.next();
              if (!next.done) {
                const cursor = cursorOf(next.value);
                const payload = publicResult(next.value);
                controller.enqueue(encoder.encode(`${cursor ? `id: ${cursor}\n` : ''}event: next\ndata: ${JSON.stringify(payload)}\n\n`));
                return;
              }
              clearInterval(ping);
              controller.enqueue(encoder.encode('event: complete\ndata:\n\n'));
              controller.close();
            } catch (error) {
              clearInterval(ping);
              controller.error(error);
            }
          },
          cancel() {
            clearInterval(ping);
            void iterator.return?.();
          },
        });
        return new fetchAPI.Response(body, {
          status: 200,
          headers: { 'content-type': 'text/event-stream', connection: 'keep-alive', 'cache-control': 'no-cache', 'content-encoding': 'none' },
        });
      }, 'text/event-stream');
    },
  };
}
