/**
 * What a failed create means for its registration, decided here and nowhere else:
 * - `nothing-created`: upstream cannot hold a job for it, so the registration goes at once;
 * - `maybe-created`: upstream may hold a job (no answer, a 5xx, a reply without a job id),
 *   so the registration stays for its callback or the reconciler to adopt.
 * (A create that got its job id but could not be linked is `created`: the reconciler links it.)
 */
import { GatewayErrorCode, isMetaStudioError, isUpstreamRefusal } from '../../errors.js';

export type FailureOutcome = 'nothing-created' | 'maybe-created';

/** Statuses of the gateway's own refusals before or while sending (a bad photo, an idle, over-large or aborted upload, a rate limit): upstream got no complete request. */
const REFUSED_BEFORE_SENDING = new Set([400, 408, 413, 429]);

/** @param error what the send threw; undefined for an answer that could not be used. */
export function failureOutcome(error: unknown): FailureOutcome {
  if (!isMetaStudioError(error)) return 'maybe-created';
  if (error.origin === 'UPSTREAM') return isUpstreamRefusal(error) ? 'nothing-created' : 'maybe-created';
  // It never got its turn in the upstream budget (or its caller left while it waited).
  if (error.code === GatewayErrorCode.UPSTREAM_BUSY) return 'nothing-created';
  return REFUSED_BEFORE_SENDING.has(error.httpStatus) ? 'nothing-created' : 'maybe-created';
}
