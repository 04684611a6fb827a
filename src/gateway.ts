/**
 * createGateway builds the whole gateway (Yoga, services, callback endpoint, poller) from
 * a config, and knows nothing of sockets or ports: src/server.ts binds it to node:http and
 * ws, and tests can drive it either way.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { GatewayConfig } from './config.js';
import { useBodyLimit } from './http/use-body-limit.js';
import { callbackTokenOf, createCallbackHandler } from './jobs/callback-handler.js';
import { createCallbackTokens } from './jobs/callback-token.js';
import { createJobBackend, type JobBackend } from './jobs/backend.js';
import { createJobEventBus } from './jobs/event-bus.js';
import { createJobService } from './jobs/job-service.js';
import { startPoller, type Poller } from './jobs/poller.js';
import { createRelay, type Relay } from './jobs/relay.js';
import { createMetaStudioClient } from './metastudio/client.js';
import { ANONYMOUS } from './jobs/job-record.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type GatewayMetrics } from './observability/metrics.js';
import type { GraphQLContext, Services } from './schema/context.js';
import { buildSchema } from './schema/index.js';
import { createLoaders } from './schema/loaders.js';
import { useStreamingUploads } from './uploads/use-streaming-uploads.js';

/** Non-multipart GraphQL bodies. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

export const QUERY_LIMITS = {
  maxDepth: 10,
  maxCost: 1000,
  maxAliases: 20,
  maxDirectives: 20,
  maxTokens: 2000,
  maxBatch: 10,
} as const;

export interface GatewayDeps {
  /** Upstream endpoint and credentials resolved by the caller (e.g. the embedded emulator's). */
  upstream: { endpoint: string; projectId: string; ak?: string | undefined; sk?: string | undefined; securityToken?: string | undefined; iamToken?: string | undefined };
  logger?: Logger;
  /** Base URL for notify_url when PUBLIC_URL is not set; known once the server is bound. */
  publicUrl: () => string;
}

export interface Gateway {
  yoga: YogaServerInstance<Record<string, unknown>, GraphQLContext>;
  services: Services;
  /** Plain HTTP routes (/health, /ready, /metrics, the callback) and /graphql. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  ready(): Promise<boolean>;
  relay: Relay;
  poller: Poller;
  instanceId: string;
  close(): Promise<void>;
}

export async function createGateway(config: GatewayConfig, deps: GatewayDeps): Promise<Gateway> {
  const log = deps.logger ?? createLogger(config.logLevel);
  const metrics: GatewayMetrics = createMetrics();
  const instanceId = randomUUID();
  const client = createMetaStudioClient({
    endpoint: deps.upstream.endpoint,
    projectId: deps.upstream.projectId,
    credentials: deps.upstream.ak && deps.upstream.sk ? { ak: deps.upstream.ak, sk: deps.upstream.sk } : undefined,
    securityToken: deps.upstream.securityToken,
    iamToken: deps.upstream.iamToken,
    timeoutMs: config.upstream.timeoutMs,
    onCall: ({ operation, status, durationMs, requestId }) => {
      metrics.upstreamCalls.inc({ operation, status: String(status) });
      metrics.upstreamSeconds.observe({ operation }, durationMs / 1000);
      log.debug({ operation, status, durationMs: Math.round(durationMs), upstreamRequestId: requestId }, 'upstream call');
    },
  });

  const backend: JobBackend = await createJobBackend(config, log);
  const { store } = backend;
  const bus = createJobEventBus(backend.eventTarget);
  const secret = () => randomBytes(32).toString('hex');
  let callbackSecret: string;
  let relaySecret: string;
  try {
    callbackSecret = config.callbackSecret ?? (await store.getOrCreateSecret('callback', secret));
    relaySecret = config.relaySigningSecret ?? (await store.getOrCreateSecret('relay', secret));
  } catch (error) {
    await backend.close();
    throw new Error(`the ${config.redisUrl ? 'Redis' : 'SQLite'} store is not usable: ${(error as Error).message}`, { cause: error });
  }
  const tokens = createCallbackTokens(callbackSecret, config.callbackTokenTtlSeconds);
  const relay = createRelay({ secret: relaySecret, allowPrivate: config.relayAllowPrivate, log, metrics });
  const jobs = createJobService({ client, store, bus, log, metrics, onCompleted: (record) => relay.send(record) });

  const services: Services = {
    config,
    client,
    store,
    bus,
    jobs,
    tokens,
    log,
    metrics,
    publicUrl: () => config.publicUrl ?? deps.publicUrl(),
  };
  const createContext = (requestId: string = randomUUID()): GraphQLContext => ({
    principal: ANONYMOUS,
    requestId,
    log: log.child({ requestId }),
    services,
    loaders: createLoaders(services),
  });

  const yoga = createYoga<Record<string, unknown>, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    // Both of Yoga's own multipart parser and body limiter would buffer whole uploads.
    multipart: false,
    maxRequestBodySize: false,
    batching: { limit: QUERY_LIMITS.maxBatch },
    landingPage: false,
    graphiql: { title: 'MetaStudio picture-modeling gateway' },
    context: (initial) => createContext(typeof initial['requestId'] === 'string' ? initial['requestId'] : undefined),
    logging: {
      debug: (...args) => log.debug({ args }, 'yoga'),
      info: (...args) => log.info({ args }, 'yoga'),
      warn: (...args) => log.warn({ args }, 'yoga'),
      error: (...args) => log.error({ args: args.map((a) => (a instanceof Error ? a.message : a)) }, 'yoga'),
    },
    plugins: [
      useStreamingUploads({ maxFileBytes: config.maxUploadBytes }),
      useBodyLimit(MAX_JSON_BODY_BYTES),
      EnvelopArmorPlugin({
        maxDepth: { n: QUERY_LIMITS.maxDepth },
        costLimit: { maxCost: QUERY_LIMITS.maxCost },
        maxAliases: { n: QUERY_LIMITS.maxAliases },
        maxDirectives: { n: QUERY_LIMITS.maxDirectives },
        maxTokens: { n: QUERY_LIMITS.maxTokens },
        blockFieldSuggestion: { enabled: !config.introspection },
      }),
      ...(config.introspection ? [] : [useDisableIntrospection()]),
    ],
  });

  const handleCallback = createCallbackHandler({ tokens, store, jobs, log, metrics });
  const poller = startPoller({ store, jobs, log, metrics, intervalMs: config.pollIntervalMs, instanceId });

  async function ready(): Promise<boolean> {
    return (await store.ready()) && backend.busReady();
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const pathname = (req.url ?? '/').split('?')[0]!;
    // Keep a caller's well-formed request id (a load balancer's), else make one; it is in every log line.
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const fail = (error: unknown) => {
      log.error({ err: error, path: pathname }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error' }));
    };
    if (pathname === '/health') return void json(res, 200, { status: 'ok' });
    if (pathname === '/ready') {
      ready().then((ok) => json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable' }), fail);
      return;
    }
    if (pathname === '/metrics') {
      metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      }, fail);
      return;
    }
    const callbackToken = callbackTokenOf(pathname);
    if (callbackToken !== undefined) {
      handleCallback(req, res, callbackToken).catch(fail);
      return;
    }
    void yoga(req, res, { req, res, requestId });
  }

  return {
    yoga,
    services,
    handle,
    ready,
    relay,
    poller,
    instanceId,
    async close() {
      await poller.stop();
      await relay.drain();
      await relay.close();
      await client.close();
      await backend.close();
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
