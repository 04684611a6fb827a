/** A real identity provider for tests: a JWKS served over HTTP from a generated key pair, and tokens minted per case. */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type CryptoKey } from 'jose';

export interface IdentityProvider {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** A token signed by the provider's current key. */
  mint(claims?: JWTPayload, options?: { expiresInSeconds?: number; issuer?: string; audience?: string; notBefore?: number }): Promise<string>;
  /** A token with the provider's kid but signed by a key it never published. */
  mintWithWrongKey(claims?: JWTPayload): Promise<string>;
  /** Publishes a new key (the old one disappears from the JWKS). */
  rotate(): Promise<void>;
  jwksFetches(): number;
  close(): Promise<void>;
}

export async function startIdentityProvider(): Promise<IdentityProvider> {
  let current = await newKey();
  let fetches = 0;
  const server = createServer(async (_req, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [{ ...(await exportJWK(current.publicKey)), kid: current.kid, alg: 'ES256', use: 'sig' }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${url}/`;
  const audience = 'metastudio-gateway';

  async function sign(key: { privateKey: CryptoKey; kid: string }, claims: JWTPayload, options: Parameters<IdentityProvider['mint']>[1] = {}) {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? audience)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 600));
    if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore);
    return jwt.sign(key.privateKey);
  }

  return {
    jwksUrl: `${url}/.well-known/jwks.json`,
    issuer,
    audience,
    mint: (claims = { sub: 'alice' }, options) => sign(current, claims, options),
    async mintWithWrongKey(claims = { sub: 'alice' }) {
      const other = await newKey();
      return sign({ privateKey: other.privateKey, kid: current.kid }, claims);
    },
    async rotate() {
      current = await newKey();
    },
    jwksFetches: () => fetches,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function newKey() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  return { publicKey, privateKey, kid: randomBytes(6).toString('hex') };
}

/** Writes an AUTH_API_KEYS_FILE for these principals and returns the file and their keys. */
export function writeApiKeys(dir: string, principals: string[]): { file: string; keys: Record<string, string> } {
  const keys: Record<string, string> = {};
  const lines = ['# principal:sha256-hex-of-key'];
  for (const principal of principals) {
    keys[principal] = randomBytes(24).toString('base64url');
    lines.push(`${principal}:${createHash('sha256').update(keys[principal]!).digest('hex')}`);
  }
  const file = join(dir, 'api-keys.txt');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, keys };
}

/** An HS256 bearer token for `sub`, signed with `secret` (a gateway's AUTH_JWT_SECRET), as request headers. */
export async function hs256Bearer(secret: string, sub: string): Promise<{ authorization: string }> {
  const jwt = await new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(secret));
  return { authorization: `Bearer ${jwt}` };
}
