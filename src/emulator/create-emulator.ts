/**
 * An HTTP server that speaks MetaStudio's picture-modeling, asset and style API
 * (docs/upstream.md), checks signatures like API Gateway, and lets tests
 * force failures. `npm start` runs one in-process when no upstream is configured.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import busboy from 'busboy';
import { checkDimensions, inspectHeader, type HeaderVerdict } from '../uploads/image-header.js';
import { isJobState, type JobState } from '../metastudio/types.js';
import { UNSIGNED_PAYLOAD } from '../metastudio/signer.js';
import { JobWorld, SYSTEM_STYLES, type CallbackMode, type TerminalOutcome } from './job-world.js';
import { verifyRequest, type AuthConfig, type UpstreamErrorReply } from './verify-signature.js';

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
  body?: unknown;
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
  /** Requests being handled right now (an aborted one leaves this count). */
  inFlight(): number;
  reset(): void;
  close(): Promise<void>;
}

interface Route {
  operation: string;
  method: string;
  pattern: RegExp;
}

const ROUTES: Route[] = [
  { operation: 'CreatePictureModelingJob', method: 'POST', pattern: /^\/v1\/([^/]+)\/digital-human\/stylized\/picture-modelings\/?$/ },
  { operation: 'CreatePictureModelingByUrlJob', method: 'POST', pattern: /^\/v1\/([^/]+)\/digital-human\/stylized\/picture-modelings-by-url\/?$/ },
  { operation: 'ListPictureModelingJobs', method: 'GET', pattern: /^\/v1\/([^/]+)\/digital-human\/stylized\/picture-modelings\/?$/ },
  { operation: 'ShowPictureModelingJob', method: 'GET', pattern: /^\/v1\/([^/]+)\/digital-human\/stylized\/picture-modelings\/([^/]+)\/?$/ },
  { operation: 'ListAssetSummary', method: 'POST', pattern: /^\/v1\/([^/]+)\/digital-assets\/summarys\/?$/ },
  { operation: 'ShowAsset', method: 'GET', pattern: /^\/v1\/([^/]+)\/digital-assets\/([^/]+)\/?$/ },
  { operation: 'ListStyles', method: 'GET', pattern: /^\/v1\/([^/]+)\/styles\/?$/ },
];

const MAX_JSON_BODY = 1024 * 1024;
/** Recorded calls kept for inspection; older ones are dropped so a long `npm start` does not grow. */
const MAX_RECORDED = 10_000;

function record<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_RECORDED) list.splice(0, list.length - MAX_RECORDED);
}
const HEADER_CAP = 1024 * 1024;

class Reply extends Error {
  constructor(readonly reply: UpstreamErrorReply) {
    super(reply.body.error_msg);
  }
}

function invalid(message: string, code = 'MSS.00000003'): Reply {
  return new Reply({ status: 400, body: { error_code: code, error_msg: message } });
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
  const world = new JobWorld({ jobDurationMs: options.jobDurationMs ?? 3000, callbackMode: options.callbackMode ?? 'normal' });
  const faults: Fault[] = [];
  const calls: RecordedCall[] = [];
  const received: string[] = [];
  let latencyMs = 0;
  let active = 0;
  const sockets = new Set<Socket>();

  function takeFault(operation: string): Fault | undefined {
    const index = faults.findIndex((f) => !f.operation || f.operation === operation);
    if (index < 0) return undefined;
    const fault = faults[index]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) faults.splice(index, 1);
    return fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID().replace(/-/g, '');
    res.setHeader('X-Request-Id', requestId);
    const url = new URL(req.url ?? '/', 'http://emulator');
    let delayMs = 0;
    let dropAnswer = false;
    const send = async (status: number, body: unknown, operation: string, extra?: Partial<RecordedCall>) => {
      // Latency models time spent answering, after the request has been read, as a real server's would.
      if (delayMs > 0) await sleep(delayMs);
      if (dropAnswer) {
        record(calls, { operation, method: req.method ?? '', path: url.pathname, status: 0, appUserId: headerOf(req, 'x-app-userid'), ...extra });
        req.socket.destroy();
        return;
      }
      record(calls, { operation, method: req.method ?? '', path: url.pathname, status, appUserId: headerOf(req, 'x-app-userid'), ...extra });
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html' : 'application/json' });
      res.end(text);
    };

    if (url.pathname.startsWith('/_emulator/')) return control(req, res, url);

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
      if (fault && !fault.drop && fault.status !== undefined) {
        if (!raw) await drain(req);
        for (const [k, v] of Object.entries(fault.headers ?? {})) res.setHeader(k, v);
        return send(fault.status, fault.body ?? '', route.operation);
      }
      const result = await dispatch(route, match, req, url, raw);
      return send(200, result.body, route.operation, { body: result.record });
    } catch (error) {
      if (!req.complete) req.resume();
      if (error instanceof Reply) return send(error.reply.status, error.reply.body, route.operation);
      return send(500, { error_code: 'MSS.00000004', error_msg: 'Internal Error' }, route.operation);
    }
  }

  async function dispatch(route: Route, match: RegExpExecArray, req: IncomingMessage, url: URL, raw: Buffer | undefined): Promise<{ body: unknown; record?: unknown }> {
    const appUserId = headerOf(req, 'x-app-userid');
    switch (route.operation) {
      case 'CreatePictureModelingJob': {
        const form = await readPictureForm(req, raw, config.maxPhotoBytes);
        const job = createJob(form, appUserId);
        if (world.completeBeforeReply) {
          world.complete(job.jobId);
          await world.settle();
        }
        return { body: { job_id: job.jobId, model_asset_id: job.assetId }, record: form };
      }
      case 'CreatePictureModelingByUrlJob': {
        const body = parseJson(raw!);
        const pictureUrl = stringField(body, 'picture_url');
        if (!/^https?:\/\//.test(pictureUrl)) throw invalid('Invalid parameter: picture_url must be an http(s) URL');
        const job = createJob({ styleId: stringField(body, 'style_id'), name: stringField(body, 'name'), notifyUrl: optionalString(body, 'notify_url') }, appUserId);
        return { body: { job_id: job.jobId, model_asset_id: job.assetId } };
      }
      case 'ShowPictureModelingJob': {
        const info = world.info(safeDecode(match[2]!));
        if (!info) throw new Reply({ status: 404, body: { error_code: 'MSS.00000003', error_msg: 'Invalid parameter: job not found' } });
        return { body: info };
      }
      case 'ListPictureModelingJobs':
        return { body: listJobs(url.searchParams) };
      case 'ListAssetSummary': {
        const body = parseJson(raw!);
        const ids = (body as { asset_ids?: unknown }).asset_ids;
        if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
          throw invalid('Invalid parameter: asset_ids must be a non-empty array of strings');
        }
        return { body: { asset_list: ids.map((id) => world.assetSummary(id)).filter((a) => a !== undefined) }, record: { ids } };
      }
      case 'ShowAsset': {
        const asset = world.asset(safeDecode(match[2]!), config.projectId);
        if (!asset) throw invalid('Asset not found', 'MSS.10001001');
        return { body: asset };
      }
      case 'ListStyles':
        return { body: { count: SYSTEM_STYLES.length, styles: SYSTEM_STYLES.map((s) => ({ ...s, project_id: config.projectId })) } };
      default:
        throw invalid('Unknown operation');
    }
  }

  function createJob(form: { styleId: string; name: string; notifyUrl?: string | undefined }, appUserId: string | undefined) {
    if (!SYSTEM_STYLES.some((s) => s.style_id === form.styleId)) throw invalid(`Invalid parameter: unknown style_id ${form.styleId}`);
    if (form.name.length > 64) throw invalid('Invalid parameter: name must be at most 64 characters');
    if (world.hasName(form.name)) throw invalid('Asset name already exists', 'MSS.10001005');
    return world.create({ name: form.name, styleId: form.styleId, notifyUrl: form.notifyUrl, appUserId });
  }

  function listJobs(params: URLSearchParams) {
    const offset = intParam(params, 'offset', 0, 0, 2147483647);
    const limit = intParam(params, 'limit', 10, 1, 100);
    const stateParam = params.get('state');
    const states = stateParam ? stateParam.split(',').map((s) => s.trim()) : undefined;
    if (states && !states.every(isJobState)) throw invalid('Invalid parameter: state');
    const sortDir = params.get('sort_dir') ?? 'asc';
    if (sortDir !== 'asc' && sortDir !== 'desc') throw invalid('Invalid parameter: sort_dir');
    const since = timeParam(params, 'create_since');
    const until = timeParam(params, 'create_until');
    const all = world.list({ states: states as JobState[] | undefined, since, until, desc: sortDir === 'desc' });
    return { count: all.length, picture_modeling_jobs: all.slice(offset, offset + limit) };
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = req.method === 'POST' ? parseJsonLoose(await readBody(req, MAX_JSON_BODY)) : {};
    const ok = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const parts = url.pathname.split('/').filter(Boolean); // ['_emulator', ...]
    if (parts[1] === 'faults' && req.method === 'POST') {
      emulator.addFault(body as Fault);
      return ok({ ok: true });
    }
    if (parts[1] === 'latency' && req.method === 'POST') {
      emulator.setLatency(Number((body as { ms?: unknown }).ms) || 0);
      return ok({ ok: true });
    }
    if (parts[1] === 'callbacks' && req.method === 'POST') {
      world.callbackMode = ((body as { mode?: CallbackMode }).mode ?? 'normal') as CallbackMode;
      return ok({ ok: true });
    }
    if (parts[1] === 'callbacks' && req.method === 'GET') return ok(world.callbacks);
    if (parts[1] === 'calls' && req.method === 'GET') return ok(calls);
    if (parts[1] === 'reset' && req.method === 'POST') {
      emulator.reset();
      return ok({ ok: true });
    }
    if (parts[1] === 'jobs' && parts[2] && parts[3] === 'complete' && req.method === 'POST') {
      const state = (body as { state?: TerminalOutcome }).state;
      return ok({ ok: world.complete(parts[2], state) });
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'unknown control endpoint' }));
  }

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

  const emulator: Emulator = {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
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

interface PictureForm {
  /** SHA-256 of the file as received, so tests can prove the bytes arrived unchanged. */
  sha256: string;
  styleId: string;
  name: string;
  notifyUrl: string | undefined;
  photoBytes: number;
  width: number;
  height: number;
  filename: string | undefined;
}

/** Parses the multipart create body, judging the photo by its header and byte count as it streams past. */
function readPictureForm(req: IncomingMessage, raw: Buffer | undefined, maxBytes: number): Promise<PictureForm> {
  const contentType = headerOf(req, 'content-type') ?? '';
  if (!contentType.startsWith('multipart/form-data')) return Promise.reject(invalid('Invalid body: expected multipart/form-data', 'MSS.00000002'));
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let photo: { bytes: number; verdict: HeaderVerdict; filename: string | undefined; sha256: string } | undefined;
    let failure: Reply | undefined;
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: maxBytes + 1, files: 1, fields: 10, fieldSize: 64 * 1024 } });
    } catch {
      reject(invalid('Invalid body: malformed multipart', 'MSS.00000002'));
      return;
    }
    parser.on('field', (name, value) => fields.set(name, value));
    parser.on('file', (name, stream, info) => {
      if (name !== 'file') {
        stream.resume();
        return;
      }
      const head: Buffer[] = [];
      let headBytes = 0;
      let verdict: HeaderVerdict = { kind: 'need-more', format: undefined };
      let bytes = 0;
      const hash = createHash('sha256');
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        hash.update(chunk);
        if (verdict.kind === 'need-more' && headBytes < HEADER_CAP) {
          head.push(chunk);
          headBytes += chunk.length;
          verdict = inspectHeader(Buffer.concat(head), false);
        }
      });
      stream.on('end', () => {
        if (verdict.kind === 'need-more') verdict = inspectHeader(Buffer.concat(head), true);
        photo = { bytes: stream.truncated ? maxBytes + 1 : bytes, verdict, filename: info.filename, sha256: hash.digest('hex') };
      });
    });
    parser.on('filesLimit', () => {
      failure ??= invalid('Invalid parameter: only one file is accepted');
    });
    parser.on('error', () => reject(invalid('Invalid body: malformed multipart', 'MSS.00000002')));
    parser.on('close', () => {
      if (failure) return reject(failure);
      const styleId = fields.get('style_id');
      const name = fields.get('name');
      if (!photo) return reject(invalid('缺少文件: the file field is required', 'MSS.45000001'));
      if (!styleId) return reject(invalid('Invalid parameter: style_id is required'));
      if (!name) return reject(invalid('Invalid parameter: name is required'));
      if (photo.bytes > maxBytes) return reject(invalid(`Asset file too large, please do not exceed ${maxBytes} bytes`, 'MSS.10001007'));
      if (photo.verdict.kind === 'invalid') return reject(invalid(`Invalid parameter: ${photo.verdict.reason}; only jpg/jpeg/png are accepted`));
      if (photo.verdict.kind !== 'ok') return reject(invalid('Invalid parameter: the photo could not be read'));
      const tooBig = checkDimensions(photo.verdict.width, photo.verdict.height);
      if (tooBig) return reject(invalid(`Invalid parameter: ${tooBig}`));
      resolve({
        sha256: photo.sha256,
        styleId,
        name,
        notifyUrl: fields.get('notify_url'),
        photoBytes: photo.bytes,
        width: photo.verdict.width,
        height: photo.verdict.height,
        filename: photo.filename,
      });
    });
    if (raw) parser.end(raw);
    else req.pipe(parser);
  });
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new Reply({ status: 413, body: { error_code: 'APIGW.0201', error_msg: 'Request entity too large' } });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function drain(req: IncomingMessage): Promise<void> {
  if (req.complete) return;
  for await (const _ of req) void _;
}

function parseJson(raw: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(raw.toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw invalid('Request JSON exception: the body must be a JSON object', 'MSS.10000002');
}

function parseJsonLoose(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8') || '{}');
  } catch {
    return {};
  }
}

function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) throw invalid(`Invalid parameter: ${name} is required`);
  return value;
}

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw invalid(`Invalid parameter: ${name} must be an integer from ${min} to ${max}`);
  return value;
}

function timeParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const value = Date.parse(raw);
  if (Number.isNaN(value)) throw invalid(`Invalid parameter: ${name} must be an RFC 3339 time`);
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
