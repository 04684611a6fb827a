/** The HTTP server itself: where it listens, what it serves to browsers and tools, how it logs and stops. */
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { bool, makeValidator, type CleanedEnv } from 'envalid';
import { httpUrl, int, nonEmpty } from './validators.js';

const logLevel = makeValidator<string>((raw) => {
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw)) {
    throw new Error('must be one of fatal, error, warn, info, debug, trace, silent');
  }
  return raw;
});

const origins = makeValidator<string[]>((raw) => {
  const list = raw.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of list) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin.replace(/\/+$/, '')) {
      throw new Error(`must be a comma-separated list of origins such as https://app.example.com (bad entry ${JSON.stringify(origin)})`);
    }
  }
  return list.map((o) => new URL(o).origin);
});

export const serverSpec = {
  PORT: int(0, 65535)({ default: 4000 }),
  HOST: nonEmpty({ default: '127.0.0.1' }),
  PUBLIC_URL: httpUrl({ default: undefined }),
  LOG_LEVEL: logLevel({ default: 'info' }),
  GRAPHQL_INTROSPECTION: bool({ default: true }),
  SHUTDOWN_GRACE_MS: int(0, 600_000)({ default: 10000 }),
  CORS_ORIGINS: origins({ default: [] }),
  GRAPHIQL: bool({ default: true }),
  STYLES_CACHE_TTL_MS: int(0, 86_400_000)({ default: 300_000 }),
  TRUSTED_DOCUMENTS_FILE: nonEmpty({ default: fileURLToPath(new URL('../../client/generated/persisted-documents.json', import.meta.url)) }),
  TRUSTED_DOCUMENTS_ONLY: bool({ default: false }),
};

export interface ServerConfig {
  port: number;
  host: string;
  /** Base URL MetaStudio uses to reach us; undefined means http://HOST:PORT as bound. */
  publicUrl: string | undefined;
  logLevel: string;
  introspection: boolean;
  shutdownGraceMs: number;
  /** Exact origins allowed to call from browsers (CORS and WebSocket upgrades). */
  corsOrigins: string[];
  graphiql: boolean;
  /** How long a pictureModelingStyles answer is served from the response cache. */
  stylesCacheTtlMs: number;
  /** The trusted documents manifest (codegen's persisted-documents.json). */
  trustedDocumentsFile: string;
  /** Only trusted documents run. */
  trustedDocumentsOnly: boolean;
}

export function serverConfig(e: CleanedEnv<typeof serverSpec>, problems: string[]): ServerConfig {
  if (e.TRUSTED_DOCUMENTS_ONLY && e.TRUSTED_DOCUMENTS_FILE !== undefined && !existsSync(e.TRUSTED_DOCUMENTS_FILE)) {
    problems.push(`TRUSTED_DOCUMENTS_FILE: file not found (${e.TRUSTED_DOCUMENTS_FILE}); TRUSTED_DOCUMENTS_ONLY needs the manifest (npm run codegen writes it)`);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    introspection: e.GRAPHQL_INTROSPECTION,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    corsOrigins: e.CORS_ORIGINS,
    graphiql: e.GRAPHIQL,
    stylesCacheTtlMs: e.STYLES_CACHE_TTL_MS,
    trustedDocumentsFile: e.TRUSTED_DOCUMENTS_FILE,
    trustedDocumentsOnly: e.TRUSTED_DOCUMENTS_ONLY,
  };
}
