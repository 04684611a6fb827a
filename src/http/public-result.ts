/** What a client may see of a streamed result: Yoga's transport-only `http` extension stays inside. */
import type { ExecutionResult, GraphQLError } from 'graphql';

export function publicError(error: GraphQLError | Error): Record<string, unknown> {
  // Anything but a GraphQLError is masked, as Yoga masks unexpected errors.
  if (!('toJSON' in error) || typeof error.toJSON !== 'function') return { message: 'Unexpected error.' };
  const { extensions, ...json } = error.toJSON();
  if (!extensions) return json;
  const { http: _http, ...rest } = extensions;
  return Object.keys(rest).length ? { ...json, extensions: rest } : json;
}

export function publicResult(result: ExecutionResult): Record<string, unknown> {
  const { errors, ...rest } = result;
  return errors ? { ...rest, errors: errors.map(publicError) } : rest;
}
