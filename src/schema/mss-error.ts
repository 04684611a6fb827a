/** MssError: how every upstream or gateway failure reaches clients, as a union member. */
import { createGraphQLError } from 'graphql-yoga';
import { MalformedRequestError, MetaStudioError, internalError, isMetaStudioError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { builder } from './builder.js';

export const MssErrorOriginEnum = builder.enumType('MssErrorOrigin', {
  values: {
    UPSTREAM: { description: 'MetaStudio (or its API Gateway) answered with this error' },
    GATEWAY: { description: 'The gateway refused the input or could not get an answer from MetaStudio' },
  } as const,
});

builder.objectType(MetaStudioError, {
  name: 'MssError',
  description: 'A failure clients are expected to handle: upstream errors keep their code, message and status.',
  fields: (t) => ({
    errorCode: t.exposeString('code', { description: "Upstream's error_code (e.g. MSS.00000003) or a GATEWAY.* code" }),
    errorMsg: t.exposeString('message'),
    httpStatus: t.exposeInt('httpStatus', { description: 'Upstream status, or the status the gateway chose' }),
    requestId: t.string({ nullable: true, description: 'Upstream X-Request-Id', resolve: (e) => e.requestId ?? null }),
    origin: t.field({ type: MssErrorOriginEnum, resolve: (e) => e.origin }),
  }),
});

/** Runs a resolver body so that every failure reaches the client as an MssError union member. */
export async function orMssError<T>(log: Logger, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    // A malformed HTTP request is not a result: it is a 400 with an errors array.
    if (error instanceof MalformedRequestError) throw createGraphQLError(error.message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
    throw asMetaStudioError(error, log);
  }
}

/** Anything unexpected becomes a masked GATEWAY error rather than a leaked stack (and is logged). */
export function asMetaStudioError(error: unknown, log?: Logger): MetaStudioError {
  if (isMetaStudioError(error)) return error;
  log?.error({ err: error }, 'unexpected error in a resolver');
  return internalError(error);
}
