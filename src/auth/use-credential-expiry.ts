/**
 * A subscription over HTTP (SSE, multipart) ends when the credentials it was opened with
 * expire, as graphql-ws closes its connection with 4403 then: its last event is an
 * UNAUTHENTICATED error, and the stream completes. (graphql-ws connections are closed by
 * their own timer, so this applies to HTTP only.)
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Principal } from './authenticator.js';

/** setTimeout cannot wait longer than this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Milliseconds until `expiresAt`, as a setTimeout delay (never negative, never beyond what a timer can wait). */
export const msUntil = (expiresAt: number) => Math.max(0, Math.min(expiresAt - Date.now(), MAX_TIMER_MS));

export const credentialsExpired = () => new GraphQLError('Unauthenticated: the credentials have expired', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });

/** Ends `source` at `expiresAt` with one error result; returning early reaches the source at once. */
export function untilExpiry(source: AsyncIterable<ExecutionResult>, expiresAt: number): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  let state: 'open' | 'expired' | 'done' = 'open';
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), msUntil(expiresAt));
  });
  const finish = async () => {
    clearTimeout(timer);
    state = 'done';
    await iterator.return?.();
  };
  return {
    async next() {
      if (state === 'done') return { value: undefined, done: true };
      if (state === 'expired' || Date.now() >= expiresAt) {
        await finish();
        return { value: { errors: [credentialsExpired()] }, done: false };
      }
      const next = await Promise.race([iterator.next(), expired]);
      if (next === 'expired') {
        state = 'expired';
        return this.next();
      }
      if (next.done) clearTimeout(timer);
      return next;
    },
    async return() {
      await finish();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<ExecutionResult> => typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

export function useCredentialExpiry(): Plugin<{ principal?: Principal; socket?: unknown }> {
  return {
    onSubscribe({ args }) {
      const context = args.contextValue;
      const expiresAt = context.principal?.expiresAt;
      // graphql-ws connections carry their socket, and close it with 4403 themselves.
      if (expiresAt === undefined || context.socket !== undefined) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(untilExpiry(result, expiresAt));
        },
      };
    },
  };
}
