/**
 * The unguessable token in every notify_url: a random nonce and its issue time, bound
 * together by an HMAC under CALLBACK_SECRET. MetaStudio's notify_url has no auth option
 * of its own (docs/upstream.md, "The notify_url callback"), so the URL itself is the credential.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const CALLBACK_PATH_PREFIX = '/callbacks/picture-modeling/';
const CONTEXT = 'pmcb1';
/** Clock difference tolerated between instances that issue and verify tokens. */
const FUTURE_SKEW_MS = 5 * 60_000;

export type TokenCheck =
  | { ok: true; nonce: string; issuedAt: number }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

export interface CallbackTokens {
  issue(now?: number): { nonce: string; token: string };
  verify(token: string, now?: number): TokenCheck;
  /** PUBLIC_URL + path for a token. */
  urlFor(publicUrl: string, token: string): string;
}

export function createCallbackTokens(secret: string, ttlSeconds: number): CallbackTokens {
  const sign = (payload: string) => createHmac('sha256', secret).update(`${CONTEXT}.${payload}`).digest('base64url');
  return {
    issue(now = Date.now()) {
      const nonce = randomBytes(18).toString('base64url');
      const payload = `${nonce}.${Math.floor(now / 1000).toString(36)}`;
      return { nonce, token: `${payload}.${sign(payload)}` };
    },
    verify(token, now = Date.now()) {
      const parts = token.split('.');
      if (parts.length !== 3 || !/^[A-Za-z0-9_-]{24}$/.test(parts[0]!) || !/^[0-9a-z]{1,10}$/.test(parts[1]!)) {
        return { ok: false, reason: 'malformed' };
      }
      const payload = `${parts[0]}.${parts[1]}`;
      const expected = Buffer.from(sign(payload));
      const given = Buffer.from(parts[2]!);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'forged' };
      const issuedAt = parseInt(parts[1]!, 36) * 1000;
      if (now - issuedAt > ttlSeconds * 1000) return { ok: false, reason: 'expired' };
      // Only a holder of the secret could mint it, but a token "from the future" would never expire.
      if (issuedAt - now > FUTURE_SKEW_MS) return { ok: false, reason: 'forged' };
      return { ok: true, nonce: parts[0]!, issuedAt };
    },
    urlFor(publicUrl, token) {
      return `${publicUrl.replace(/\/+$/, '')}${CALLBACK_PATH_PREFIX}${token}`;
    },
  };
}
