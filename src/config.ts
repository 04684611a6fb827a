/**
 * The only module that reads the environment. Every variable of docs/configuration.md is
 * parsed and checked once, with envalid; a bad value stops
 * start-up with one line naming the variable, and never echoes a secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bool, cleanEnv, makeValidator } from 'envalid';
import { isRegionName, resolveEndpoint } from './metastudio/endpoints.js';
import { DEFAULT_RATE_LIMITS_TEXT, parseRateLimits, type RateLimits } from './budget/rate-limits.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** One line per problem, each starting with the variable it names. */
  readonly problems: readonly string[];
  constructor(message: string, problems: readonly string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

export interface UpstreamConfig {
  /** Where MetaStudio is; undefined means: start the embedded emulator. */
  endpoint: string | undefined;
  projectId: string | undefined;
  ak: string | undefined;
  sk: string | undefined;
  securityToken: string | undefined;
  iamToken: string | undefined;
  timeoutMs: number;
}

/** One of the three ways to reach Redis, with what they share. */
export type RedisConfig = (
  | { mode: 'url'; url: string }
  | { mode: 'sentinel'; sentinels: RedisNode[]; name: string }
  | { mode: 'cluster'; nodes: RedisNode[] }
) & {
  /** For the Sentinel and Cluster forms (REDIS_URL carries its own). */
  password: string | undefined;
  tls: boolean;
  /** Replicas that must acknowledge a create's intent (WAIT) before it is sent upstream. */
  waitReplicas: number;
};

export interface RedisNode {
  host: string;
  port: number;
}

export interface GatewayConfig {
  port: number;
  host: string;
  /** Base URL MetaStudio uses to reach us; undefined means http://HOST:PORT as bound. */
  publicUrl: string | undefined;
  upstream: UpstreamConfig;
  databasePath: string;
  redisUrl: string | undefined;
  /** Where Redis is (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES); undefined means SQLite. */
  redis: RedisConfig | undefined;
  maxUploadBytes: number;
  pollIntervalMs: number;
  /** A stored job state older than this is re-read upstream when a subscription for it opens. */
  rereadAfterMs: number;
  /** A create still without a job id after this long is looked for upstream (its answer was lost). */
  reconcileAfterMs: number;
  callbackSecret: string | undefined;
  callbackTokenTtlSeconds: number;
  relaySigningSecret: string | undefined;
  relayAllowPrivate: boolean;
  logLevel: string;
  introspection: boolean;
  /** Job duration of the embedded emulator. */
  emulatorJobDurationMs: number;
  shutdownGraceMs: number;
  auth: AuthConfig;
  /** Exact origins allowed to call from browsers (CORS and WebSocket upgrades). */
  corsOrigins: string[];
  graphiql: boolean;
  /** The trusted documents manifest (codegen's persisted-documents.json). */
  trustedDocumentsFile: string;
  /** Only trusted documents run. */
  trustedDocumentsOnly: boolean;
  /** Export traces over OTLP/HTTP (the standard OTEL_* variables configure the exporter). */
  tracing: boolean;
  /** How long a pictureModelingStyles answer is served from the response cache. */
  stylesCacheTtlMs: number;
  limits: LimitsConfig;
  security: SecurityConfig;
  budget: BudgetConfig;
  // --- clients ---
  clients: ClientsConfig;
}

// --- clients ---
export interface ClientsConfig {
  /** A `{}` part this often on multipart HTTP subscriptions, so proxies keep them open. */
  multipartHeartbeatMs: number;
  /** pictureModelingJobUpdated events are kept this long for `after` replays (at least 24 h). */
  jobEventsRetentionMs: number;
  /** At most this many events kept per principal, newest kept. */
  jobEventsMaxPerPrincipal: number;
}

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

// --- security ---
/** Fair shares of what one instance holds, so one caller (or a crowd of strangers) cannot take it all. */
export interface SecurityConfig {
  /** Uploads one principal streams at once on this instance (each file of a batch counts); only with authentication on. */
  maxUploadsPerPrincipal: number;
  /** graphql-ws and SSE connections one principal holds at once on this instance; only with authentication on. */
  maxConnectionsPerPrincipal: number;
  /** WebSocket connections that have not yet authenticated (no connection_init accepted), at once. */
  maxUnauthenticatedConnections: number;
  /** Time a WebSocket has to send its connection_init before it is closed (4408). */
  connectionInitTimeoutMs: number;
  /** Time a request's headers may take to arrive in full; then 408 and the connection is closed. */
  headersTimeoutMs: number;
}

export interface LimitsConfig {
  createsPerMinute: number;
  maxPendingJobsPerPrincipal: number;
  maxSubscriptionsPerConnection: number;
  maxConnections: number;
  /** An upload that sends nothing for this long is aborted. */
  uploadIdleTimeoutMs: number;
  /** Uploads in flight at once on this instance. */
  maxConcurrentUploads: number;
  /** How long an unanswered create is looked for before its registration is closed. */
  reconcileGiveUpMs: number;
}

const int = (min: number, max: number) =>
  makeValidator<number>((raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be a whole number from ${min} to ${max}`);
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`must be a whole number from ${min} to ${max}`);
    return value;
  });

const httpUrl = makeValidator<string>((raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('must be an absolute http(s) URL');
  return raw.replace(/\/+$/, '');
});

const redisUrl = makeValidator<string>((raw) => {
  try {
    const url = new URL(raw);
    if (url.protocol === 'redis:' || url.protocol === 'rediss:') return raw;
  } catch {
    // fall through
  }
  throw new Error('must be a redis:// or rediss:// URL');
});

// --- redis ---
const redisNodes = makeValidator<RedisNode[]>((raw) => {
  const nodes = raw.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(part);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) throw new Error('must be host:port pairs separated by commas');
    return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (nodes.length === 0) throw new Error('must be host:port pairs separated by commas');
  return nodes;
});

function redisConfigOf(e: {
  REDIS_URL: string | undefined;
  REDIS_SENTINELS: RedisNode[] | undefined;
  REDIS_SENTINEL_NAME: string;
  REDIS_CLUSTER_NODES: RedisNode[] | undefined;
  REDIS_PASSWORD: string | undefined;
  REDIS_TLS: boolean;
  REDIS_WAIT_REPLICAS: number | undefined;
}): RedisConfig | undefined {
  const given = (['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const).filter((name) => e[name] !== undefined);
  if (given.length > 1) throw new ConfigError(`${given[1]}: set only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES (got ${given.join(' and ')})`);
  const shared = { password: e.REDIS_PASSWORD, tls: e.REDIS_TLS };
  if (e.REDIS_URL !== undefined) return { mode: 'url', url: e.REDIS_URL, ...shared, waitReplicas: e.REDIS_WAIT_REPLICAS ?? 0 };
  if (e.REDIS_SENTINELS !== undefined) return { mode: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME, ...shared, waitReplicas: e.REDIS_WAIT_REPLICAS ?? 1 };
  if (e.REDIS_CLUSTER_NODES !== undefined) return { mode: 'cluster', nodes: e.REDIS_CLUSTER_NODES, ...shared, waitReplicas: e.REDIS_WAIT_REPLICAS ?? 1 };
  return undefined;
}
// --- end redis ---

const region = makeValidator<string>((raw) => {
  if (!isRegionName(raw)) throw new Error('must be a region name such as cn-north-4 or cn-east-3');
  return raw;
});

const nonEmpty = makeValidator<string>((raw) => {
  if (raw.trim() === '') throw new Error('must not be empty');
  return raw;
});

const secret = makeValidator<string>((raw) => {
  if (raw.length < 16) throw new Error('must be at least 16 characters');
  return raw;
});

const logLevel = makeValidator<string>((raw) => {
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw)) {
    throw new Error('must be one of fatal, error, warn, info, debug, trace, silent');
  }
  return raw;
});

const jwtSecret = makeValidator<string>((raw) => {
  if (raw.length < 32) throw new Error('must be at least 32 characters');
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

const SECRET_NAMES = new Set(['CLOUD_SDK_SK', 'CLOUD_SDK_SECURITY_TOKEN', 'METASTUDIO_IAM_TOKEN', 'CALLBACK_SECRET', 'RELAY_SIGNING_SECRET', 'AUTH_JWT_SECRET', 'REDIS_PASSWORD']);

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

/**
 * @throws ConfigError listing every problem at once, one line each, each naming its variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const problems: string[] = [];
  // A plain copy: envalid's own object throws when an invalid variable is read, and the
  // checks across variables below run (and report) even when some are invalid.
  const e = { ...cleanEnv(
    env,
    {
      PORT: int(0, 65535)({ default: 4000 }),
      HOST: nonEmpty({ default: '127.0.0.1' }),
      PUBLIC_URL: httpUrl({ default: undefined }),
      METASTUDIO_ENDPOINT: httpUrl({ default: undefined }),
      METASTUDIO_REGION: region({ default: undefined }),
      METASTUDIO_PROJECT_ID: nonEmpty({ default: undefined }),
      CLOUD_SDK_AK: nonEmpty({ default: undefined }),
      CLOUD_SDK_SK: nonEmpty({ default: undefined }),
      CLOUD_SDK_SECURITY_TOKEN: nonEmpty({ default: undefined }),
      METASTUDIO_IAM_TOKEN: nonEmpty({ default: undefined }),
      DATABASE_PATH: nonEmpty({ default: './data/gateway.db' }),
      REDIS_URL: redisUrl({ default: undefined }),
      // --- redis ---
      REDIS_SENTINELS: redisNodes({ default: undefined }),
      REDIS_SENTINEL_NAME: nonEmpty({ default: 'mymaster' }),
      REDIS_CLUSTER_NODES: redisNodes({ default: undefined }),
      REDIS_PASSWORD: nonEmpty({ default: undefined }),
      REDIS_TLS: bool({ default: false }),
      REDIS_WAIT_REPLICAS: int(0, 16)({ default: undefined }),
      // --- end redis ---
      MAX_UPLOAD_BYTES: int(1, 2 ** 40)({ default: 10485760 }),
      UPSTREAM_TIMEOUT_MS: int(1, 3_600_000)({ default: 30000 }),
      POLL_INTERVAL_MS: int(10, 86_400_000)({ default: 30000 }),
      SUBSCRIBE_REREAD_AFTER_MS: int(0, 86_400_000)({ default: 5000 }),
      RECONCILE_AFTER_MS: int(0, 86_400_000)({ default: 60_000 }),
      CALLBACK_SECRET: secret({ default: undefined }),
      CALLBACK_TOKEN_TTL_SECONDS: int(60, 365 * 86400)({ default: 7 * 86400 }),
      RELAY_SIGNING_SECRET: secret({ default: undefined }),
      RELAY_ALLOW_PRIVATE: bool({ default: false }),
      LOG_LEVEL: logLevel({ default: 'info' }),
      GRAPHQL_INTROSPECTION: bool({ default: true }),
      EMULATOR_JOB_DURATION_MS: int(0, 86_400_000)({ default: 3000 }),
      SHUTDOWN_GRACE_MS: int(0, 600_000)({ default: 10000 }),
      AUTH_JWT_JWKS_URL: httpUrl({ default: undefined }),
      AUTH_JWT_SECRET: jwtSecret({ default: undefined }),
      AUTH_JWKS_COOLDOWN_MS: int(0, 3_600_000)({ default: 30_000 }),
      AUTH_JWT_ISSUER: nonEmpty({ default: undefined }),
      AUTH_JWT_AUDIENCE: nonEmpty({ default: undefined }),
      AUTH_PRINCIPAL_CLAIM: nonEmpty({ default: 'sub' }),
      AUTH_ADMIN_SCOPE: nonEmpty({ default: 'metastudio:admin' }),
      AUTH_API_KEYS_FILE: nonEmpty({ default: undefined }),
      AUTH_DISABLED: bool({ default: false }),
      CORS_ORIGINS: origins({ default: [] }),
      GRAPHIQL: bool({ default: true }),
      STYLES_CACHE_TTL_MS: int(0, 86_400_000)({ default: 300_000 }),
      TRUSTED_DOCUMENTS_FILE: nonEmpty({ default: fileURLToPath(new URL('../client/generated/persisted-documents.json', import.meta.url)) }),
      TRUSTED_DOCUMENTS_ONLY: bool({ default: false }),
      OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl({ default: undefined }),
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl({ default: undefined }),
      OTEL_TRACES_EXPORTER: nonEmpty({ default: undefined }),
      OTEL_SDK_DISABLED: bool({ default: false }),
      RATE_LIMIT_CREATES_PER_MINUTE: int(1, 1_000_000)({ default: 30 }),
      MAX_PENDING_JOBS_PER_PRINCIPAL: int(1, 1_000_000)({ default: 20 }),
      MAX_SUBSCRIPTIONS_PER_CONNECTION: int(1, 100_000)({ default: 100 }),
      MAX_CONNECTIONS: int(1, 1_000_000)({ default: 10000 }),
      UPLOAD_IDLE_TIMEOUT_MS: int(100, 3_600_000)({ default: 30000 }),
      MAX_CONCURRENT_UPLOADS: int(1, 100_000)({ default: 64 }),
      RECONCILE_GIVE_UP_MS: int(1000, 7 * 86_400_000)({ default: 6 * 3_600_000 }),
      // --- security ---
      MAX_UPLOADS_PER_PRINCIPAL: int(1, 100_000)({ default: 8 }),
      MAX_CONNECTIONS_PER_PRINCIPAL: int(1, 1_000_000)({ default: 100 }),
      MAX_UNAUTHENTICATED_CONNECTIONS: int(1, 1_000_000)({ default: undefined }),
      CONNECTION_INIT_TIMEOUT_MS: int(100, 600_000)({ default: 3000 }),
      AUTH_JWT_MAX_LIFETIME_SECONDS: int(60, 366 * 86_400)({ default: 86_400 }),
      HEADERS_TIMEOUT_MS: int(100, 300_000)({ default: 15_000 }),
      // --- clients ---
      MULTIPART_HEARTBEAT_MS: int(10, 3_600_000)({ default: 5000 }),
      JOB_EVENTS_RETENTION_HOURS: int(24, 24 * 365)({ default: 24 }),
      JOB_EVENTS_MAX_PER_PRINCIPAL: int(100, 10_000_000)({ default: 10_000 }),
    },
    // Collected rather than thrown, so the checks across variables below report theirs too.
    { reporter: ({ errors }) => problems.push(...describeErrors(errors as Record<string, Error | undefined>, env)) },
  ) };

  const remote = e.METASTUDIO_ENDPOINT !== undefined || e.METASTUDIO_REGION !== undefined;
  if (remote) {
    if (e.METASTUDIO_PROJECT_ID === undefined) problems.push('METASTUDIO_PROJECT_ID: required when METASTUDIO_ENDPOINT or METASTUDIO_REGION is set');
    const hasKeys = e.CLOUD_SDK_AK !== undefined && e.CLOUD_SDK_SK !== undefined;
    if (!hasKeys && e.METASTUDIO_IAM_TOKEN === undefined) {
      const missing = e.CLOUD_SDK_AK === undefined ? 'CLOUD_SDK_AK' : 'CLOUD_SDK_SK';
      problems.push(`${missing}: required (with its pair) when METASTUDIO_ENDPOINT or METASTUDIO_REGION is set, unless METASTUDIO_IAM_TOKEN is given`);
    }
  }
  let apiKeys: ApiKeyEntry[] = [];
  if (e.AUTH_API_KEYS_FILE !== undefined) {
    try {
      apiKeys = parseApiKeysFile(readFileSync(e.AUTH_API_KEYS_FILE, 'utf8'));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
      problems.push(`AUTH_API_KEYS_FILE: ${reason} (${e.AUTH_API_KEYS_FILE})`);
    }
  }
  if (e.TRUSTED_DOCUMENTS_ONLY && e.TRUSTED_DOCUMENTS_FILE !== undefined && !existsSync(e.TRUSTED_DOCUMENTS_FILE)) {
    problems.push(`TRUSTED_DOCUMENTS_FILE: file not found (${e.TRUSTED_DOCUMENTS_FILE}); TRUSTED_DOCUMENTS_ONLY needs the manifest (npm run codegen writes it)`);
  }
  if (e.AUTH_JWT_JWKS_URL !== undefined && e.AUTH_JWT_SECRET !== undefined) {
    problems.push('AUTH_JWT_SECRET: set either AUTH_JWT_JWKS_URL or AUTH_JWT_SECRET, not both');
  }
  const authConfigured = e.AUTH_JWT_JWKS_URL !== undefined || e.AUTH_JWT_SECRET !== undefined || e.AUTH_API_KEYS_FILE !== undefined;
  // Secure by default: a real (paid) upstream is never open to strangers by accident.
  if (remote && !authConfigured && !e.AUTH_DISABLED) {
    problems.push(
      'AUTH_JWT_JWKS_URL: authentication is required with a real upstream (set AUTH_JWT_JWKS_URL, AUTH_JWT_SECRET or AUTH_API_KEYS_FILE, or AUTH_DISABLED=true to serve everyone as anonymous)',
    );
  }
  if ((e.CLOUD_SDK_AK === undefined) !== (e.CLOUD_SDK_SK === undefined)) {
    problems.push(`${e.CLOUD_SDK_AK === undefined ? 'CLOUD_SDK_AK' : 'CLOUD_SDK_SK'}: must be set together with its pair`);
  }

  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems);

  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    upstream: {
      endpoint: resolveEndpoint({ endpoint: e.METASTUDIO_ENDPOINT, region: e.METASTUDIO_REGION }),
      projectId: e.METASTUDIO_PROJECT_ID,
      ak: e.CLOUD_SDK_AK,
      sk: e.CLOUD_SDK_SK,
      securityToken: e.CLOUD_SDK_SECURITY_TOKEN,
      iamToken: e.METASTUDIO_IAM_TOKEN,
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
    },
    databasePath: e.DATABASE_PATH,
    redisUrl: e.REDIS_URL,
    redis: redisConfigOf(e),
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    rereadAfterMs: e.SUBSCRIBE_REREAD_AFTER_MS,
    reconcileAfterMs: e.RECONCILE_AFTER_MS,
    callbackSecret: e.CALLBACK_SECRET,
    callbackTokenTtlSeconds: e.CALLBACK_TOKEN_TTL_SECONDS,
    relaySigningSecret: e.RELAY_SIGNING_SECRET,
    relayAllowPrivate: e.RELAY_ALLOW_PRIVATE,
    logLevel: e.LOG_LEVEL,
    introspection: e.GRAPHQL_INTROSPECTION,
    emulatorJobDurationMs: e.EMULATOR_JOB_DURATION_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    auth: {
      enabled: authConfigured && !e.AUTH_DISABLED,
      jwksUrl: e.AUTH_JWT_JWKS_URL,
      jwksCooldownMs: e.AUTH_JWKS_COOLDOWN_MS,
      jwtSecret: e.AUTH_JWT_SECRET,
      issuer: e.AUTH_JWT_ISSUER,
      audience: e.AUTH_JWT_AUDIENCE,
      principalClaim: e.AUTH_PRINCIPAL_CLAIM,
      adminScope: e.AUTH_ADMIN_SCOPE,
      apiKeys,
      jwtMaxLifetimeSeconds: e.AUTH_JWT_MAX_LIFETIME_SECONDS,
    },
    corsOrigins: e.CORS_ORIGINS,
    graphiql: e.GRAPHIQL,
    stylesCacheTtlMs: e.STYLES_CACHE_TTL_MS,
    trustedDocumentsFile: e.TRUSTED_DOCUMENTS_FILE,
    trustedDocumentsOnly: e.TRUSTED_DOCUMENTS_ONLY,
    tracing:
      !e.OTEL_SDK_DISABLED &&
      (e.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined || e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined || e.OTEL_TRACES_EXPORTER?.split(',').includes('otlp') === true),
    budget: loadBudgetConfig(env),
    limits: {
      createsPerMinute: e.RATE_LIMIT_CREATES_PER_MINUTE,
      maxPendingJobsPerPrincipal: e.MAX_PENDING_JOBS_PER_PRINCIPAL,
      maxSubscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxConnections: e.MAX_CONNECTIONS,
      uploadIdleTimeoutMs: e.UPLOAD_IDLE_TIMEOUT_MS,
      maxConcurrentUploads: e.MAX_CONCURRENT_UPLOADS,
      reconcileGiveUpMs: e.RECONCILE_GIVE_UP_MS,
    },
    // --- security ---
    security: {
      maxUploadsPerPrincipal: e.MAX_UPLOADS_PER_PRINCIPAL,
      maxConnectionsPerPrincipal: e.MAX_CONNECTIONS_PER_PRINCIPAL,
      // Unset: a tenth of MAX_CONNECTIONS (at least 10, at most all of it).
      maxUnauthenticatedConnections: e.MAX_UNAUTHENTICATED_CONNECTIONS ?? Math.max(Math.min(e.MAX_CONNECTIONS, 10), Math.ceil(e.MAX_CONNECTIONS / 10)),
      connectionInitTimeoutMs: e.CONNECTION_INIT_TIMEOUT_MS,
      headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
    },
    // --- clients ---
    clients: {
      multipartHeartbeatMs: e.MULTIPART_HEARTBEAT_MS,
      jobEventsRetentionMs: e.JOB_EVENTS_RETENTION_HOURS * 3_600_000,
      jobEventsMaxPerPrincipal: e.JOB_EVENTS_MAX_PER_PRINCIPAL,
    },
  };
}

/** One line per bad variable, naming it; a secret's value is never shown. */
function describeErrors(errors: Record<string, Error | undefined>, env: Record<string, string | undefined>): string[] {
  return Object.entries(errors).flatMap(([name, error]) => {
    if (!error) return [];
    const raw = env[name];
    const shown = raw === undefined || SECRET_NAMES.has(name) ? '' : ` (got ${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw)})`;
    return [`${name}: ${error.message}${shown}`];
  });
}

function reportAll(errors: Record<string, Error | undefined>, env: Record<string, string | undefined>): void {
  const problems = describeErrors(errors, env);
  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems);
}

export interface EmulatorConfig {
  port: number;
  host: string;
  ak: string | undefined;
  sk: string | undefined;
  projectId: string | undefined;
  iamToken: string | undefined;
  jobDurationMs: number;
  maxPhotoBytes: number;
  controlApi: boolean;
  /** EMULATOR_RATE_LIMITS; undefined: off. */
  rateLimits: RateLimits | undefined;
}

/** For `npm run emulator`: the emulator alone. */
export function loadEmulatorConfig(env: Record<string, string | undefined> = process.env): EmulatorConfig {
  const e = cleanEnv(
    env,
    {
      EMULATOR_PORT: int(0, 65535)({ default: 4010 }),
      EMULATOR_HOST: nonEmpty({ default: '127.0.0.1' }),
      CLOUD_SDK_AK: nonEmpty({ default: undefined }),
      CLOUD_SDK_SK: nonEmpty({ default: undefined }),
      METASTUDIO_PROJECT_ID: nonEmpty({ default: undefined }),
      METASTUDIO_IAM_TOKEN: nonEmpty({ default: undefined }),
      EMULATOR_JOB_DURATION_MS: int(0, 86_400_000)({ default: 3000 }),
      EMULATOR_MAX_PHOTO_BYTES: int(1, 2 ** 40)({ default: 10485760 }),
      EMULATOR_CONTROL_API: bool({ default: false }),
    },
    { reporter: ({ errors }) => reportAll(errors as Record<string, Error | undefined>, env) },
  );
  return {
    port: e.EMULATOR_PORT,
    host: e.EMULATOR_HOST,
    ak: e.CLOUD_SDK_AK,
    sk: e.CLOUD_SDK_SK,
    projectId: e.METASTUDIO_PROJECT_ID,
    iamToken: e.METASTUDIO_IAM_TOKEN,
    jobDurationMs: e.EMULATOR_JOB_DURATION_MS,
    maxPhotoBytes: e.EMULATOR_MAX_PHOTO_BYTES,
    controlApi: e.EMULATOR_CONTROL_API,
    rateLimits: loadBudgetConfig(env).emulatorLimits,
  };
}

// --- budget ---
export interface BudgetConfig {
  /** UPSTREAM_RATE_LIMITS: requests per second per operation, for all instances together. */
  limits: RateLimits;
  /** UPSTREAM_QUEUE_TIMEOUT_MS: how long a create may wait for its turn. */
  queueTimeoutMs: number;
  /** UPSTREAM_QUEUE_MAX: creates waiting on this instance, per create operation. */
  queueMax: number;
  /** EMULATOR_RATE_LIMITS: the embedded emulator's own limits; undefined when `off`. */
  emulatorLimits: RateLimits | undefined;
}

const rateLimits = makeValidator<RateLimits>((raw) => parseRateLimits(raw));
const rateLimitsOrOff = makeValidator<RateLimits | 'off'>((raw) => (raw.trim() === 'off' ? 'off' : parseRateLimits(raw)));

export function loadBudgetConfig(env: Record<string, string | undefined>): BudgetConfig {
  const e = cleanEnv(
    env,
    {
      UPSTREAM_RATE_LIMITS: rateLimits({ default: parseRateLimits(DEFAULT_RATE_LIMITS_TEXT) }),
      UPSTREAM_QUEUE_TIMEOUT_MS: int(0, 3_600_000)({ default: 60_000 }),
      UPSTREAM_QUEUE_MAX: int(0, 1_000_000)({ default: 1000 }),
      EMULATOR_RATE_LIMITS: rateLimitsOrOff({ default: parseRateLimits(DEFAULT_RATE_LIMITS_TEXT) }),
    },
    { reporter: ({ errors }) => reportAll(errors as Record<string, Error | undefined>, env) },
  );
  return {
    limits: e.UPSTREAM_RATE_LIMITS,
    queueTimeoutMs: e.UPSTREAM_QUEUE_TIMEOUT_MS,
    queueMax: e.UPSTREAM_QUEUE_MAX,
    emulatorLimits: e.EMULATOR_RATE_LIMITS === 'off' ? undefined : e.EMULATOR_RATE_LIMITS,
  };
}
