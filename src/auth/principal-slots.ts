/**
 * Per-principal shares of something one instance holds a fixed number of (upload slots,
 * long-lived connections): a principal holds at most `perPrincipal` at once, so one
 * caller cannot take them all. With authentication off every caller is `anonymous`, one
 * principal, and only the instance-wide limit applies (pass `Infinity`).
 */
export interface PrincipalSlots {
  /** Takes one of `principal`'s slots, or returns false when it holds its share. */
  take(principal: string): boolean;
  release(principal: string): void;
}

export function createPrincipalSlots(perPrincipal: number): PrincipalSlots {
  const held = new Map<string, number>();
  return {
    take(principal) {
      const n = held.get(principal) ?? 0;
      if (n >= perPrincipal) return false;
      held.set(principal, n + 1);
      return true;
    },
    release(principal) {
      const n = (held.get(principal) ?? 0) - 1;
      if (n > 0) held.set(principal, n);
      else held.delete(principal);
    },
  };
}
