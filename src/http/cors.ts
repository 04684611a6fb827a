/**
 * CORS by exact allow-list (CORS_ORIGINS): a listed origin gets its own origin back with
 * credentials; any other origin gets no CORS headers at all, so a browser keeps the
 * answer from it. Same-origin requests need none.
 */
import type { CORSOptions } from 'graphql-yoga';

export function corsFor(allowed: readonly string[]): (request: Request) => CORSOptions {
  const origins = new Set(allowed);
  return (request) => {
    const origin = request.headers.get('origin');
    if (!origin || !origins.has(origin)) return false;
    return {
      origin: [origin],
      credentials: true,
      methods: ['GET', 'POST', 'OPTIONS'],
      exposedHeaders: ['X-Request-Id', 'WWW-Authenticate'],
      maxAge: 600,
    };
  };
}

/** The same policy for an answer written outside Yoga (a refusal before it runs): headers for a listed origin, none otherwise. */
export function corsHeadersFor(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  return origin && allowed.includes(origin) ? { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' } : {};
}

/** A WebSocket upgrade's Origin is acceptable: absent (not a browser), the gateway's own, or listed. */
export function isAllowedSocketOrigin(origin: string | undefined, host: string | undefined, ownOrigins: readonly string[], allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin) || ownOrigins.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
