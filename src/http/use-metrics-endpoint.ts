/** GET /metrics: Prometheus text format from the gateway's own registry. */
import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';

export function useMetricsEndpoint(path: string, registry: Registry): Plugin {
  return {
    onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== path) return;
      return registry.metrics().then((text) => endResponse(new fetchAPI.Response(text, { status: 200, headers: { 'content-type': registry.contentType } })));
    },
  };
}
