/**
 * CORS by exact allow-list (CORS_ORIGINS): a listed origin gets its own origin back with
 * credentials; any other origin gets no CORS headers at all, so a browser keeps the
 * answer from it. Same-origin requests need none.
 */
import type { CORSOptions, Plugin } from 'graphql-yoga';

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

/**
 * A WebSocket upgrade's Origin is acceptable: absent (not a browser), the gateway's own, or
 * listed. "The gateway's own" is what it was configured or bound as, never the request's
 * `Host` header: the requester controls that (DNS rebinding, a forged Host), not us.
 */
export function isAllowedSocketOrigin(origin: string | undefined, ownOrigins: readonly string[], allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  return allowed.includes(origin) || ownOrigins.includes(origin);
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * The origins a page served by this gateway has: PUBLIC_URL's, and the bound address's;
 * bound to a loopback or wildcard address, also every loopback name on that port (a page
 * opened at http://localhost:4000 when bound to 127.0.0.1). Other names: PUBLIC_URL or CORS_ORIGINS.
 */
export function ownOriginsOf(bound: { host: string; port: number }, publicUrl: string | undefined): string[] {
  const host = bound.host.includes(':') ? `[${bound.host}]` : bound.host;
  const origins = new Set([`http://${host}:${bound.port}`]);
  if ([...LOOPBACK_NAMES, '[::]', '0.0.0.0'].includes(host)) for (const name of LOOPBACK_NAMES) origins.add(`http://${name}:${bound.port}`);
  if (publicUrl) origins.add(new URL(publicUrl).origin);
  return [...origins];
}

/**
 * `Vary: Origin` on every answer when CORS_ORIGINS is set: whether an answer carries
 * Access-Control-Allow-Origin depends on the request's Origin, so no cache may hand one
 * origin's answer to another.
 */
export function useVaryOrigin(corsOrigins: readonly string[]): Plugin {
  return {
    onResponse({ response }) {
      if (corsOrigins.length === 0) return;
      const vary = response.headers.get('vary') ?? '';
      if (!/(^|,)\s*(origin|\*)\s*(,|$)/i.test(vary)) response.headers.set('vary', vary ? `${vary}, Origin` : 'Origin');
    },
  };
}
