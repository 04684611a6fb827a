/**
 * Caps non-multipart request bodies (JSON, GraphQL strings, forms). Yoga's own limiter is
 * switched off because it would also wrap, and so buffer, multipart uploads; this one
 * leaves multipart to the streaming upload parser.
 */
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { isMultipartRequest } from '../uploads/use-streaming-uploads.js';

function tooLarge(limit: number) {
  return createGraphQLError(`Request body too large: the limit is ${limit} bytes`, {
    extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' },
  });
}

export function useBodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (isMultipartRequest(request) || request.body == null) return;
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!/^\d+$/.test(declared)) {
          throw createGraphQLError('Content-Length header is invalid', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
        }
        if (Number(declared) > limit) throw tooLarge(limit);
      }
      if (!requestParser) return;
      const parse = requestParser;
      setRequestParser(async (req) => {
        // Chunked bodies have no Content-Length: count as they arrive.
        let seen = 0;
        // A native stream needs the native TransformStream, a ponyfilled one the ponyfill.
        const Transform = req.body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
        const limited = req.body!.pipeThrough(
          new Transform<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              seen += chunk.byteLength;
              if (seen > limit) controller.error(tooLarge(limit));
              else controller.enqueue(chunk);
            },
          }),
        );
        return parse(new fetchAPI.Request(req.url, { method: req.method, headers: req.headers, body: limited, duplex: 'half' } as RequestInit));
      });
    },
  };
}
