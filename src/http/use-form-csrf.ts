/**
 * A urlencoded POST is what a plain HTML form on any site can send, with no pre-flight:
 * without authentication (AUTH_DISABLED, or the emulator) that was a paid create from a
 * stranger's page. Like multipart, it must carry a header no form can set.
 */
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { CSRF_HEADERS } from '../uploads/use-streaming-uploads.js';

export function useFormCsrf(): Plugin {
  return {
    onRequestParse({ request }) {
      if (request.method !== 'POST') return;
      if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) return;
      if (CSRF_HEADERS.some((h) => request.headers.has(h))) return;
      throw createGraphQLError(`Form-encoded requests must carry one of these headers: ${CSRF_HEADERS.join(', ')}`, {
        extensions: { http: { status: 403 }, code: 'CSRF_PREVENTION' },
      });
    },
  };
}
