/**
 * The graphql-ws operation options that run each operation through Yoga's envelop (its
 * documented integration): the same plugins, limits, trusted documents and context as HTTP.
 * Identical all-jobs subscriptions share one execution; failures stay with their operation.
 */
import { GraphQLError, parse, validate, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import type { GatewayConfig } from '../config.js';
import type { Gateway } from '../gateway.js';
import { resolveTrustedDocument, TRUSTED_DOCUMENT_REFUSALS } from '../http/trusted-documents.js';
import type { GraphQLContext } from '../schema/context.js';
import { broadcastKey } from '../schema/subscription.js';
import type { SocketExtra } from './connection-auth.js';
import { asErrors, createOperationGuards } from './guard-operations.js';
import { createSubscriptionSharing } from './share-subscriptions.js';

/** Envelop's execute and subscribe travel to graphql-ws in the rootValue onSubscribe returns. */
interface EnvelopRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

type BridgeOptions = Pick<ServerOptions<Record<string, unknown> | undefined, SocketExtra>, 'execute' | 'subscribe' | 'onSubscribe'>;

export function bridgeEnvelop(gateway: Gateway, config: GatewayConfig): BridgeOptions {
  const { yoga } = gateway;
  const { metrics, log } = gateway.services;
  const { failed, guarded } = createOperationGuards(log);
  const sharing = createSubscriptionSharing({
    subscribe: (args) => (args.rootValue as EnvelopRoot).subscribe(args) as never,
    keyOf: (args) => (args.contextValue as { shareKey?: string }).shareKey,
    onExtraJoin: () => metrics.activeSubscriptions.inc(),
    onExtraLeave: () => metrics.activeSubscriptions.dec(),
  });
  return {
    execute: async (args) => {
      try {
        return (await (args.rootValue as EnvelopRoot).execute(args)) as never;
      } catch (error) {
        return failed(error, 'execute') as never;
      }
    },
    // Thousands of identical all-jobs subscriptions run as one execution per event.
    subscribe: async (args) => {
      try {
        const result = await sharing.subscribe(args);
        return (Symbol.asyncIterator in (result as object) ? guarded(result as AsyncIterable<ExecutionResult>) : result) as never;
      } catch (error) {
        return failed(error, 'subscribe') as never;
      }
    },
    onSubscribe: async (ctx, id, payload) => {
      // graphql-ws reserves the new operation's id before onSubscribe: it is counted here too.
      if (Object.keys(ctx.subscriptions).length > config.limits.maxSubscriptionsPerConnection) {
        metrics.refusals.inc({ reason: 'too_many_subscriptions' });
        return [new GraphQLError(`At most ${config.limits.maxSubscriptionsPerConnection} operations may run at once on one connection`, { extensions: { code: 'TOO_MANY_OPERATIONS' } })];
      }
      const resolved = resolveTrustedDocument(gateway.trustedDocuments, payload as typeof payload & { documentId?: unknown });
      if (!resolved.ok) {
        const { message, code } = TRUSTED_DOCUMENT_REFUSALS[resolved.refusal];
        return [new GraphQLError(message, { extensions: { code } })];
      }
      const query = resolved.query as string;
      try {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          principal: ctx.extra.principal,
          requestId: `${ctx.extra.connectionId ?? 'ws'}:${id}`,
        });
        const document = (enveloped.parse ?? parse)(query);
        const errors = (enveloped.validate ?? validate)(enveloped.schema, document);
        if (errors.length) return errors;
        const context = (await enveloped.contextFactory()) as unknown as GraphQLContext;
        const shareKey = broadcastKey(document, payload.operationName, payload.variables, query, context.principal);
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          operationName: payload.operationName ?? null,
          document,
          variableValues: payload.variables ?? null,
          contextValue: { ...context, shareKey },
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        return args;
      } catch (error) {
        // A query-limit violation (graphql-armor throws) or a parse error: this operation only.
        return asErrors(error);
      }
    },
  };
}
