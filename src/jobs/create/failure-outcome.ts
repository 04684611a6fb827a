/**
 * What a failed create means for its registration, decided here and nowhere else:
 * - `nothing-created`: upstream cannot hold a job for it, so the registration goes at once;
 * - `maybe-created`: upstream may hold a job (no answer, a 5xx, a reply without a job id),
 *   so the registration stays for its callback or the reconciler to adopt.
 * (A create that got its job id but could not be linked is `created`: the reconciler links it.)
 */
import { isMetaStudioError, type ErrorKind } from '../../errors.js';

export type FailureOutcome = 'nothing-created' | 'maybe-created';

/**
 * By the kind of error, never by its status. Every kind is decided here: a new kind does
 * not compile until it is. A refusal of the gateway's own before or while sending leaves
 * upstream without a complete request: the body is aborted before its last byte.
 */
const OUTCOME_BY_KIND = {
  'upstream-refused': 'nothing-created',
  'upstream-failed': 'maybe-created',
  'upstream-timeout': 'maybe-created',
  // A connection can break after upstream has read the whole request.
  'upstream-unavailable': 'maybe-created',
  'bad-upstream-response': 'maybe-created',
  'input-refused': 'nothing-created',
  'malformed-request': 'nothing-created',
  'rate-limited': 'nothing-created',
  'quota-exceeded': 'nothing-created',
  'too-many-uploads': 'nothing-created',
  'upstream-busy': 'nothing-created',
  'idempotency-key-reused': 'nothing-created',
  'job-not-found': 'nothing-created',
  // Neither says at which point it happened: keep the registration.
  'store-unavailable': 'maybe-created',
  internal: 'maybe-created',
} as const satisfies Record<ErrorKind, FailureOutcome>;

/**
 * @param error what the send threw; undefined for an answer that could not be used.
 * An error of unknown kind is `maybe-created`: the registration is kept for adoption.
 */
export function failureOutcome(error: unknown): FailureOutcome {
  const kind = isMetaStudioError(error) ? error.kind : undefined;
  return kind === undefined ? 'maybe-created' : OUTCOME_BY_KIND[kind];
}
