/**
 * GET /ready: 200 while the store and the event bus answer, 503 otherwise. (Yoga's own
 * readiness plugin also tests every other request against a URLPattern, which costs more
 * than the rest of the request's routing together.)
 */
import type { Plugin } from 'graphql-yoga';

export function useReadyEndpoint(path: string, check: () => Promise<boolean>): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== path) return;
      return check().then(
        (ready) => endResponse(new fetchAPI.Response(null, { status: ready ? 200 : 503 })),
        (error: Error) => endResponse(new fetchAPI.Response(error.message, { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } })),
      );
    },
  };
}
