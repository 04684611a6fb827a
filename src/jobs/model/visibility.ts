/**
 * Who may see a job: its owner, and a holder of the admin scope, who sees every job of
 * the account. Every read path (queries, lists, node(id:), subscriptions) asks here, so
 * the authorisation rule lives in one place. A job the caller may not see reads exactly
 * like an unknown one: callers answer both with the same not-found.
 */
import type { Principal } from '../../auth/authenticator.js';
import type { JobRecord } from './job-record.js';

export function canSee(principal: Principal, job: JobRecord): boolean {
  return seesWholeAccount(principal) || job.owner === principal.id;
}

/**
 * Whether the caller sees the account's jobs rather than its own: only such a caller
 * lists from upstream, reads the account's event stream, and reaches upstream for a job
 * the store does not hold (for anyone else an unknown id costs nothing upstream).
 */
export function seesWholeAccount(principal: Principal): boolean {
  return principal.admin;
}
