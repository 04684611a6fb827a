/**
 * With `waitReplicas` > 0 a write is acknowledged by that many replicas (WAIT) before it
 * counts, so nothing is sent upstream on the strength of a write a failover can discard.
 */
import type { RedisClient } from '../redis-connection.js';

/** How long a create waits for its intent to reach a replica before it is refused. */
export const WAIT_TIMEOUT_MS = 2000;

/** The intent was written but not acknowledged by enough replicas: a failover could lose it. */
export class UnreplicatedError extends Error {
  override readonly name = 'UnreplicatedError';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super(message);
  }
}

/** Runs one EVAL, then (when asked) waits for replicas on the same connection, so the WAIT covers this write. Answers EVAL's raw reply. */
export async function evalDurably(redis: RedisClient, waitReplicas: number, evalArguments: [string, number, ...string[]]): Promise<unknown> {
  if (waitReplicas === 0) return redis.eval(...evalArguments);
  const results = await redis.pipeline().eval(...evalArguments).call('WAIT', String(waitReplicas), String(WAIT_TIMEOUT_MS)).exec();
  const [[evalError, value] = [], [waitError, acked] = []] = results ?? [];
  if (evalError) throw evalError;
  if (waitError) throw new UnreplicatedError(`WAIT failed: ${waitError.message}`, value);
  if (Number(acked) < waitReplicas) throw new UnreplicatedError(`${String(acked)} of ${waitReplicas} replicas acknowledged within ${WAIT_TIMEOUT_MS} ms`, value);
  return value;
}
