/** The emulator's small HTTP helpers and its error reply, shared by its modules. */
import type { IncomingMessage } from 'node:http';
import type { UpstreamErrorReply } from './verify-signature.js';

/** An upstream-style error answer, thrown by operations and turned into a response by the server. */
export class Reply extends Error {
  constructor(readonly reply: UpstreamErrorReply) {
    super(reply.body.error_msg);
  }
}

export function invalid(message: string, code = 'MSS.00000003'): Reply {
  return new Reply({ status: 400, body: { error_code: code, error_msg: message } });
}

export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
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

export async function drain(req: IncomingMessage): Promise<void> {
  if (req.complete) return;
  for await (const _ of req) void _;
}

export function parseJson(raw: Buffer): Record<string, unknown> {
  try {
    const value = JSON.parse(raw.toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw invalid('Request JSON exception: the body must be a JSON object', 'MSS.10000002');
}

export function parseJsonLoose(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8') || '{}');
  } catch {
    return {};
  }
}

export function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.length === 0) throw invalid(`Invalid parameter: ${name} is required`);
  return value;
}

export function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function intParam(params: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw invalid(`Invalid parameter: ${name} must be an integer from ${min} to ${max}`);
  return value;
}

export function timeParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const value = Date.parse(raw);
  if (Number.isNaN(value)) throw invalid(`Invalid parameter: ${name} must be an RFC 3339 time`);
  return value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
