/**
 * How records sit in Redis, derived from records.ts: a job is one JSON document keyed by
 * field name; a registration is a hash whose `data` is the JSON of what never changes,
 * beside one hash field per field that does (so each is one HSET).
 */
import { JOB_FIELDS, REGISTRATION_INTENT_FIELDS, REGISTRATION_PROGRESS_FIELDS, settled } from '../records.js';
import { documentCodec, textCodec } from '../shape.js';
import type { Registration } from '../store.js';

export const jobDocument = documentCodec(JOB_FIELDS);

const intent = documentCodec(REGISTRATION_INTENT_FIELDS);
const progress = textCodec(REGISTRATION_PROGRESS_FIELDS);

export const registrationHash = {
  encode(registration: Registration): Record<string, string> {
    return { data: intent.encode(registration), ...progress.encode(registration) };
  },
  /** Hash fields for a change of progress alone. */
  encodeProgress: (values: Partial<Pick<Registration, keyof typeof REGISTRATION_PROGRESS_FIELDS>>) => progress.encode(values),
  /** The progress fields alone (a hash may hold them without its data, e.g. a callback's mark after the registration expired). */
  decodeProgress: (hash: Record<string, string>) => progress.decode(hash),
  /** Undefined for a registration that is not there (never written, or expired). */
  decode(hash: Record<string, string>): Registration | undefined {
    const data = hash['data'];
    return data === undefined ? undefined : settled({ ...intent.decode(data), ...progress.decode(hash) });
  },
};

/** A hash as Lua's HGETALL answers it (name, value, name, value...), as an object. */
export function pairsToHash(flat: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  return hash;
}
