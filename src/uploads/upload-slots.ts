/**
 * Upload slots: MAX_CONCURRENT_UPLOADS on the instance, and MAX_UPLOADS_PER_PRINCIPAL of
 * them for any one principal (each file of a batch takes its own), taken before a byte of
 * the photo is read and given back in one place when the upload is over.
 */
import { createPrincipalSlots } from '../auth/principal-slots.js';

export type UploadSlotRefusal = 'instance' | 'principal';

export interface UploadSlots {
  /** A slot for `principal`, or why there is none. */
  take(principal: string): true | UploadSlotRefusal;
  release(principal: string): void;
}

export function createUploadSlots(max: number, perPrincipal: number): UploadSlots {
  let held = 0;
  const shares = createPrincipalSlots(perPrincipal);
  return {
    take(principal) {
      if (held >= max) return 'instance';
      if (!shares.take(principal)) return 'principal';
      held++;
      return true;
    },
    release(principal) {
      held--;
      shares.release(principal);
    },
  };
}
