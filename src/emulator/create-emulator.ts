/**
 * An HTTP server that speaks MetaStudio's picture-modeling, asset and style API
 * (docs/upstream.md), checks signatures like API Gateway, and lets tests
 * force failures. `npm start` runs one in-process when no upstream is configured.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { UNSIGNED_PAYLOAD } from '../metastudio/signer.js';
import { createControl } from './control.js';
import { drain, headerOf, readBody, Reply, safeDecode, sleep } from './http.js';
import { coverImage } from './cover-image.js';
import { JobWorld, type CallbackMode } from './job-world.js';
import { createOperations, ROUTES } from './operations.js';
import { createThrottle } from './throttle.js';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../budget/rate-limits.js';
import { verifyRequest, type AuthConfig } from './verify-signature.js';

export const EMULATOR_DEFAULTS = {
  ak: 'EMULATORAK0000000001',
  sk: 'emulator-secret-key-not-for-production',
  projectId: '0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e',
  iamToken: 'emulator-iam-token',
} as const;

export interface EmulatorOptions {
  port?: number;
  host?: string;
  ak?: string;
  sk?: string;
  projectId?: string;
  /** Accepted in X-Auth-Token. */
  iamToken?: string;
  /** Time a job takes to end. @default 3000 */
  jobDurationMs?: number;
  /** Largest photo accepted. @default 10 MiB */
  maxPhotoBytes?: number;
  callbackMode?: CallbackMode;
  /** Serve the testing control API under /_emulator/ (faults, latency, callbacks, calls). @default false */
  controlApi?: boolean;
  /** API Gateway's per-operation limits (calls/s); 'off' lets everything through. @default DEFAULT_RATE_LIMITS */
  rateLimits?: RateLimits | 'off' | undefined;
}

/** A one-shot (or n-shot) fault for the next matching calls. */
export interface Fault {
  /** Operation name (e.g. ShowPictureModelingJob); any operation when absent. */
  operation?: string;
  status?: number;
  /** JSON-encoded unless a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the socket instead of answering. */
  drop?: boolean;
  /** Do the work (e.g. create the job), then destroy the socket instead of answering. */
  dropAnswer?: boolean;
  delayMs?: number;
  times?: number;
}

export interface RecordedCall {
  operation: string;
  method: string;
  path: string;
  status: number;
  appUserId: string | undefined;
  /** The W3C trace context the caller sent, if any. */
  traceparent?: string | undefined;
  body?: unknown;
  /** When the request's headers were handled, ms since the Unix epoch (fractional): what API Gateway's throttle counts. */
  receivedAt?: number | undefined;
}

export interface Emulator {
  url: string;
  port: number;
  config: Required<Pick<EmulatorOptions, 'ak' | 'sk' | 'projectId' | 'iamToken' | 'maxPhotoBytes'>>;
  world: JobWorld;
  calls: RecordedCall[];
  addFault(fault: Fault): void;
  /** Latency added to every answer. */
  setLatency(ms: number): void;
  countCalls(operation: string): number;
  /** Requests that reached a route, counted on arrival (answered or not). */
  countReceived(operation: string): number;
  /** Calls answered 429 APIG.0308 for the rate limit. */
  countThrottled(operation: string): number;
  /** Replaces the rate limits ('off': none); the counts of refusals start again. */
  setRateLimits(limits: RateLimits | 'off'): void;
  /** Requests being handled right now (an aborted one leaves this count). */
  inFlight(): number;
  reset(): void;
  close(): Promise<void>;
}

const MAX_JSON_BODY = 1024 * 1024;
/** Recorded calls kept for inspection; older ones are dropped so a long `npm start` does not grow. */
const MAX_RECORDED = 10_000;

function record<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_RECORDED) list.splice(0, list.length - MAX_RECORDED);
}

export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const config = {
    ak: options.ak ?? EMULATOR_DEFAULTS.ak,
    sk: options.sk ?? EMULATOR_DEFAULTS.sk,
    projectId: options.projectId ?? EMULATOR_DEFAULTS.projectId,
    iamToken: options.iamToken ?? EMULATOR_DEFAULTS.iamToken,
    maxPhotoBytes: options.maxPhotoBytes ?? 10 * 1024 * 1024,
  };
  const auth: AuthConfig = { ak: config.ak, sk: config.sk, projectId: config.projectId, iamToken: config.iamToken };
  let baseUrl = 'https://emulator.invalid';
  const world = new JobWorld({ jobDurationMs: options.jobDurationMs ?? 3000, callbackMode: options.callbackMode ?? 'normal', imageBaseUrl: () => baseUrl });
  const faults: Fault[] = [];
  const calls: RecordedCall[] = [];
  const received: string[] = [];
  let latencyMs = 0;
  let active = 0;
  const sockets = new Set<Socket>();
  const run = createOperations(world, config);
  const limitsOf = (limits: RateLimits | 'off' | undefined) => (limits === 'off' ? undefined : (limits ?? DEFAULT_RATE_LIMITS));
  let throttle = createThrottle(limitsOf(options.rateLimits));

  function takeFault(operation: string): Fault | undefined {
    const index = faults.findIndex((f) => !f.operation || f.operation === operation);
    if (index < 0) return undefined;
    const fault = faults[index]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) faults.splice(index, 1);
    return fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = performance.timeOrigin + performance.now();
    const requestId = randomUUID().replace(/-/g, '');
    res.setHeader('X-Request-Id', requestId);
    const url = new URL(req.url ?? '/', 'http://emulator');
    let delayMs = 0;
    let dropAnswer = false;
    const send = async (status: number, body: unknown, operation: string, extra?: Partial<RecordedCall>) => {
      // Latency models time spent answering, after the request has been read, as a real server's would.
      if (delayMs > 0) await sleep(delayMs);
      if (dropAnswer) {
        record(calls, { operation, method: req.method ?? '', path: url.pathname, status: 0, appUserId: headerOf(req, 'x-app-userid'), receivedAt, ...extra });
        req.socket.destroy();
        return;
      }
      record(calls, { operation, method: req.method ?? '', path: url.pathname, status, appUserId: headerOf(req, 'x-app-userid'), traceparent: headerOf(req, 'traceparent'), receivedAt, ...extra });
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json' });
      res.end(text);
    };

    if (options.controlApi && url.pathname.startsWith('/_emulator/')) return control(req, res, url);
    // Covers and thumbnails are public, unsigned URLs upstream (object storage): served as such.
    if (req.method === 'GET' && /^\/(covers|thumbnails)\/[\w-]+\.png$/.test(url.pathname)) {
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'public, max-age=86400' });
      res.end(coverImage());
      return;
    }

    const route = ROUTES.find((r) => r.method === req.method && r.pattern.test(url.pathname));
    if (!route) {
      await drain(req);
      return send(404, { error_code: 'APIGW.0101', error_msg: 'The API does not exist or has not been published in the environment', request_id: requestId }, 'Unknown');
    }
    record(received, route.operation);
    const match = route.pattern.exec(url.pathname)!;
    const pathProject = safeDecode(match[1]!);

    const fault = takeFault(route.operation);
    delayMs = latencyMs + (fault?.delayMs ?? 0);
    dropAnswer = fault?.dropAnswer === true;
    if (fault?.drop) {
      req.socket.destroy();
      return;
    }

    try {
      const isMultipart = route.operation === 'CreatePictureModelingJob';
      const unsigned = headerOf(req, 'x-sdk-content-sha256') === UNSIGNED_PAYLOAD;
      // A signed multipart body must be hashed whole; only unsigned ones stream (what every SDK sends).
      let raw: Buffer | undefined;
      if (!isMultipart || !unsigned) raw = await readBody(req, isMultipart ? config.maxPhotoBytes + 64 * 1024 : MAX_JSON_BODY);
      const bodyHash = raw ? createHash('sha256').update(raw).digest('hex') : undefined;
      const verdict = verifyRequest(
        { method: req.method ?? 'GET', rawPath: url.pathname, rawQuery: url.search, headers: req.headers },
        pathProject,
        auth,
        bodyHash,
      );
      if (!verdict.ok) {
        if (!raw) await drain(req);
        return send(verdict.reply.status, { ...verdict.reply.body, request_id: requestId }, route.operation);
      }
      const throttled = throttle.admit(route.operation);
      if (throttled) {
        // Answered at once, before the body is read, as API Gateway does; the job is never created.
        await send(throttled.status, throttled.body, route.operation);
        if (!raw) req.resume();
        return;
      }
      if (fault && !fault.drop && fault.status !== undefined) {
        if (!raw) await drain(req);
        for (const [k, v] of Object.entries(fault.headers ?? {})) res.setHeader(k, v);
        return send(fault.status, fault.body ?? '', route.operation);
      }
      const result = await run(route, match, req, url, raw);
      return send(200, result.body, route.operation, { body: result.record });
    } catch (error) {
      if (!req.complete) req.resume();
      if (error instanceof Reply) return send(error.reply.status, error.reply.body, route.operation);
      return send(500, { error_code: 'MSS.00000004', error_msg: 'Internal Error' }, route.operation);
    }
  }

  const control = createControl(() => emulator, world);

  const server: Server = createServer((req, res) => {
    active++;
    res.once('close', () => active--);
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const emulator: Emulator = {
    url: baseUrl,
    port,
    config,
    world,
    calls,
    addFault: (fault) => faults.push({ ...fault }),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    countCalls: (operation) => calls.filter((c) => c.operation === operation).length,
    countReceived: (operation) => received.filter((o) => o === operation).length,
    inFlight: () => active,
    countThrottled: (operation) => throttle.refused(operation),
    setRateLimits: (limits) => {
      throttle = createThrottle(limitsOf(limits));
    },
    reset() {
      faults.length = 0;
      calls.length = 0;
      received.length = 0;
      latencyMs = 0;
      world.callbackMode = 'normal';
      world.completeBeforeReply = false;
    },
    async close() {
      world.dispose();
      await world.settle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
  return emulator;
}

