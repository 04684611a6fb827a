/**
 * A Yoga request parser for GraphQL multipart requests that streams: graphql-upload-minimal
 * parses the Node request's body, and each file reaches its resolver as a live stream.
 * (Yoga's own multipart parser buffers whole files, so it is switched off.) The body
 * reaches it through one stream, the guard, which watches the raw parts (only `operations`,
 * `map` and the mapped file are allowed) and the client's pace. What the resolvers need of
 * the request's files travels in the context (`uploads`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { processRequest, Upload, type FileUpload } from 'graphql-upload-minimal';
import { invalidParameter, malformedRequest } from '../errors.js';
import { guardMultipart, type FileSizeHint, type MultipartGuard, type PartInfo } from './multipart-guard.js';
import { letGo, type PhotoSource } from './photo-stream.js';

export const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight'] as const;
const MAX_FIELD_BYTES = 1024 * 1024;

export interface StreamingUploadOptions {
  /** Largest file; busboy is allowed one byte more so that "over the limit" is seen, not silently cut. */
  maxFileBytes: number;
  /** Most files in one request: one per upload variable, so at most one per batched operation. */
  maxFiles: number;
  /** An upload that sends nothing for this long is aborted, its upstream request with it. */
  idleTimeoutMs: number;
}

export interface UploadFacts {
  /** The file's size as Content-Length tells it, when it does (only for a request's one file: it must be the last part). */
  sizeHint: FileSizeHint | undefined;
  /**
   * Resolves once the whole request has arrived with no part beyond the allowed ones (when
   * one operation maps several files: once the part after this file has begun); rejects otherwise.
   */
  complete: Promise<void>;
}

/**
 * One multipart request's files, from the plugin that parsed it to the resolvers that relay
 * them: it travels in the server context (`uploads`), and so into the GraphQL context.
 */
export interface RequestUploads {
  /** A file's stream, for the resolver that relays it: from now on it is that resolver's to read or let go. */
  take(file: FileUpload): PhotoSource;
  /** What the request told us about `file`, once it has started to arrive. */
  factsOf(file: FileUpload): UploadFacts | undefined;
  /**
   * Lets go of a file no resolver took (`letGo`): an unread file stalls busboy, and with it
   * the files behind it and the end of the body that the request's other creates wait for.
   */
  letGoIfUntaken(file: FileUpload): void;
}

/** What the upload plugin adds to the server context of a multipart request. */
export interface UploadServerContext {
  uploads?: RequestUploads;
}

interface ParsedUploads extends RequestUploads {
  setFacts(file: FileUpload, facts: UploadFacts): void;
}

/** A request's uploads with no facts yet (and, outside a multipart request, none to come). */
export function requestUploads(): ParsedUploads {
  const facts = new Map<FileUpload, UploadFacts>();
  const taken = new Set<FileUpload>();
  return {
    take(file) {
      taken.add(file);
      return file.createReadStream() as unknown as PhotoSource;
    },
    factsOf: (file) => facts.get(file),
    setFacts: (file, known) => void facts.set(file, known),
    letGoIfUntaken(file) {
      // Asking graphql-upload-minimal instead would throw (and build a stack trace) for every file read.
      if (taken.has(file)) return;
      let stream;
      try {
        stream = file.createReadStream();
      } catch {
        return; // it failed on its own (cut off, or over the limit): nothing to read past
      }
      letGo(stream as unknown as PhotoSource);
    },
  };
}

export function isMultipartRequest(request: Request): boolean {
  return request.method === 'POST' && (request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
}

function httpError(message: string, status: number) {
  return createGraphQLError(message, { extensions: { http: { status }, code: status === 403 ? 'CSRF_PREVENTION' : status === 413 ? 'REQUEST_ENTITY_TOO_LARGE' : 'BAD_REQUEST' } });
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

const extraParts = (parts: readonly PartInfo[], allowedFiles: number): PartInfo[] => {
  const extra: PartInfo[] = [];
  let files = 0;
  parts.forEach((part, index) => {
    const expected = index === 0 ? part.name === 'operations' : index === 1 ? part.name === 'map' : part.filename !== undefined && ++files <= allowedFiles;
    if (!expected) extra.push(part);
  });
  return extra;
};

const describeExtra = (extra: PartInfo[]) =>
  `A multipart request carries only the operations, the map and the mapped file of each upload variable; ${extra.length} other part(s) came (first: "${extra[0]!.name.slice(0, 64)}")`;

/**
 * What graphql-upload-minimal reads instead of the request: the guard's stream, which the
 * body passes through once on its way to busboy, with headers of its own (busboy's view of
 * the Content-Type, the request's left as it came). The request is piped in only when the
 * parser attaches, so nothing reads the body before it does. The busboy parser also gets
 * an `error` listener of its own: graphql-upload-minimal listens with `once`, then destroys
 * the parser, whose destroy emits a second error ("Unexpected end of form") that nobody
 * hears: an oversized part header ended the process. Its first error already answers the
 * request (400); later ones are echoes.
 */
function parserFeed(req: IncomingMessage, stream: Transform, contentType: string): IncomingMessage {
  // Media types are case-insensitive; graphql-upload-minimal compares "multipart/form-data;" as written.
  const headers = { ...req.headers, 'content-type': contentType.replace(/^\s*multipart\/form-data\s*;/i, 'multipart/form-data;') };
  const feed = {
    headers,
    pipe<T extends NodeJS.WritableStream>(parser: T): T {
      parser.on('error', () => {});
      req.pipe(stream);
      // A client that breaks off ends the stream short: graphql-upload-minimal sees it close unfinished.
      req.once('close', () => {
        if (!req.readableEnded) stream.destroy();
      });
      return stream.pipe(parser);
    },
    unpipe: (parser?: NodeJS.WritableStream) => stream.unpipe(parser),
    once: (event: string, listener: (...args: unknown[]) => void) => stream.once(event, listener),
    resume: () => stream.resume(),
    get readableEnded() {
      return stream.readableEnded;
    },
  };
  return feed as unknown as IncomingMessage;
}

/** After an operation of a multipart request has its result: its files that nothing read (it failed validation, or never ran). */
function letGoOfUnread(uploads: RequestUploads, params: { variables?: unknown }): void {
  for (const upload of collectUploads(params.variables)) upload.promise.then((file) => uploads.letGoIfUntaken(file), () => {});
}

export function useStreamingUploads(options: StreamingUploadOptions): Plugin {
  return {
    onParams({ context, setParamsHandler, paramsHandler }) {
      const uploads = (context as UploadServerContext).uploads;
      if (!uploads) return;
      setParamsHandler(async (payload) => {
        try {
          return await paramsHandler(payload);
        } finally {
          letGoOfUnread(uploads, payload.params);
        }
      });
    },
    onRequestParse({ request, serverContext, setRequestParser }) {
      if (!isMultipartRequest(request)) return;
      // Multipart is a "simple" request a browser sends cross-site without pre-flight.
      if (!CSRF_HEADERS.some((h) => request.headers.has(h))) {
        throw httpError(`Multipart requests must carry one of these headers: ${CSRF_HEADERS.join(', ')}`, 403);
      }
      const { req, res } = serverContext as { req?: IncomingMessage; res?: ServerResponse };
      if (!req) throw httpError('Multipart uploads need the Node.js HTTP server', 400);
      const session = requestUploads();
      (serverContext as UploadServerContext).uploads = session;
      setRequestParser(async () => {
        const contentType = request.headers.get('content-type') ?? '';
        const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
        const guard: MultipartGuard = guardMultipart(contentType, declared, {
          ms: options.idleTimeoutMs,
          onIdle: () => req.destroy(new Error(`The upload sent no bytes for ${options.idleTimeoutMs} ms`)),
        });
        const stopWatching = guard.dispose;
        let operations: unknown;
        try {
          operations = await processRequest(parserFeed(req, guard.stream, contentType), res as ServerResponse, {
            maxFileSize: options.maxFileBytes + 1,
            maxFieldSize: MAX_FIELD_BYTES,
            // Files the map does not name are skipped by graphql-upload-minimal and refused by the guard.
            maxFiles: options.maxFiles,
          });
        } catch (error) {
          stopWatching();
          const status = (error as { status?: number }).status;
          const extra = extraParts(guard.parts(), options.maxFiles);
          if (extra.length > 0) throw httpError(describeExtra(extra), 400);
          throw httpError((error as Error).message, status === 413 ? 413 : 400);
        }
        const uploads = collectUploads(operations);
        if (uploads.length === 0) {
          stopWatching();
          return operations as never;
        }
        // A file's create is let through once the whole body has arrived with nothing but the
        // expected parts. Except when one operation maps several files: its mutation fields
        // run in series, so the next file is read only after this one's create has finished,
        // and waiting for the whole body would deadlock. There a file's part is complete once
        // the part after it begins, and only the parts up to it are judged.
        const serial = (Array.isArray(operations) ? operations : [operations]).some((operation) => collectUploads(operation).length > 1);
        const judged = (done: Promise<unknown>) => {
          const complete = done.then(
            () => {
              const late = extraParts(guard.parts(), uploads.length);
              if (late.length > 0) throw malformedRequest(describeExtra(late));
            },
            (error: Error) => {
              throw invalidParameter(`The upload broke off: ${error.message}`);
            },
          );
          complete.catch(() => {});
          return complete;
        };
        // One judgement of the whole body serves every file; in series, one per file part.
        const wholeBody = serial ? undefined : judged(guard.ended());
        let arrived = 0;
        const factsOf = (): UploadFacts => {
          // Called as each file starts, in body order: the k-th file to arrive is the k-th file part.
          const k = arrived++;
          const fileParts = () => guard.parts().flatMap((part, index) => (part.filename === undefined ? [] : [index]));
          const complete = wholeBody ?? judged(guard.partDone(fileParts()[k] ?? guard.parts().length - 1));
          // Content-Length tells a file's size only when it is the request's one file (the last part).
          return { sizeHint: uploads.length === 1 ? guard.sizeHint() : undefined, complete };
        };
        // Files arrive one after another, each once the one before it has been read: only the
        // first to arrive can be waited for here. Each gets its facts as it starts, before
        // its resolver sees it (these handlers run before any later await on the promise).
        for (const upload of uploads) {
          upload.promise.then(
            (file) => session.setFacts(file, factsOf()),
            () => {},
          );
        }
        try {
          // Resolves as soon as a file part starts (nothing is buffered); rejects if the map names a missing file.
          await Promise.race(uploads.map((u) => u.promise));
          const extra = extraParts(guard.parts(), uploads.length);
          if (extra.length > 0) throw new Error(describeExtra(extra));
        } catch (error) {
          stopWatching();
          throw httpError((error as Error).message, 400);
        }
        return operations as never;
      });
    },
  };
}
