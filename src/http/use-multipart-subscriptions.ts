/**
 * Subscriptions over multipart HTTP, Apollo's protocol: the answer Apollo Client's plain
 * HttpLink (and Apollo Kotlin and iOS) asks for with
 * `Accept: multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json`.
 * Yoga offers multipart/mixed only to queries (incremental delivery), so a subscription
 * asking for it was a 406. This is only a result processor: the request has gone through
 * the same pipeline as any other (authentication, CSRF, limits, trusted documents) by the
 * time a result exists.
 *
 * Each event is a part `{"payload": <ExecutionResult>}`; a heartbeat part `{}` goes out
 * every `heartbeatMs` so proxies keep the connection; an error that ends the stream is
 * `{"payload": null, "errors": [...]}`; the body ends with the closing boundary when the
 * subscription completes. https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/multipart-protocol
 */
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { ExecutionResult } from 'graphql';
import { publicError, publicResult } from './public-result.js';

export const MULTIPART_SUBSCRIPTION_CONTENT_TYPE = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"';
const BOUNDARY = '\r\n--graphql';

/** True when the Accept header names multipart/mixed with Apollo's subscriptionSpec parameter. */
export function acceptsMultipartSubscriptions(accept: string | null): boolean {
  if (!accept) return false;
  return accept
    .toLowerCase()
    .replace(/\s/g, '')
    .split(',')
    .some((range) => {
      const [type, ...params] = range.split(';');
      return type === 'multipart/mixed' && params.some((p) => /^subscriptionspec="?1\.0"?$/.test(p));
    });
}

export function useMultipartSubscriptions(options: { heartbeatMs: number }): Plugin {
  return {
    onResultProcess({ request, result, setResultProcessor }) {
      if (!isAsyncIterable(result) || !acceptsMultipartSubscriptions(request.headers.get('accept'))) return;
      setResultProcessor((results, fetchAPI) => {
        const iterator = (results as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
        const encoder = new fetchAPI.TextEncoder();
        let heartbeat: NodeJS.Timeout | undefined;
        let open = true;
        const stop = () => {
          open = false;
          clearInterval(heartbeat);
        };
        const body = new fetchAPI.ReadableStream<Uint8Array>({
          start(controller) {
            const part = (value: unknown) => {
              if (open) controller.enqueue(encoder.encode(`\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${JSON.stringify(value)}${BOUNDARY}`));
            };
            controller.enqueue(encoder.encode(BOUNDARY));
            heartbeat = setInterval(() => part({}), options.heartbeatMs);
            void (async () => {
              try {
                for (;;) {
                  const next = await iterator.next();
                  if (next.done || !open) break;
                  part({ payload: publicResult(next.value) });
                }
              } catch (error) {
                // The stream itself failed (a job that turned out not to be the caller's, a
                // store outage): a transport-level error, then the end of the body.
                part({ payload: null, errors: [publicError(error as Error)] });
              }
              if (!open) return;
              stop();
              controller.enqueue(encoder.encode('--\r\n'));
              controller.close();
            })();
          },
          cancel() {
            // The client went away: end the subscription, and with it its listeners.
            stop();
            void iterator.return?.();
          },
        });
        return new fetchAPI.Response(body, {
          status: 200,
          headers: { 'content-type': MULTIPART_SUBSCRIPTION_CONTENT_TYPE, 'cache-control': 'no-cache', connection: 'keep-alive' },
        });
      }, 'multipart/mixed');
    },
  };
}
