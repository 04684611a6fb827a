/**
 * A Yoga request parser for GraphQL multipart requests that streams: graphql-upload-minimal
 * reads the Node request itself, and each file reaches its resolver as a live stream.
 * (Yoga's own multipart parser buffers whole files, so it is switched off.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { processRequest, Upload, type FileUpload } from 'graphql-upload-minimal';
import { scanFileStart, type FileSizeHint } from './file-size-hint.js';

export const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight'] as const;

export interface StreamingUploadOptions {
  /** Largest file; busboy is allowed one byte more so that "over the limit" is seen, not silently cut. */
  maxFileBytes: number;
  /** Size cap for the `operations` and `map` fields. @default 1 MiB */
  maxFieldBytes?: number;
}

/** A FileUpload that may know its size from the request's Content-Length. */
export interface HintedFileUpload extends FileUpload {
  sizeHint?: FileSizeHint | undefined;
}

export function isMultipartRequest(request: Request): boolean {
  return request.method === 'POST' && (request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
}

function httpError(message: string, status: number) {
  return createGraphQLError(message, { extensions: { http: { status }, code: status === 403 ? 'CSRF_PREVENTION' : 'BAD_REQUEST' } });
}

function collectUploads(value: unknown, found: Upload[] = [], depth = 0): Upload[] {
  if (depth > 32 || value === null || typeof value !== 'object') return found;
  if (value instanceof Upload) {
    found.push(value);
    return found;
  }
  for (const child of Object.values(value as Record<string, unknown>)) collectUploads(child, found, depth + 1);
  return found;
}

export function useStreamingUploads(options: StreamingUploadOptions): Plugin {
  return {
    onRequestParse({ request, serverContext, setRequestParser }) {
      if (!isMultipartRequest(request)) return;
      // Multipart is a "simple" request a browser sends cross-site without pre-flight.
      if (!CSRF_HEADERS.some((h) => request.headers.has(h))) {
        throw httpError(`Multipart requests must carry one of these headers: ${CSRF_HEADERS.join(', ')}`, 403);
      }
      const { req, res } = serverContext as { req?: IncomingMessage; res?: ServerResponse };
      if (!req) throw httpError('Multipart uploads need the Node.js HTTP server', 400);
      setRequestParser(async () => {
        // Attached before busboy, so it sees each chunk first.
        const scanner = scanFileStart(req, request.headers.get('content-type') ?? '');
        let operations: unknown;
        try {
          operations = await processRequest(req, res as ServerResponse, {
            maxFileSize: options.maxFileBytes + 1,
            maxFieldSize: options.maxFieldBytes ?? 1024 * 1024,
            maxFiles: 10,
          });
        } catch (error) {
          scanner.dispose();
          const status = (error as { status?: number }).status;
          throw httpError((error as Error).message, status === 413 ? 413 : 400);
        }
        const uploads = collectUploads(operations);
        if (uploads.length > 1) {
          scanner.dispose();
          throw httpError(`One file per request: this request maps ${uploads.length} files`, 400);
        }
        try {
          // Resolves as soon as the file part starts (nothing is buffered); rejects if the map names a missing file.
          const files = await Promise.all(uploads.map((u) => u.promise));
          const hint = scanner.hint();
          for (const file of files) (file as HintedFileUpload).sizeHint = hint;
        } catch (error) {
          throw httpError((error as Error).message, 400);
        } finally {
          scanner.dispose();
        }
        return operations as never;
      });
    },
  };
}
