/**
 * Relays a completed job to the notifyUrl the client gave, signed so the receiver can
 * trust it:
 *
 *   X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(RELAY_SIGNING_SECRET, "<t>.<raw body>")>
 *
 * Loopback, private, link-local and other non-public addresses are refused at connect
 * time (after DNS, so rebinding cannot sneak past) unless RELAY_ALLOW_PRIVATE is true.
 * A failed relay is retried (undici's RetryAgent, see relay-retry.ts), each failed attempt
 * logged and counted, and never touches subscriptions.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, RetryAgent, request } from 'undici';
import type { Logger } from '../../observability/logger.js';
import type { GatewayMetrics } from '../../observability/metrics.js';
import type { JobRecord } from '../model/job-record.js';
import { isRelayRefusal, RELAY_REFUSED, relayRetryOptions } from './relay-retry.js';

export const SIGNATURE_HEADER = 'X-Signature';
/** Longest wait between two attempts, before jitter (with 5 attempts from 500 ms, never reached). */
const MAX_DELAY_MS = 10_000;

/**
 * Only ordinary public unicast addresses are relay targets: every special-purpose range
 * that ipaddr.js knows (loopback, private, link-local, carrier-grade NAT, IPv4-mapped and
 * -compatible IPv6, NAT64, 6to4, Teredo, documentation, multicast, reserved...) is refused.
 */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  // IPv4-compatible IPv6 (::a.b.c.d, deprecated) is "unicast" to ipaddr.js but reaches IPv4 space.
  if (parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return true;
  return parsed.range() !== 'unicast';
}
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/** Names that always mean this machine, with or without the root's trailing dot. */
function isLocalName(host: string): boolean {
  const name = host.replace(/\.+$/, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localdomain';
}

/** Syntax and literal-address check at mutation time; DNS names are checked again at connect time. */
export function checkNotifyUrl(raw: string, allowPrivate: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'notifyUrl must be an absolute http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'notifyUrl must be an absolute http(s) URL';
  if (url.username || url.password) return 'notifyUrl must not contain credentials';
  if (raw.length > 2048) return 'notifyUrl must be at most 2048 characters';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (isPrivateAddress(host) || isLocalName(host))) {
    return 'notifyUrl points at a loopback, private or link-local address, which this gateway does not relay to';
  }
  return undefined;
}

export function signRelay(secret: string, timestamp: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** What a receiver runs: constant-time compare, and a bound on the timestamp's age. */
export function verifyRelaySignature(secret: string, header: string, body: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts['t']);
  if (!Number.isInteger(t) || !parts['v1'] || Math.abs(now / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signRelay(secret, t, body).split('v1=')[1]!);
  const given = Buffer.from(parts['v1']);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function relayPayload(record: JobRecord): string {
  return JSON.stringify({
    event: 'pictureModelingJobCompleted',
    job: {
      jobId: record.jobId,
      state: record.state,
      name: record.name,
      styleId: record.styleId,
      modelAssetId: record.modelAssetId,
      modelCoverUrl: record.modelCoverUrl,
      startTime: record.startTime,
      endTime: record.endTime,
      errorInfo: record.errorCode || record.errorMsg ? { errorCode: record.errorCode, errorMsg: record.errorMsg } : null,
    },
  });
}

export interface Relay {
  send(record: JobRecord): void;
  /** Waits for relays in flight (shutdown, tests). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export function createRelay(deps: {
  secret: string;
  allowPrivate: boolean;
  log: Logger;
  metrics: GatewayMetrics;
  /** Attempts in all, the first included. @default 5 */
  attempts?: number;
  /** Wait after the first failed attempt, doubling per failure, plus up to a quarter. @default 500 */
  baseDelayMs?: number;
  /** Each of an attempt's connect, headers and body timeouts. @default 10000 */
  timeoutMs?: number;
}): Relay {
  const attempts = deps.attempts ?? 5;
  const baseDelayMs = deps.baseDelayMs ?? 500;
  const guardedLookup: LookupFunction = (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as unknown as Array<{ address: string; family: number }>;
      if (!deps.allowPrivate && list.some((a) => isPrivateAddress(a.address))) {
        const refused = Object.assign(new Error(`relay to ${hostname} refused: it resolves to a non-public address`), { code: RELAY_REFUSED });
        return callback(refused, '', 4);
      }
      const first = list[0]!;
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      callback(null, first.address, first.family);
    });
  };
  const agent = new Agent({
    connect: { lookup: guardedLookup, timeout: deps.timeoutMs ?? 10_000 },
    headersTimeout: deps.timeoutMs ?? 10_000,
    bodyTimeout: deps.timeoutMs ?? 10_000,
  });
  const inFlight = new Set<Promise<void>>();

  async function deliver(record: JobRecord): Promise<void> {
    const url = record.notifyUrl!;
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (!deps.allowPrivate && isPrivateAddress(host)) {
      deps.metrics.relays.inc({ result: 'refused' });
      deps.log.warn({ jobId: record.jobId }, 'relay refused: notifyUrl is a non-public address');
      return;
    }
    const body = relayPayload(record);
    // Every attempt carries this one signature: RetryAgent sends the request again as it was
    // dispatched. Its timestamp is still within the receiver's tolerance (300 s in
    // verifyRelaySignature) at the last of 5 attempts: 4 attempts of at most 30 s (connect,
    // headers and body timeouts) and 9.4 s of waits come before it, 130 s in all.
    const signature = signRelay(deps.secret, Math.floor(Date.now() / 1000), body);
    // One RetryAgent per delivery, over the shared agent, so each failed attempt is told with its job.
    const dispatcher = new RetryAgent(
      agent,
      relayRetryOptions({
        attempts,
        baseDelayMs,
        maxDelayMs: MAX_DELAY_MS,
        onRetry: (failed) => {
          deps.metrics.relays.inc({ result: 'retried' });
          deps.log.warn({ jobId: record.jobId, ...failed }, 'relay attempt failed');
        },
      }),
    );
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature, 'user-agent': 'metastudio-gateway-relay/1' },
        // A Buffer, not a stream, so RetryAgent can send it again.
        body: Buffer.from(body),
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        deps.metrics.relays.inc({ result: 'delivered' });
        return;
      }
      deps.metrics.relays.inc({ result: 'rejected' });
      deps.log.warn({ jobId: record.jobId, status: res.statusCode }, 'relay rejected by receiver');
    } catch (error) {
      if (isRelayRefusal(error)) {
        deps.metrics.relays.inc({ result: 'refused' });
        deps.log.warn({ jobId: record.jobId }, 'relay refused: notifyUrl resolves to a non-public address');
        return;
      }
      const { statusCode } = error as { statusCode?: number };
      deps.metrics.relays.inc({ result: 'failed' });
      deps.log.error({ jobId: record.jobId, attempts, ...(statusCode ? { status: statusCode } : { err: (error as Error).message }) }, 'relay gave up');
    }
  }

  return {
    send(record) {
      if (!record.notifyUrl) return;
      const p = deliver(record)
        .catch((error: unknown) => deps.log.error({ err: error, jobId: record.jobId }, 'relay crashed'))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    async drain() {
      await Promise.allSettled([...inFlight]);
    },
    async close() {
      await agent.close();
    },
  };
}
