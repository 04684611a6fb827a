/**
 * pictureModelingStyles from Yoga's response cache: the styles are the same for every
 * caller and change rarely. Only answers made of styles are cached: any result that
 * holds a job, an asset or an MssError (an upstream failure) is never stored, and
 * mutations never are. Shared through Redis in Redis mode.
 */
import { useResponseCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import type { Plugin } from 'graphql-yoga';
import { isMultipartRequest } from '../uploads/use-streaming-uploads.js';

const STYLES_FIELD = 'pictureModelingStyles';

/**
 * Requests the cache can answer at all: HTTP queries, not uploads, pre-flights or
 * subscriptions over SSE (which would pay for result bookkeeping on every event and never
 * be cached); graphql-ws operations have no request here.
 */
function cacheableRequest(request: Request | undefined): boolean {
  return (
    request instanceof Object &&
    request.method !== 'OPTIONS' &&
    !isMultipartRequest(request) &&
    !(request.headers.get('accept') ?? '').includes('text/event-stream')
  );
}

/** Only a document that names the styles can have a result worth caching. */
const namesStyles = (query: unknown) => typeof query === 'string' && query.includes(STYLES_FIELD);

/** Types whose presence keeps a result out of the cache. */
const NEVER_CACHED = ['MssError', 'PictureModelingJob', 'PictureModelingJobList', 'PictureModelingJobCreated', 'PictureModelingJobErrorInfo', 'DigitalAsset'];

/**
 * A cache that is only ever an optimisation: when its store fails (Redis down), a read is
 * a miss and a write is skipped, so requests go upstream instead of failing.
 */
function bestEffort(cache: Cache, onError: (error: unknown) => void): Cache {
  const guard = async <T>(work: () => T | Promise<T>, fallback: T): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      onError(error);
      return fallback;
    }
  };
  return {
    get: (key) => guard(() => cache.get(key), undefined),
    set: (...args) => guard(() => cache.set(...args), undefined),
    invalidate: (entities) => guard(() => cache.invalidate(entities), undefined),
  };
}

export function useStylesCache(ttlMs: number, cache: Cache, onError: (error: unknown) => void): Plugin {
  const plugin = useResponseCache({
    // Public data: one cache entry for every caller (authentication still runs first).
    session: () => null,
    cache: bestEffort(cache, onError),
    ttl: ttlMs,
    ignoredTypes: NEVER_CACHED,
    // Nothing cached ever depends on a mutation's entities.
    invalidateViaMutation: false,
    // Before the parameters are known (a conditional request by ETag) the request alone decides.
    enabled: (request, context) => cacheableRequest(request) && (!(context as { params?: unknown }).params || namesStyles((context as { params: { query?: string } }).params.query)),
  }) as Plugin;
  const lookUp = plugin.onParams!;
  return {
    ...plugin,
    // Everything else (an upload, a mutation) skips the plugin before it hashes the document
    // and variables into a cache key or asks the cache (Redis) for it.
    onParams: (payload) => (cacheableRequest(payload.request) && namesStyles(payload.params.query) ? lookUp(payload) : undefined),
  };
}
