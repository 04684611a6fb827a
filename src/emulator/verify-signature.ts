/**
 * Checks a request's credentials the way Huawei Cloud API Gateway does: recompute the
 * SDK-HMAC-SHA256 signature from the SignedHeaders the caller lists, refuse a skewed
 * X-Sdk-Date, or accept a configured IAM token.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  canonicalRequest,
  hmacHex,
  parseAuthorization,
  parseSdkDate,
  SIGNING_ALGORITHM,
  stringToSign,
  UNSIGNED_PAYLOAD,
  type Query,
} from '../metastudio/signer.js';

export interface AuthConfig {
  ak: string;
  sk: string;
  projectId: string;
  /** IAM token accepted in X-Auth-Token. */
  iamToken?: string | undefined;
  /** Allowed clock skew. @default 15 minutes (APIGW.0303 beyond) */
  maxSkewMs?: number;
}

export interface UpstreamErrorReply {
  status: number;
  body: { error_code: string; error_msg: string; request_id?: string };
}

export type AuthResult =
  | { ok: true; mode: 'aksk' | 'token'; payloadUnsigned: boolean; expectedPayloadHash?: string }
  | { ok: false; reply: UpstreamErrorReply };

function unauthorized(message: string): AuthResult {
  return { ok: false, reply: { status: 401, body: { error_code: 'MSS.00000001', error_msg: message } } };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function parseRawQuery(search: string): Query {
  const out: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) (out[key] ??= []).push(value);
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Everything but the payload hash is checked here; when the payload is signed the
 * caller compares the body's hash with `expectedPayloadHash` via `verifyPayload`.
 */
export function verifyRequest(
  req: { method: string; rawPath: string; rawQuery: string; headers: IncomingHttpHeaders },
  pathProjectId: string | undefined,
  config: AuthConfig,
  bodyHash: string | undefined,
  now = Date.now(),
): AuthResult {
  const token = header(req.headers, 'x-auth-token');
  const authorization = header(req.headers, 'authorization');
  if (token !== undefined && authorization === undefined) {
    if (config.iamToken && safeEqual(token, config.iamToken)) return checkProject(pathProjectId, config, 'token', false);
    return {
      ok: false,
      reply: { status: 401, body: { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information: token invalid' } },
    };
  }
  if (!authorization) return unauthorized('Unauthorized: no Authorization header');
  const parsed = parseAuthorization(authorization);
  if (!parsed || parsed.algorithm !== SIGNING_ALGORITHM) return unauthorized('Unauthorized: malformed Authorization header');
  if (parsed.access !== config.ak) return unauthorized('Unauthorized: unknown access key');
  const signed = parsed.signedHeaders;
  if (!signed.includes('host') || !signed.includes('x-sdk-date')) {
    return unauthorized('Unauthorized: host and x-sdk-date must be signed');
  }
  const sdkDate = header(req.headers, 'x-sdk-date') ?? '';
  const date = parseSdkDate(sdkDate);
  if (!date) return unauthorized('Unauthorized: X-Sdk-Date is not YYYYMMDDTHHMMSSZ');
  if (Math.abs(now - date.getTime()) > (config.maxSkewMs ?? 15 * 60_000)) {
    return {
      ok: false,
      reply: {
        status: 401,
        body: { error_code: 'APIGW.0303', error_msg: 'Incorrect app authentication information: the request has expired (X-Sdk-Date is more than 15 minutes off)' },
      },
    };
  }
  const signedValues: Record<string, string> = {};
  for (const name of signed) {
    const value = header(req.headers, name);
    if (value === undefined) return unauthorized(`Unauthorized: signed header ${name} is missing`);
    signedValues[name] = value;
  }
  const contentSha = header(req.headers, 'x-sdk-content-sha256');
  const payloadUnsigned = contentSha === UNSIGNED_PAYLOAD;
  const payloadHash = payloadUnsigned ? UNSIGNED_PAYLOAD : (bodyHash ?? '');
  const canonical = canonicalRequest({
    method: req.method,
    path: req.rawPath,
    query: parseRawQuery(req.rawQuery),
    headers: signedValues,
    payloadHash,
  });
  const expected = hmacHex(config.sk, stringToSign(SIGNING_ALGORITHM, sdkDate, canonical));
  if (!safeEqual(expected, parsed.signature.toLowerCase())) return unauthorized('Unauthorized: signature does not match');

  const projectHeader = header(req.headers, 'x-project-id');
  if (projectHeader === undefined) return unauthorized('Unauthorized: X-Project-Id is required with AK/SK');
  if (projectHeader !== config.projectId) {
    return { ok: false, reply: { status: 403, body: { error_code: 'MSS.00000005', error_msg: 'Forbidden: the project is not accessible with this access key' } } };
  }
  return checkProject(pathProjectId, config, 'aksk', payloadUnsigned);
}

function checkProject(pathProjectId: string | undefined, config: AuthConfig, mode: 'aksk' | 'token', payloadUnsigned: boolean): AuthResult {
  if (pathProjectId !== undefined && pathProjectId !== config.projectId) {
    return { ok: false, reply: { status: 400, body: { error_code: 'MSS.00010009', error_msg: 'urlTenantId is not equal tokenTenantId' } } };
  }
  return { ok: true, mode, payloadUnsigned };
}
