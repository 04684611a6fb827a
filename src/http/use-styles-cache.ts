/**
 * pictureModelingStyles from Yoga's response cache: the styles are the same for every
 * caller and change rarely. Only answers made of styles are cached: any result that
 * holds a job, an asset or an MssError (an upstream failure) is never stored, and
 * mutations never are. Shared through Redis in Redis mode.
 */
import { useResponseCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import type { Plugin } from 'graphql-yoga';

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
  return useResponseCache({
    // Public data: one cache entry for every caller (authentication still runs first).
    session: () => null,
    cache: bestEffort(cache, onError),
    ttl: ttlMs,
    ignoredTypes: NEVER_CACHED,
    // Nothing cached ever depends on a mutation's entities.
    invalidateViaMutation: false,
    // Queries over HTTP only: subscriptions (graphql-ws has no request here, SSE asks for an
    // event stream) would pay for result bookkeeping on every event and never be cached.
    enabled: (request) => request instanceof Object && request.method !== 'OPTIONS' && !(request.headers.get('accept') ?? '').includes('text/event-stream'),
  }) as Plugin;
}
