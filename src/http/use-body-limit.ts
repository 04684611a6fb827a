/**
 * Caps non-multipart request bodies (JSON, GraphQL strings, forms). Yoga's own limiter is
 * switched off because it would also wrap, and so buffer, multipart uploads; this one
 * leaves multipart to the streaming upload parser.
 */
import type { IncomingMessage } from 'node:http';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { isMultipartRequest } from '../uploads/use-streaming-uploads.js';
import { listenToBody } from './body-events.js';

function tooLarge(limit: number) {
  return createGraphQLError(`Request body too large: the limit is ${limit} bytes`, {
    extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' },
  });
}

/**
 * Reads a Node request up to `limit` bytes. Over the limit it only stops listening: the
 * request is not destroyed (that would stall its keep-alive connection), so the server's
 * lingering close can drain the rest after the 413.
 */
function readNodeBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let seen = 0;
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(limit));
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onClose = () => {
      cleanup();
      reject(createGraphQLError('The request body broke off', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } }));
    };
    const cleanup = listenToBody(req, { data: onData, end: onEnd, close: onClose });
  });
}

export function useBodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI, serverContext }) {
      if (isMultipartRequest(request) || request.body == null) return;
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (!/^\d+$/.test(declared)) {
          throw createGraphQLError('Content-Length header is invalid', { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
        }
        if (Number(declared) > limit) throw tooLarge(limit);
        // Declared and within the limit: Node's parser will not deliver more than declared.
        return;
      }
      if (!requestParser) return;
      const parse = requestParser;
      const nodeReq = (serverContext as { req?: IncomingMessage }).req;
      setRequestParser(async (req) => {
        // Chunked bodies have no Content-Length: count as they arrive.
        let body: Uint8Array;
        if (nodeReq) body = await readNodeBody(nodeReq, limit);
        else {
          body = new Uint8Array(await req.arrayBuffer());
          if (body.byteLength > limit) throw tooLarge(limit);
        }
        return parse(new fetchAPI.Request(req.url, { method: req.method, headers: req.headers, body: body as unknown as BodyInit }));
      });
    },
  };
}
