/**
 * Builds the exact bytes of a signed MetaStudio request (path, headers, body) without
 * sending anything, so the official vectors can be checked against what the client sends.
 */
import { invalidParameter } from '../errors.js';
import {
  authorizationHeader,
  canonicalRequest as canonicalFor,
  encodeRfc3986,
  EMPTY_BODY_SHA256,
  formatSdkDate,
  queryStringForUrl,
  sha256Hex,
  UNSIGNED_PAYLOAD,
  type Credentials,
  type Query,
} from './signer.js';

export interface SigningContext {
  endpoint: URL;
  projectId: string;
  /** AK/SK pair; when absent, `iamToken` must be set. */
  credentials?: Credentials | undefined;
  securityToken?: string | undefined;
  /** IAM token sent as X-Auth-Token instead of a signature. */
  iamToken?: string | undefined;
  /** Fixed signing time, for the vectors; defaults to now. */
  date?: Date | undefined;
}

export type RequestBody =
  | { kind: 'json'; value: unknown }
  /** The caller streams the body; it is never hashed (X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD). */
  | { kind: 'multipart'; contentType?: string };

export interface RequestSpec {
  method: 'GET' | 'POST';
  /** Path below /v1/{project_id}. */
  path: string;
  query?: Query | undefined;
  body?: RequestBody | undefined;
  appUserId?: string | undefined;
}

export interface PreparedRequest {
  method: 'GET' | 'POST';
  /** Path and query as sent (no canonical trailing slash). */
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** The canonical request that was signed ('' in token mode). */
  canonical: string;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export function assertAppUserId(value: string): void {
  // MetaStudio: "不允许输入中文"; a header value must be ASCII anyway.
  if (!PRINTABLE_ASCII.test(value)) throw invalidParameter('appUserId must contain printable ASCII characters only');
  if (value.length > 256) throw invalidParameter('appUserId must be at most 256 characters');
}

export function prepareRequest(ctx: SigningContext, spec: RequestSpec): PreparedRequest {
  const basePath = ctx.endpoint.pathname.replace(/\/+$/, '');
  const path = `${basePath}/v1/${encodeRfc3986(ctx.projectId)}${spec.path}`;
  const headers: Record<string, string> = { host: ctx.endpoint.host };

  let body: string | undefined;
  let payloadHash = EMPTY_BODY_SHA256;
  if (spec.body?.kind === 'json') {
    // The hash must be over the exact bytes sent, as NODE hashes JSON.stringify(data).
    body = JSON.stringify(spec.body.value);
    payloadHash = sha256Hex(body);
    headers['Content-Type'] = 'application/json';
  } else if (spec.body?.kind === 'multipart') {
    headers['X-Sdk-Content-Sha256'] = UNSIGNED_PAYLOAD;
    payloadHash = UNSIGNED_PAYLOAD;
  } else {
    // The NODE SDK sets and signs content-type: application/json even on GET (vector 7.2 b).
    headers['Content-Type'] = 'application/json';
  }
  if (spec.appUserId !== undefined) {
    assertAppUserId(spec.appUserId);
    headers['X-App-UserId'] = spec.appUserId;
  }

  let canonical = '';
  if (ctx.credentials) {
    headers['X-Project-Id'] = ctx.projectId;
    if (ctx.securityToken) headers['X-Security-Token'] = ctx.securityToken;
    headers['X-Sdk-Date'] = formatSdkDate(ctx.date ?? new Date());
    const input = { method: spec.method, path, query: spec.query, headers, payloadHash };
    canonical = canonicalFor(input);
    headers['Authorization'] = authorizationHeader(input, ctx.credentials);
  } else if (ctx.iamToken) {
    headers['X-Auth-Token'] = ctx.iamToken;
  } else {
    throw new Error('MetaStudio client needs AK/SK credentials or an IAM token');
  }
  // Added after signing, unsigned, exactly as the SDK's form-data layer does.
  if (spec.body?.kind === 'multipart' && spec.body.contentType) headers['Content-Type'] = spec.body.contentType;

  return { method: spec.method, path: path + queryStringForUrl(spec.query), headers, body, canonical };
}

