/** Who callers are: JWT (JWKS or a shared secret), API keys, or nobody (anonymous). */
import { readFileSync } from 'node:fs';
import { bool, makeValidator, type CleanedEnv } from 'envalid';
import { httpUrl, int, nonEmpty } from './validators.js';

const jwtSecret = makeValidator<string>((raw) => {
  if (raw.length < 32) throw new Error('must be at least 32 characters');
  return raw;
});

export const authSpec = {
  AUTH_JWT_JWKS_URL: httpUrl({ default: undefined }),
  AUTH_JWT_SECRET: jwtSecret({ default: undefined }),
  AUTH_JWKS_COOLDOWN_MS: int(0, 3_600_000)({ default: 30_000 }),
  AUTH_JWT_ISSUER: nonEmpty({ default: undefined }),
  AUTH_JWT_AUDIENCE: nonEmpty({ default: undefined }),
  AUTH_PRINCIPAL_CLAIM: nonEmpty({ default: 'sub' }),
  AUTH_ADMIN_SCOPE: nonEmpty({ default: 'metastudio:admin' }),
  AUTH_API_KEYS_FILE: nonEmpty({ default: undefined }),
  AUTH_DISABLED: bool({ default: false }),
  AUTH_JWT_MAX_LIFETIME_SECONDS: int(60, 366 * 86_400)({ default: 86_400 }),
};

/** Never echoed in a problem line. */
export const authSecrets = ['AUTH_JWT_SECRET'];

export interface ApiKeyEntry {
  principal: string;
  /** Lower-case hex SHA-256 of the key. */
  sha256: string;
}

export interface AuthConfig {
  /** False: every caller is `anonymous`. */
  enabled: boolean;
  jwksUrl: string | undefined;
  /** Least time between two JWKS fetches (a token with an unknown kid triggers one). */
  jwksCooldownMs: number;
  jwtSecret: string | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  principalClaim: string;
  adminScope: string;
  apiKeys: ApiKeyEntry[];
  /** A JWT whose `exp` lies further than this beyond its `iat` (or now) is refused. */
  jwtMaxLifetimeSeconds: number;
}

/** `principal:sha256-hex` lines; blank lines and `#` comments are skipped. */
export function parseApiKeysFile(text: string): ApiKeyEntry[] {
  const entries: ApiKeyEntry[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) return;
    const match = /^([^:\s]+):([0-9a-fA-F]{64})$/.exec(trimmed);
    if (!match) throw new Error(`line ${index + 1} is not "principal:sha256-hex-of-key"`);
    entries.push({ principal: match[1]!, sha256: match[2]!.toLowerCase() });
  });
  return entries;
}

/** @param remote a real upstream is configured (upstream.ts), which makes authentication mandatory. */
export function authConfig(e: CleanedEnv<typeof authSpec>, remote: boolean, problems: string[]): AuthConfig {
  let apiKeys: ApiKeyEntry[] = [];
  if (e.AUTH_API_KEYS_FILE !== undefined) {
    try {
      apiKeys = parseApiKeysFile(readFileSync(e.AUTH_API_KEYS_FILE, 'utf8'));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
      problems.push(`AUTH_API_KEYS_FILE: ${reason} (${e.AUTH_API_KEYS_FILE})`);
    }
  }
  if (e.AUTH_JWT_JWKS_URL !== undefined && e.AUTH_JWT_SECRET !== undefined) {
    problems.push('AUTH_JWT_SECRET: set either AUTH_JWT_JWKS_URL or AUTH_JWT_SECRET, not both');
  }
  const configured = e.AUTH_JWT_JWKS_URL !== undefined || e.AUTH_JWT_SECRET !== undefined || e.AUTH_API_KEYS_FILE !== undefined;
  // Secure by default: a real (paid) upstream is never open to strangers by accident.
  if (remote && !configured && !e.AUTH_DISABLED) {
    problems.push(
      'AUTH_JWT_JWKS_URL: authentication is required with a real upstream (set AUTH_JWT_JWKS_URL, AUTH_JWT_SECRET or AUTH_API_KEYS_FILE, or AUTH_DISABLED=true to serve everyone as anonymous)',
    );
  }
  return {
    enabled: configured && !e.AUTH_DISABLED,
    jwksUrl: e.AUTH_JWT_JWKS_URL,
    jwksCooldownMs: e.AUTH_JWKS_COOLDOWN_MS,
    jwtSecret: e.AUTH_JWT_SECRET,
    issuer: e.AUTH_JWT_ISSUER,
    audience: e.AUTH_JWT_AUDIENCE,
    principalClaim: e.AUTH_PRINCIPAL_CLAIM,
    adminScope: e.AUTH_ADMIN_SCOPE,
    apiKeys,
    jwtMaxLifetimeSeconds: e.AUTH_JWT_MAX_LIFETIME_SECONDS,
  };
}
