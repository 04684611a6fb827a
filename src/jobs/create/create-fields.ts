/** The fields both create mutations share, checked before anything is taken or sent. */
import { invalidParameter } from '../../errors.js';
import { assertAppUserId } from '../../metastudio/requests.js';
import { checkNotifyUrl } from '../webhooks/relay.js';

/** Upstream counts a name in UTF-16 code units (64 emoji are 128 of them); so do we and the emulator. */
export const MAX_NAME_LENGTH = 64;
export const MAX_STYLE_ID_LENGTH = 128;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
/** Unicode control, format, line- and paragraph-separator characters (C0, C1, U+200B-U+200F, U+202A-U+202E, U+2028/9, ...). */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

export interface CreateFields {
  styleId: string;
  name: string;
  notifyUrl?: string | null | undefined;
  appUserId?: string | null | undefined;
  idempotencyKey?: string | null | undefined;
}

export interface CheckedFields {
  styleId: string;
  name: string;
  notifyUrl: string | null;
  appUserId: string | null;
  idempotencyKey: string | null;
}

/** @throws MetaStudioError MSS.00000003 naming the first bad field. */
export function checkFields(input: CreateFields, allowPrivateRelay: boolean): CheckedFields {
  const styleId = input.styleId.trim();
  if (!styleId) throw invalidParameter('styleId is required and must not be empty');
  if (styleId.length > MAX_STYLE_ID_LENGTH || !/^[\x21-\x7e]+$/.test(styleId)) {
    throw invalidParameter(`styleId must be 1 to ${MAX_STYLE_ID_LENGTH} printable ASCII characters without spaces`);
  }
  const name = input.name.trim();
  if (!name) throw invalidParameter('name is required and must not be empty');
  if (name.length > MAX_NAME_LENGTH) throw invalidParameter(`name must be at most ${MAX_NAME_LENGTH} characters (UTF-16 code units, as MetaStudio counts them)`);
  if (FORBIDDEN_IN_NAME.test(name)) throw invalidParameter('name must not contain control, format or line/paragraph separator characters');
  if (input.appUserId != null) assertAppUserId(input.appUserId);
  if (input.notifyUrl != null) {
    const problem = checkNotifyUrl(input.notifyUrl, allowPrivateRelay);
    if (problem) throw invalidParameter(problem);
  }
  const key = input.idempotencyKey ?? null;
  if (key !== null && (key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x20-\x7e]+$/.test(key))) {
    throw invalidParameter(`idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`);
  }
  return { styleId, name, notifyUrl: input.notifyUrl ?? null, appUserId: input.appUserId ?? null, idempotencyKey: key };
}
