/**
 * The attacker's tools: raw HTTP requests whose request-target is sent exactly as written
 * (fetch would normalise `//graphql` or `/x/../graphql`), a gateway with identity on, and
 * hostile multipart bodies.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { SignJWT } from 'jose';
import { startHarness, tempDir, type Harness } from '../support/harness.js';
import { writeApiKeys } from '../support/identity.js';

export const JWT_SECRET = 'adversarial-suite-shared-secret-0123456789';
export const ISSUER = 'https://login.example.test/';
export const AUDIENCE = 'metastudio-gateway';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with `path` sent verbatim. */
export function rawRequest(baseUrl: string, options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawAnswer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: Number(url.port), method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        // An event stream that was (wrongly) opened: one chunk of it is proof enough.
        const sse = String(res.headers['content-type'] ?? '').includes('event-stream');
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          if (sse) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Bytes straight onto a socket; resolves with everything the gateway answered before it closed. */
export function rawSocket(baseUrl: string, bytes: Buffer | string, options: { endAfterWrite?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(bytes);
      if (options.endAfterWrite ?? true) socket.end();
    });
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 20_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    // The gateway may answer and close while bytes are still being written (a refusal before
    // the body was read): that is EPIPE or ECONNRESET on our side, and 'close' still resolves
    // with what it answered, which the caller judges (no answer at all is status 0).
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
  });
}

export function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

export async function mintHs256(claims: Record<string, unknown>, options: { expiresInSeconds?: number | null } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt();
  if (options.expiresInSeconds !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 600));
  return jwt.sign(new TextEncoder().encode(JWT_SECRET));
}

export interface GuardedGateway extends Harness {
  apiKeys: Record<string, string>;
}

/** A gateway with identity on: HS256 with issuer and audience, API keys, a CORS allow-list. */
export async function startGuardedGateway(env: Record<string, string> = {}, apiKeyPrincipals = ['batch-service']): Promise<GuardedGateway> {
  const { file, keys } = writeApiKeys(tempDir('gw-keys-'), apiKeyPrincipals);
  const harness = await startHarness({
    env: {
      AUTH_JWT_SECRET: JWT_SECRET,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_API_KEYS_FILE: file,
      CORS_ORIGINS: 'https://app.example.test',
      ...env,
    },
  });
  return Object.assign(harness, { apiKeys: keys });
}
