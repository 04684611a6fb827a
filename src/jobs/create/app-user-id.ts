import type { Principal } from '../../auth/authenticator.js';

/** X-App-UserId defaults to the principal's bare name (no namespace marker), when it can travel in a header. */
export function principalAsAppUserId(principal: Principal): string | undefined {
  return /^[\x20-\x7e]{1,256}$/.test(principal.name) ? principal.name : undefined;
}
