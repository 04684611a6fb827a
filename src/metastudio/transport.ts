/**
 * Sends prepared requests over one keep-alive undici Pool and turns every outcome into
 * either a parsed body or a MetaStudioError. Knows nothing about individual operations.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, type Span } from '@opentelemetry/api';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import type { Turn } from '../budget/turn.js';
import { injectTraceContext, inSpan } from '../observability/tracing.js';
import { MetaStudioError, badUpstreamResponse, upstreamError, isMetaStudioError, isUpstreamThrottle, upstreamTimeout, upstreamUnavailable } from '../errors.js';
import type { PreparedRequest } from './requests.js';
import { sentHook, type SentHookOptions } from './sent-hook.js';

export interface UpstreamResult<T> {
  data: T;
  /** Upstream X-Request-Id. */
  requestId: string | undefined;
}

export interface CallObserver {
  (event: { operation: string; status: number | string; durationMs: number; requestId?: string | undefined }): void;
}

export interface TransportOptions {
  endpoint: URL;
  timeoutMs: number;
  /** Extra attempts for idempotent GETs on transient failures. @default 2 */
  retries?: number | undefined;
  /** Pool size. @default 128 */
  connections?: number;
  onCall?: CallObserver | undefined;
}

export interface SendOptions {
  operation: string;
  /** Streamed body for multipart; replaces `prepared.body`. */
  stream?: AsyncIterable<Uint8Array> | undefined;
  signal?: AbortSignal | undefined;
  /** Only for calls that are safe to repeat. */
  retry?: boolean;
  /** Waits for the call's turn in the upstream budget; called before every attempt, retries included. */
  pace?: (() => Promise<Turn>) | undefined;
  /** The turn this call already has (creates take theirs in the fair queue): told when the request goes out. */
  turn?: Turn | undefined;
}

const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export interface Transport {
  send<T>(prepared: PreparedRequest, options: SendOptions): Promise<UpstreamResult<T>>;
  close(): Promise<void>;
}

export function createTransport(options: TransportOptions): Transport {
  const poolOf = (connections: number) =>
    new Pool(options.endpoint.origin, {
      connections,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: Math.min(options.timeoutMs, 10_000) },
    }).compose(sentHook);
  // Streamed uploads hold a connection for as long as the client takes to send its photo:
  // they get a pool of their own, so slow uploads can never starve reads and callbacks.
  const pool = poolOf(options.connections ?? 128);
  const uploadPool = poolOf(options.connections ?? 128);
  const retries = options.retries ?? 2;

  /** One attempt, in a client span that carries the trace upstream. */
  function sendOnce<T>(prepared: PreparedRequest, send: SendOptions): Promise<UpstreamResult<T>> {
    return inSpan(`MetaStudio ${send.operation}`, { 'metastudio.operation': send.operation }, (span) => attempt<T>(prepared, send, span), SpanKind.CLIENT);
  }

  async function attempt<T>(prepared: PreparedRequest, send: SendOptions, span: Span): Promise<UpstreamResult<T>> {
    const started = performance.now();
    let status: number | string = 'error';
    let requestId: string | undefined;
    // undici's own timeouts run on a coarse clock (up to a second late), so the deadline is
    // ours: it starts once the request body has been sent, and covers the whole answer.
    const deadline = new AbortController();
    const timedOut = () => upstreamTimeout(`MetaStudio did not answer within ${options.timeoutMs} ms`, requestId);
    let timer: NodeJS.Timeout | undefined;
    const startClock = () => {
      timer ??= setTimeout(() => deadline.abort(timedOut()), options.timeoutMs);
    };
    const signal = send.signal ? AbortSignal.any([send.signal, deadline.signal]) : deadline.signal;
    let body: PreparedRequest['body'] | AsyncIterable<Uint8Array> | null = prepared.body ?? null;
    if (send.stream) {
      const source = send.stream;
      // undici streams an async iterable as it is: no stream wrapper in between.
      body = (async function* () {
        yield* source;
        startClock();
      })();
    } else {
      startClock();
    }
    // Added after signing and not among the signed headers: API Gateway does not check it.
    const headers = { ...prepared.headers };
    injectTraceContext(headers);
    try {
      // undici takes async iterables as bodies at run time; its types list only Readable.
      const response = await (send.stream ? uploadPool : pool).request({ method: prepared.method, path: prepared.path, headers, body: body as string | null, signal, onSent: send.turn?.sent } as Dispatcher.RequestOptions & SentHookOptions);
      startClock();
      status = response.statusCode;
      requestId = headerString(response.headers['x-request-id']);
      const text = await readText(response.body);
      return interpret<T>(response.statusCode, headerString(response.headers['content-type']), text, requestId);
    } catch (error) {
      const mapped = deadline.signal.aborted ? (deadline.signal.reason as MetaStudioError) : mapFault(error, requestId);
      if (status === 'error') status = mapped.code;
      throw mapped;
    } finally {
      clearTimeout(timer);
      span.setAttribute('http.response.status_code', typeof status === 'number' ? status : 0);
      if (requestId) span.setAttribute('metastudio.request_id', requestId);
      options.onCall?.({ operation: send.operation, status, durationMs: performance.now() - started, requestId });
    }
  }

  return {
    async send<T>(prepared: PreparedRequest, send: SendOptions): Promise<UpstreamResult<T>> {
      for (let attempt = 0; ; attempt++) {
        const turn = send.pace ? await send.pace() : send.turn;
        try {
          return await sendOnce<T>(prepared, { ...send, turn });
        } catch (error) {
          // A throttle is the budget's to handle (src/budget/): a quick retry would only be throttled again.
          const again = send.retry && attempt < retries && isMetaStudioError(error) && error.transient && !isUpstreamThrottle(error) && !send.signal?.aborted;
          if (!again) throw error;
          // Full jitter, so a fleet of gateways does not retry in step.
          await sleep(Math.random() * 100 * 2 ** attempt);
        } finally {
          if (send.pace) turn?.release();
        }
      }
    },
    close: async () => {
      await Promise.all([pool.close(), uploadPool.close()]);
    },
  };
}

function headerString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readText(body: AsyncIterable<Buffer | Uint8Array> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy?.();
throw badUpstreamResponse(`MetaStudio sent a response larger than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Upstream error bodies: flat {error_code, error_msg} (MSS and APIGW) or nested {error: {code, message}}. */
export function readErrorBody(body: unknown): { code: string; message: string; requestId?: string } | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  const requestId = typeof b['request_id'] === 'string' ? b['request_id'] : undefined;
  if (typeof b['error_code'] === 'string') {
    const message = typeof b['error_msg'] === 'string' ? b['error_msg'] : b['error_code'];
    return requestId ? { code: b['error_code'], message, requestId } : { code: b['error_code'], message };
  }
  const nested = b['error'];
  if (nested && typeof nested === 'object') {
    const n = nested as Record<string, unknown>;
    if (typeof n['code'] === 'string') {
      const message = typeof n['message'] === 'string' ? n['message'] : n['code'];
      return requestId ? { code: n['code'], message, requestId } : { code: n['code'], message };
    }
  }
  return undefined;
}

function interpret<T>(status: number, contentType: string | undefined, text: string, requestId: string | undefined): UpstreamResult<T> {
  const body = parseJson(text);
  if (status >= 200 && status < 300) {
    if (body === undefined || typeof body !== 'object' || body === null) {
      throw badUpstreamResponse(`MetaStudio answered ${status} with a body that is not JSON (${describe(contentType, text)})`, requestId);
    }
    return { data: body as T, requestId };
  }
  if (status >= 400) {
    const error = readErrorBody(body);
    if (error) {
      throw upstreamError(error.code, error.message, status, requestId ?? error.requestId);
    }
    throw badUpstreamResponse(`MetaStudio answered ${status} with an unrecognised error body (${describe(contentType, text)})`, requestId);
  }
  throw badUpstreamResponse(`MetaStudio answered with unexpected status ${status}`, requestId);
}

function describe(contentType: string | undefined, text: string): string {
  return `${contentType ?? 'no content-type'}, ${text.length} bytes`;
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || TIMEOUT_CODES.has(code))) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Finds an error of ours that a streamed body threw, so it is not reported as a network fault. */
function ownError(error: unknown): MetaStudioError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (isMetaStudioError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function mapFault(error: unknown, requestId: string | undefined): MetaStudioError {
  const own = ownError(error);
  if (own) return own;
  if (error instanceof undiciErrors.RequestAbortedError || (error as { name?: string })?.name === 'AbortError') {
    return upstreamUnavailable('The upstream call was aborted', error, requestId);
  }
  const code = errorCode(error);
  if (code && TIMEOUT_CODES.has(code)) {
    return upstreamTimeout('MetaStudio did not answer in time', requestId, error);
  }
  if (code) return upstreamUnavailable(`MetaStudio could not be reached (${code})`, error, requestId);
  return upstreamUnavailable('The call to MetaStudio failed', error, requestId);
}
