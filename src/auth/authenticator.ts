/**
 * Who is calling: a JWT (verified by jose against a JWKS or a shared HS256 secret) or a
 * service's API key (compared as SHA-256 hashes in constant time). Transport-neutral:
 * HTTP, SSE and graphql-ws all hand it the same two credentials.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config.js';

export const ANONYMOUS = 'anonymous';

export interface Principal {
  /**
   * Who owns jobs and limits, in a namespace per kind of credential (`jwt:<claim>`,
   * `key:<principal>`, or `anonymous`), so a JWT subject can never be an API key's principal.
   */
  id: string;
  /** The bare name (the JWT claim's value or the API key's principal), e.g. for X-App-UserId. */
  name: string;
  /** Holds AUTH_ADMIN_SCOPE: sees every job of the account. */
  admin: boolean;
  /** When the credential stops being valid (ms since the epoch), for long-lived connections. */
  expiresAt?: number | undefined;
}

export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({ id: ANONYMOUS, name: ANONYMOUS, admin: false });

/** The principal of a verified JWT: its own namespace. */
export const jwtPrincipalId = (claim: string) => `jwt:${claim}`;
/** The principal of an API key: its own namespace. */
export const apiKeyPrincipalId = (principal: string) => `key:${principal}`;

export interface PresentedCredentials {
  /** The Authorization header (or connection_init's `authorization`). */
  authorization?: string | null | undefined;
  /** The X-Api-Key header (or connection_init's `x-api-key`). */
  apiKey?: string | null | undefined;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

export interface Authenticator {
  /** False when every caller is `anonymous` (AUTH_DISABLED, or the emulator with nothing configured). */
  readonly enabled: boolean;
  authenticate(credentials: PresentedCredentials): Promise<AuthResult>;
}

/** Leeway for exp/nbf between our clock and the identity provider's. */
const CLOCK_TOLERANCE_S = 30;
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export function createAuthenticator(config: AuthConfig): Authenticator {
  if (!config.enabled) {
    return { enabled: false, authenticate: async () => ({ ok: true, principal: ANONYMOUS_PRINCIPAL }) };
  }
  let key: JWTVerifyGetKey | Uint8Array | undefined;
  let algorithms: string[] = [];
  if (config.jwksUrl) {
    // jose caches the key set and refetches it (rate-limited) when a token names an unknown kid: rotation just works.
    key = createRemoteJWKSet(new URL(config.jwksUrl), { cacheMaxAge: 10 * 60_000, cooldownDuration: config.jwksCooldownMs, timeoutDuration: 5000 });
    algorithms = ASYMMETRIC;
  } else if (config.jwtSecret) {
    key = new TextEncoder().encode(config.jwtSecret);
    algorithms = ['HS256'];
  }
  const apiKeys = config.apiKeys.map((entry) => ({ principal: entry.principal, digest: Buffer.from(entry.sha256, 'hex') }));

  async function verifyJwt(token: string): Promise<AuthResult> {
    if (!key) return { ok: false, reason: 'bearer tokens are not accepted here' };
    let payload: JWTPayload;
    try {
      const options = {
        algorithms,
        clockTolerance: CLOCK_TOLERANCE_S,
        ...(config.issuer ? { issuer: config.issuer } : {}),
        ...(config.audience ? { audience: config.audience } : {}),
      };
      payload = (key instanceof Uint8Array ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options)).payload;
    } catch (error) {
      return { ok: false, reason: describeJoseError(error) };
    }
    const claim = payload[config.principalClaim];
    const name = typeof claim === 'string' ? claim : typeof claim === 'number' ? String(claim) : '';
    if (!name) return { ok: false, reason: `the token has no "${config.principalClaim}" claim` };
    // A token that never expires cannot be revoked; one that lives longer than allowed is refused alike.
    if (typeof payload.exp !== 'number') return { ok: false, reason: 'the token has no "exp" claim' };
    const issuedAt = typeof payload.iat === 'number' ? Math.min(payload.iat, Date.now() / 1000) : Date.now() / 1000;
    if (payload.exp - issuedAt > config.jwtMaxLifetimeSeconds) {
      return { ok: false, reason: `the token's lifetime exceeds ${config.jwtMaxLifetimeSeconds} seconds` };
    }
    return {
      ok: true,
      principal: { id: jwtPrincipalId(name), name, admin: scopesOf(payload).includes(config.adminScope), expiresAt: payload.exp * 1000 },
    };
  }

  function verifyApiKey(presented: string): AuthResult {
    const digest = createHash('sha256').update(presented).digest();
    let found: string | undefined;
    // Every entry is compared, so the time taken says nothing about which one matched.
    for (const entry of apiKeys) {
      if (timingSafeEqual(entry.digest, digest) && found === undefined) found = entry.principal;
    }
    return found === undefined ? { ok: false, reason: 'unknown API key' } : { ok: true, principal: { id: apiKeyPrincipalId(found), name: found, admin: false } };
  }

  return {
    enabled: true,
    async authenticate({ authorization, apiKey }) {
      if (authorization) {
        const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)\s*$/i.exec(authorization);
        if (!match) return { ok: false, reason: 'the Authorization header must be "Bearer <token>"' };
        return verifyJwt(match[1]!);
      }
      if (apiKey) return verifyApiKey(apiKey);
      return { ok: false, reason: 'credentials are required (Authorization: Bearer <JWT> or X-Api-Key)' };
    },
  };
}

function scopesOf(payload: JWTPayload): string[] {
  const out: string[] = [];
  for (const claim of [payload['scope'], payload['scp']]) {
    if (typeof claim === 'string') out.push(...claim.split(/\s+/).filter(Boolean));
    else if (Array.isArray(claim)) out.push(...claim.filter((s): s is string => typeof s === 'string'));
  }
  return out;
}

/** A reason a client can act on, without echoing the token. */
function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `the token's "${error.claim}" claim is not accepted`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return 'the token signature is not valid';
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token algorithm is not accepted';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JOSEError && error.code === 'ERR_JWKS_INVALID') {
    return 'the signing keys could not be fetched';
  }
  return 'the token is malformed';
}
