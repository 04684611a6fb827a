/**
 * SDK-HMAC-SHA256 request signing, byte-compatible with Huawei Cloud's official SDKs
 * (huaweicloud-sdk-core AKSKSigner). See docs/upstream.md, "Signing".
 *
 * Pure functions only: the client and the emulator's verifier both build on them,
 * so the two sides cannot drift apart.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const DERIVED_SIGNING_ALGORITHM = 'V11-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export type QueryValue = string | number | boolean | ReadonlyArray<string | number | boolean>;
export type Query = Readonly<Record<string, QueryValue | undefined>>;

export interface CanonicalInput {
  method: string;
  /** Path as sent on the wire (without the trailing slash the canonical form adds). */
  path: string;
  query?: Query | undefined;
  /** Header names in any case; every header given here is signed. */
  headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD. */
  payloadHash: string;
}

/** RFC 3986 percent-encoding: only A-Z a-z 0-9 - _ . ~ stay as they are. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Each segment decoded then re-encoded (as the Python SDK does), plus the trailing slash every SDK appends. */
export function canonicalUri(path: string): string {
  const encoded = path
    .split('/')
    .map((segment) => encodeRfc3986(safeDecode(segment)))
    .join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** Sorted keys; array values sorted and emitted as repeated pairs. */
export function canonicalQueryString(query: Query | undefined): string {
  if (!query) return '';
  const pairs: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === undefined) continue;
    const values = Array.isArray(value) ? [...value].map(String).sort() : [String(value)];
    for (const v of values) pairs.push(`${encodeRfc3986(key)}=${encodeRfc3986(v)}`);
  }
  return pairs.join('&');
}

/** The same query serialised for the URL, in the same order as it is signed. */
export function queryStringForUrl(query: Query | undefined): string {
  const canonical = canonicalQueryString(query);
  return canonical ? `?${canonical}` : '';
}

function normalisedHeaders(headers: Readonly<Record<string, string>>): Array<[string, string]> {
  return Object.entries(headers)
    .map(([name, value]): [string, string] => [name.toLowerCase(), value.trim()])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function signedHeaderNames(headers: Readonly<Record<string, string>>): string {
  return normalisedHeaders(headers)
    .map(([name]) => name)
    .join(';');
}

export function canonicalRequest(input: CanonicalInput): string {
  const headers = normalisedHeaders(input.headers);
  return [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQueryString(input.query),
    headers.map(([name, value]) => `${name}:${value}\n`).join(''),
    headers.map(([name]) => name).join(';'),
    input.payloadHash,
  ].join('\n');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function stringToSign(algorithm: string, sdkDate: string, canonical: string, info?: string): string {
  const lines = [algorithm, sdkDate];
  if (info !== undefined) lines.push(info);
  lines.push(sha256Hex(canonical));
  return lines.join('\n');
}

export function hmacHex(key: string | Buffer, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

export interface Credentials {
  ak: string;
  sk: string;
}

/**
 * Signs a request whose signed headers (including `host` and `X-Sdk-Date`) are all in
 * `input.headers`, and returns the `Authorization` value.
 */
export function authorizationHeader(input: CanonicalInput, credentials: Credentials): string {
  const sdkDate = headerValue(input.headers, 'x-sdk-date');
  if (!sdkDate) throw new Error('X-Sdk-Date must be among the signed headers');
  const toSign = stringToSign(SIGNING_ALGORITHM, sdkDate, canonicalRequest(input));
  const signature = hmacHex(credentials.sk, toSign);
  return `${SIGNING_ALGORITHM} Access=${credentials.ak}, SignedHeaders=${signedHeaderNames(input.headers)}, Signature=${signature}`;
}

/**
 * The derived-key variant (V11-HMAC-SHA256). MetaStudio hosts never use it; it is kept
 * so the official cross-SDK vectors can be checked in full.
 */
export function derivedAuthorizationHeader(
  input: CanonicalInput,
  credentials: Credentials,
  region: string,
  service: string,
): string {
  const sdkDate = headerValue(input.headers, 'x-sdk-date');
  if (!sdkDate) throw new Error('X-Sdk-Date must be among the signed headers');
  const info = `${sdkDate.slice(0, 8)}/${region}/${service}`;
  const derived = Buffer.from(hkdfSync('sha256', credentials.sk, credentials.ak, info, 32)).toString('hex');
  const signature = hmacHex(derived, stringToSign(DERIVED_SIGNING_ALGORITHM, sdkDate, canonicalRequest(input), info));
  return `${DERIVED_SIGNING_ALGORITHM} Credential=${credentials.ak}/${info}, SignedHeaders=${signedHeaderNames(input.headers)}, Signature=${signature}`;
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatSdkDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

export function parseSdkDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(time) ? undefined : new Date(time);
}

export interface ParsedAuthorization {
  algorithm: string;
  access: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const m = /^(\S+)\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)$/.exec(value.trim());
  if (!m) return undefined;
  const [, algorithm, access, signed, signature] = m as unknown as [string, string, string, string, string];
  return { algorithm, access, signedHeaders: signed.split(';'), signature };
}

function headerValue(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}
