/**
 * The only module that reads the environment. Every variable of shared/docs/contract.md
 * (plus a few extensions) is parsed and checked once, with envalid; a bad value stops
 * start-up with one line naming the variable, and never echoes a secret.
 */
import { bool, cleanEnv, makeValidator } from 'envalid';
import { isRegionName, resolveEndpoint } from './metastudio/endpoints.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
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

export interface GatewayConfig {
  port: number;
  host: string;
  /** Base URL MetaStudio uses to reach us; undefined means http://HOST:PORT as bound. */
  publicUrl: string | undefined;
  upstream: UpstreamConfig;
  databasePath: string;
  redisUrl: string | undefined;
  maxUploadBytes: number;
  pollIntervalMs: number;
  /** A stored job state older than this is re-read upstream when a subscription for it opens. */
  rereadAfterMs: number;
  callbackSecret: string | undefined;
  callbackTokenTtlSeconds: number;
  relaySigningSecret: string | undefined;
  relayAllowPrivate: boolean;
  logLevel: string;
  introspection: boolean;
  /** Job duration of the embedded emulator. */
  emulatorJobDurationMs: number;
  shutdownGraceMs: number;
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

const SECRET_NAMES = new Set(['CLOUD_SDK_SK', 'CLOUD_SDK_SECURITY_TOKEN', 'METASTUDIO_IAM_TOKEN', 'CALLBACK_SECRET', 'RELAY_SIGNING_SECRET']);

/**
 * @throws ConfigError with one line naming the first bad variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const e = cleanEnv(
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
      MAX_UPLOAD_BYTES: int(1, 2 ** 40)({ default: 10485760 }),
      UPSTREAM_TIMEOUT_MS: int(1, 3_600_000)({ default: 30000 }),
      POLL_INTERVAL_MS: int(10, 86_400_000)({ default: 30000 }),
      SUBSCRIBE_REREAD_AFTER_MS: int(0, 86_400_000)({ default: 5000 }),
      CALLBACK_SECRET: secret({ default: undefined }),
      CALLBACK_TOKEN_TTL_SECONDS: int(60, 365 * 86400)({ default: 7 * 86400 }),
      RELAY_SIGNING_SECRET: secret({ default: undefined }),
      RELAY_ALLOW_PRIVATE: bool({ default: false }),
      LOG_LEVEL: logLevel({ default: 'info' }),
      GRAPHQL_INTROSPECTION: bool({ default: true }),
      EMULATOR_JOB_DURATION_MS: int(0, 86_400_000)({ default: 3000 }),
      SHUTDOWN_GRACE_MS: int(0, 600_000)({ default: 10000 }),
    },
    { reporter: ({ errors }) => reportFirst(errors as Record<string, Error | undefined>, env) },
  );

  const remote = e.METASTUDIO_ENDPOINT !== undefined || e.METASTUDIO_REGION !== undefined;
  if (remote) {
    if (e.METASTUDIO_PROJECT_ID === undefined) throw new ConfigError('METASTUDIO_PROJECT_ID: required when METASTUDIO_ENDPOINT or METASTUDIO_REGION is set');
    const hasKeys = e.CLOUD_SDK_AK !== undefined && e.CLOUD_SDK_SK !== undefined;
    if (!hasKeys && e.METASTUDIO_IAM_TOKEN === undefined) {
      const missing = e.CLOUD_SDK_AK === undefined ? 'CLOUD_SDK_AK' : 'CLOUD_SDK_SK';
      throw new ConfigError(`${missing}: required (with its pair) when METASTUDIO_ENDPOINT or METASTUDIO_REGION is set, unless METASTUDIO_IAM_TOKEN is given`);
    }
  }
  if ((e.CLOUD_SDK_AK === undefined) !== (e.CLOUD_SDK_SK === undefined)) {
    throw new ConfigError(`${e.CLOUD_SDK_AK === undefined ? 'CLOUD_SDK_AK' : 'CLOUD_SDK_SK'}: must be set together with its pair`);
  }

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
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    pollIntervalMs: e.POLL_INTERVAL_MS,
    rereadAfterMs: e.SUBSCRIBE_REREAD_AFTER_MS,
    callbackSecret: e.CALLBACK_SECRET,
    callbackTokenTtlSeconds: e.CALLBACK_TOKEN_TTL_SECONDS,
    relaySigningSecret: e.RELAY_SIGNING_SECRET,
    relayAllowPrivate: e.RELAY_ALLOW_PRIVATE,
    logLevel: e.LOG_LEVEL,
    introspection: e.GRAPHQL_INTROSPECTION,
    emulatorJobDurationMs: e.EMULATOR_JOB_DURATION_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}

function reportFirst(errors: Record<string, Error | undefined>, env: Record<string, string | undefined>): void {
  const [name, error] = Object.entries(errors).find(([, err]) => err) ?? [];
  if (!name || !error) return;
  const raw = env[name];
  const shown = raw === undefined || SECRET_NAMES.has(name) ? '' : ` (got ${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw)})`;
  throw new ConfigError(`${name}: ${error.message}${shown}`);
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
    },
    { reporter: ({ errors }) => reportFirst(errors as Record<string, Error | undefined>, env) },
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
  };
}
