/**
 * A granted slot, told when its call actually goes out. The budget spaces slots, but a
 * congested event loop or a new connection can put tens of milliseconds between a slot
 * and the first byte on the wire, and API Gateway counts the bytes: a call that goes out
 * late comes too close to the calls after it. The turn measures that lateness when the
 * request starts to be written and has the clock move the slots after it on
 * (SlotClock.late), before the next create of the queue takes its slot.
 */
import { lateAllowanceMs, latenessOf, type Reservation } from './slot-clock.js';

export interface Turn {
  /** The request starts to be written now (the transport calls it once per attempt). */
  sent(): void;
  /** The call is over, sent or not. */
  release(): void;
  /** Resolves once a late send is accounted for on the clock, or the call ended unsent. */
  readonly settled: Promise<void>;
}

/** A turn outside the budget (no budget configured): nothing to report. */
export const UNPACED: Turn = { sent() {}, release() {}, settled: Promise.resolve() };

export function createTurn(reservation: Reservation, onLate: (latenessMs: number) => Promise<void>, observe?: (latenessMs: number) => void): Turn {
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  let done = false;
  return {
    sent() {
      if (done) return;
      done = true;
      const lateness = Math.max(0, latenessOf(reservation));
      observe?.(lateness);
      if (lateness <= lateAllowanceMs(reservation.rate)) return settle();
      // A clock out of reach has nothing to move; the call itself is already on its way.
      onLate(lateness).catch(() => undefined).finally(settle);
    },
    release() {
      done = true;
      settle();
    },
    settled,
  };
}
