/**
 * Anything that goes wrong in one graphql-ws operation becomes an `error` result for that
 * operation only, logged once: never a dead socket.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Gateway } from '../gateway.js';

/** A thrown value as the errors of one operation. */
export const asErrors = (error: unknown): GraphQLError[] =>
  error instanceof GraphQLError ? [error] : [new GraphQLError(error instanceof Error ? error.message : 'The operation could not be run')];

export function createOperationGuards(log: Gateway['services']['log']) {
  /** An operation's failure, reported for that operation and logged once, never a dead socket. */
  const failed = (error: unknown, operation: string): ExecutionResult => {
    if (!(error instanceof GraphQLError)) log.error({ err: error, operation }, 'graphql-ws operation failed');
    return { errors: error instanceof GraphQLError ? [error] : [new GraphQLError('Unexpected error.')] };
  };
  /**
   * A failing event stream (a stalled subscriber, a store gone) ends with one result that
   * carries the error. Not an async generator: its return() would wait for the next event,
   * and an unsubscribe must reach the source at once.
   */
  function guarded(source: AsyncIterable<ExecutionResult>): AsyncIterableIterator<ExecutionResult> {
    const iterator = source[Symbol.asyncIterator]();
    let finished = false;
    return {
      async next() {
        if (finished) return { value: undefined, done: true };
        try {
          return await iterator.next();
        } catch (error) {
          finished = true;
          return { value: failed(error, 'subscription'), done: false };
        }
      },
      async return() {
        finished = true;
        return (await iterator.return?.()) ?? { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
  return { failed, guarded };
}
