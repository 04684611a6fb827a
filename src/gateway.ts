/**
 * createGateway builds the whole gateway (Yoga with every HTTP route as a plugin, the
 * services, the poller) from a config. It knows nothing of sockets or ports: src/server.ts
 * mounts `yoga` on node:http and attaches graphql-ws; tests that need no socket call
 * `yoga.fetch`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { ANONYMOUS_PRINCIPAL, createAuthenticator, type Authenticator, type Principal } from './auth/authenticator.js';
import { useAuthentication } from './auth/use-authentication.js';
import { useCredentialExpiry } from './auth/use-credential-expiry.js';
import type { GatewayConfig } from './config.js';
import { createConnectionLimit, type ConnectionLimit } from './http/connection-limit.js';
import { corsFor, useVaryOrigin } from './http/cors.js';
import { useUnreadBodyDrain } from './http/linger.js';
import { useBodyLimit } from './http/use-body-limit.js';
import { useStylesCache } from './http/use-styles-cache.js';
import { useDemoPage } from './http/use-demo-page.js';
import { useReadyEndpoint } from './http/use-ready-endpoint.js';
import { useMetricsEndpoint } from './http/use-metrics-endpoint.js';
import { useMultipartSubscriptions } from './http/use-multipart-subscriptions.js';
import { useSseEventIds } from './http/use-sse-event-ids.js';
import { useFormCsrf } from './http/use-form-csrf.js';
import { useRequestId } from './http/use-request-id.js';
import { useStreamShare } from './http/use-stream-share.js';
import { isGraphQLPath, useSingleGraphQLPath } from './http/use-single-graphql-path.js';
import { createAccessLog, type AccessLog } from './observability/access-log.js';
import { createUpstreamHealth } from './observability/upstream-health.js';
import { useWellFormedRequests } from './http/use-well-formed-requests.js';
import { loadTrustedDocuments, useTrustedDocuments, type TrustedDocuments } from './http/trusted-documents.js';
import { createCallbackTokens } from './jobs/webhooks/callback-token.js';
import { createJobBackend, type JobBackend } from './jobs/store/backend.js';
import { createJobEventBus } from './jobs/completion/event-bus.js';
import { recordingJobEvents } from './jobs/completion/event-log.js';
import { announcingSettledRegistrations } from './jobs/completion/settled-registrations.js';
import { createJobService } from './jobs/sync/job-service.js';
import { startPoller, type Poller } from './jobs/sync/poller.js';
import { createReconciler } from './jobs/sync/reconciler.js';
import { createRelay, type Relay } from './jobs/webhooks/relay.js';
import { useCallbackEndpoint } from './jobs/webhooks/use-callback-endpoint.js';
import { createMetaStudioClient } from './metastudio/client.js';
import { createUpstreamBudget } from './budget/upstream-budget.js';
import { createCreateQueueRelay } from './budget/create-queue-relay.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type GatewayMetrics } from './observability/metrics.js';
import { useOperationTracing } from './observability/tracing.js';
import type { GraphQLContext, Services } from './schema/context.js';
import { buildSchema } from './schema/index.js';
import { GRAPHIQL_DEFAULT_QUERY } from './schema/graphiql-example.js';
import { createLoaders } from './schema/loaders.js';
import { createUploadSlots } from './uploads/upload-slots.js';
import { useStreamingUploads, type UploadServerContext } from './uploads/use-streaming-uploads.js';

export const GRAPHQL_ENDPOINT = '/graphql';
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

/** What the server context carries into the GraphQL context, over HTTP and graphql-ws alike. */
export interface GatewayServerContext extends UploadServerContext {
  principal?: Principal;
  requestId?: string;
}

export interface Gateway {
  yoga: YogaServerInstance<GatewayServerContext, GraphQLContext>;
  services: Services;
  authenticator: Authenticator;
  /** Long-lived connections (graphql-ws, SSE): the instance's limit and the fair shares within it. */
  connections: ConnectionLimit;
  trustedDocuments: TrustedDocuments;
  /** One line per HTTP request and WebSocket connection; the transports report to it. */
  accessLog: AccessLog;
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
  const backend: JobBackend = await createJobBackend(config, log);
  const budget = createUpstreamBudget({
    limits: config.budget.limits,
    clock: backend.createSlotClock(),
    queueTimeoutMs: config.budget.queueTimeoutMs,
    queueMax: config.budget.queueMax,
    log,
    metrics: metrics.budget,
  });
  // Without sticky sessions a create's follower may be on another instance (Redis mode only).
  const createQueueRelay = backend.redis
    ? createCreateQueueRelay({ target: backend.eventTarget, queues: [budget.queue('create'), budget.queue('createByUrl')], instanceId, log })
    : undefined;
  const accessLog = createAccessLog(log, metrics.refusals);
  const upstreamHealth = createUpstreamHealth({ registry: metrics.registry, log });
  const client = createMetaStudioClient({
    budget,
    endpoint: deps.upstream.endpoint,
    projectId: deps.upstream.projectId,
    credentials: deps.upstream.ak && deps.upstream.sk ? { ak: deps.upstream.ak, sk: deps.upstream.sk } : undefined,
    securityToken: deps.upstream.securityToken,
    iamToken: deps.upstream.iamToken,
    timeoutMs: config.upstream.timeoutMs,
    onCall: ({ operation, status, durationMs, requestId }) => {
      metrics.upstreamCalls.inc({ operation, status: String(status) });
      metrics.upstreamSeconds.observe({ operation }, durationMs / 1000);
      upstreamHealth.observe({ operation, status });
      log.debug({ operation, status, durationMs: Math.round(durationMs), upstreamRequestId: requestId }, 'upstream call');
    },
  });

  const events = backend.createEventLog({ retentionMs: config.clients.jobEventsRetentionMs, maxPerStream: config.clients.jobEventsMaxPerPrincipal });
  const bus = createJobEventBus(backend.eventTarget);
  // Every state change stored is also appended to its principal's event log (pictureModelingJobUpdated),
  // and every settled registration is announced, for a repeated idempotencyKey waiting on it.
  const store = recordingJobEvents(announcingSettledRegistrations(backend.store, bus), events, log);
  const secret = () => randomBytes(32).toString('hex');
  let callbackSecret: string;
  let relaySecret: string;
  try {
    callbackSecret = config.callbackSecret ?? (await store.getOrCreateSecret('callback', secret));
    relaySecret = config.relaySigningSecret ?? (await store.getOrCreateSecret('relay', secret));
  } catch (error) {
    await events.close();
    await backend.close();
    throw new Error(`the ${config.redis ? 'Redis' : 'SQLite'} store is not usable: ${(error as Error).message}`, { cause: error });
  }
  const tokens = createCallbackTokens(callbackSecret, config.callbackTokenTtlSeconds);
  const relay = createRelay({ secret: relaySecret, allowPrivate: config.relayAllowPrivate, log, metrics });
  const jobs = createJobService({ client, store, bus, log, metrics, onCompleted: (record) => relay.send(record) });
  const reconciler = createReconciler({
    store,
    client,
    jobs,
    log,
    metrics,
    afterMs: config.reconcileAfterMs,
    giveUpMs: config.limits.reconcileGiveUpMs,
    keepLinkedMs: config.callbackTokenTtlSeconds * 1000,
  });
  const authenticator = createAuthenticator(config.auth);
  // With authentication off every caller is one principal: only the instance's limit applies to it.
  const perPrincipalConnections = config.auth.enabled ? config.security.maxConnectionsPerPrincipal : Infinity;
  const connections = createConnectionLimit(config.limits.maxConnections, metrics, {
    maxUnauthenticated: config.security.maxUnauthenticatedConnections,
    perPrincipal: perPrincipalConnections,
  });
  let trustedDocuments: TrustedDocuments;
  try {
    trustedDocuments = existsSync(config.trustedDocumentsFile)
      ? loadTrustedDocuments(config.trustedDocumentsFile, config.trustedDocumentsOnly)
      : { only: false, get: () => undefined };
  } catch (error) {
    await events.close();
    await backend.close();
    throw new Error(`TRUSTED_DOCUMENTS_FILE: ${(error as Error).message} (${config.trustedDocumentsFile})`, { cause: error });
  }
  const publicUrl = () => config.publicUrl ?? deps.publicUrl();

  const services: Services = {
    config,
    client,
    store,
    mayDropEvents: backend.mayDropEvents,
    limiter: backend.createLimiter('creates', config.limits.createsPerMinute, 60),
    reconciler,
    // With authentication off every caller is one principal: only the instance's limit applies.
    uploadSlots: createUploadSlots(config.limits.maxConcurrentUploads, config.auth.enabled ? config.security.maxUploadsPerPrincipal : Infinity),
    bus,
    events,
    jobs,
    tokens,
    log,
    metrics,
    publicUrl,
    budget,
    createQueueRelay,
  };

  async function ready(): Promise<boolean> {
    return (await store.ready()) && backend.busReady();
  }

  const yoga = createYoga<GatewayServerContext, GraphQLContext>({
    schema: buildSchema(),
    graphqlEndpoint: GRAPHQL_ENDPOINT,
    // Both of Yoga's own multipart parser and body limiter would buffer whole uploads.
    multipart: false,
    maxRequestBodySize: false,
    batching: { limit: QUERY_LIMITS.maxBatch },
    landingPage: false,
    cors: corsFor(config.corsOrigins),
    // Only on the GraphQL path itself: Yoga would serve the page on any URL ending with it.
    graphiql: config.graphiql
      ? (request) => isGraphQLPath(new URL(request.url), GRAPHQL_ENDPOINT) && { title: 'MetaStudio picture-modeling gateway', subscriptionsProtocol: 'WS', defaultQuery: GRAPHIQL_DEFAULT_QUERY }
      : false,
    // Every asset inline, so GraphiQL works with no internet access; the 9 MB page module loads on first use.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    healthCheckEndpoint: '/health',
    context: ({ principal, requestId, request, uploads }): GraphQLContext => {
      const id = requestId ?? randomUUID();
      const lastEventId = request?.headers.get('last-event-id') ?? undefined;
      return {
        principal: principal ?? ANONYMOUS_PRINCIPAL,
        requestId: id,
        log: log.child({ requestId: id }),
        services,
        loaders: createLoaders(services),
        signal: (request as Request | undefined)?.signal,
        lastEventId,
        uploads,
      };
    },
    logging: {
      debug: (...args) => log.debug({ args }, 'yoga'),
      info: (...args) => log.info({ args }, 'yoga'),
      warn: (...args) => log.warn({ args }, 'yoga'),
      error: (...args) => log.error({ args: args.map((a) => (a instanceof Error ? a.message : a)) }, 'yoga'),
    },
    plugins: [
      useOperationTracing(),
      useRequestId(),
      useVaryOrigin(config.corsOrigins),
      accessLog.plugin(),
      useUnreadBodyDrain(),
      useReadyEndpoint('/ready', ready),
      useMetricsEndpoint('/metrics', metrics.registry),
      ...(config.graphiql ? [useDemoPage()] : []),
      useCallbackEndpoint({ tokens, client, store, jobs, reconciler, log, metrics, publicUrl, reconcileAfterMs: config.reconcileAfterMs }),
      // After every other route: what still looks like GraphQL off its one path is a 404.
      useSingleGraphQLPath(GRAPHQL_ENDPOINT),
      // Before every plugin whose request parser reads the body.
      useAuthentication(authenticator, { metrics }),
      useCredentialExpiry(),
      useFormCsrf(),
      useStreamShare(connections, perPrincipalConnections),
      useTrustedDocuments(trustedDocuments),
      // After the trusted documents: a document sent by id has its text by then.
      ...(config.stylesCacheTtlMs > 0 ? [useStylesCache(config.stylesCacheTtlMs, backend.createResponseCache(), (error) => log.warn({ err: (error as Error).message }, 'response cache unavailable'))] : []),
      useStreamingUploads({ maxFileBytes: config.maxUploadBytes, maxFiles: QUERY_LIMITS.maxBatch, idleTimeoutMs: config.limits.uploadIdleTimeoutMs }),
      // After every plugin that sets a request parser, so it sees the one that will run.
      useWellFormedRequests(),
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
      // After Yoga's own result processors, which offer subscriptions no multipart answer.
      useMultipartSubscriptions({ heartbeatMs: config.clients.multipartHeartbeatMs }),
      useSseEventIds(),
    ],
  });

  const poller = startPoller({ store, client, jobs, reconciler, log, metrics, intervalMs: config.pollIntervalMs, instanceId });

  return {
    yoga,
    services,
    authenticator,
    connections,
    trustedDocuments,
    accessLog,
    ready,
    relay,
    poller,
    instanceId,
    async close() {
      // The relay publishes `left` for the refused creates that are followed, then stops.
      budget.close();
      createQueueRelay?.close();
      await poller.stop();
      await jobs.stop();
      await relay.drain();
      await relay.close();
      await client.close();
      await events.close();
      await backend.close();
    },
  };
}
