/**
 * GraphQL is served on exactly one path. Yoga's own routing treats any URL that merely
 * ends with the endpoint as GraphQL (`/x/graphql`, `//graphql`, `/graphql/`,
 * `/?a=/graphql`: `request.url.endsWith(endpoint)` in use-unhandled-route), so every
 * request that Yoga would route to execution but whose path is not exactly the endpoint
 * is answered 404 here, before anything reads its body.
 */
import type { Plugin } from 'graphql-yoga';
import { errorBody } from './error-body.js';

/** The path a GraphQL request must have; anything else is not GraphQL. */
export function isGraphQLPath(url: URL, endpoint: string): boolean {
  return url.pathname === endpoint;
}

export function useSingleGraphQLPath(endpoint: string): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (isGraphQLPath(url, endpoint)) return;
      // Whatever Yoga's unhandled-route plugin would let through to execution (its own test, widened to the
      // path alone): the rest of the paths keep their routes or Yoga's ordinary 404.
      const loose = [request.url, url.href].some((href) => href.endsWith(endpoint) || href.endsWith(`${endpoint}/`)) || url.pathname.toLowerCase().includes(endpoint.toLowerCase());
      if (!loose) return;
      endResponse(
        new fetchAPI.Response(errorBody(`Not found: GraphQL is served at ${endpoint} only`, 'NOT_FOUND'), {
          status: 404,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        }),
      );
    },
  };
}
