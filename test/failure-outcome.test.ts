/**
 * What a failed create means is decided by the kind of error its factory gave it, never by
 * its HTTP status; an error of unknown kind keeps the registration (maybe created).
 */
import { describe, expect, it } from 'vitest';
import {
  MetaStudioError,
  badUpstreamResponse,
  internalError,
  invalidParameter,
  malformedRequest,
  quotaExceeded,
  rateLimited,
  storeUnavailable,
  tooManyUploads,
  tooManyUploadsForPrincipal,
  upstreamBusy,
  upstreamError,
  upstreamTimeout,
  upstreamUnavailable,
} from '../src/errors.js';
import { failureOutcome } from '../src/jobs/create/failure-outcome.js';

describe('failureOutcome', () => {
  it.each([
    ['the photo or a field refused', invalidParameter('The photo is larger than the 100-byte limit'), 'nothing-created'],
    ['a part after the file', malformedRequest('unexpected part'), 'nothing-created'],
    ['the rate limit', rateLimited(1000, 10), 'nothing-created'],
    ['the pending-jobs quota', quotaExceeded(5), 'nothing-created'],
    ['no upload slot on this instance (503)', tooManyUploads(2), 'nothing-created'],
    ['no upload slot for this principal (429)', tooManyUploadsForPrincipal(1), 'nothing-created'],
    ['no turn in the budget queue', upstreamBusy(1000, 'The queue is full'), 'nothing-created'],
    ['MetaStudio refused (4xx)', upstreamError('MSS.00000003', 'bad', 400, 'r1'), 'nothing-created'],
    ['API Gateway throttled (429)', upstreamError('APIG.0308', 'too fast', 429, 'r2'), 'nothing-created'],
    ['MetaStudio failed (5xx)', upstreamError('MSS.00000004', 'Internal Error', 500, 'r3'), 'maybe-created'],
    ['no answer in time', upstreamTimeout('late'), 'maybe-created'],
    ['the connection broke', upstreamUnavailable('reset'), 'maybe-created'],
    ['an answer without a job id', badUpstreamResponse('no job_id'), 'maybe-created'],
    ['the store failed', storeUnavailable(), 'maybe-created'],
    ['a gateway bug', internalError(), 'maybe-created'],
  ] as const)('%s: %s', (_what, error, outcome) => {
    expect(failureOutcome(error)).toBe(outcome);
  });

  it('an error of unknown kind is maybe created, whatever its status says', () => {
    for (const httpStatus of [400, 408, 413, 429]) {
      expect(failureOutcome(new MetaStudioError({ code: 'GATEWAY.SOMETHING', message: 'x', httpStatus, origin: 'GATEWAY' }))).toBe('maybe-created');
    }
    expect(failureOutcome(new Error('socket hang up'))).toBe('maybe-created');
    expect(failureOutcome(undefined)).toBe('maybe-created');
  });

  it('the kind changes no public code or status', () => {
    expect(invalidParameter('x')).toMatchObject({ code: 'MSS.00000003', httpStatus: 400, origin: 'GATEWAY', kind: 'input-refused' });
    expect(tooManyUploads(2)).toMatchObject({ code: 'GATEWAY.TOO_MANY_UPLOADS', httpStatus: 503, kind: 'too-many-uploads' });
    expect(upstreamBusy(0, 'x')).toMatchObject({ code: 'GATEWAY.UPSTREAM_BUSY', httpStatus: 503, kind: 'upstream-busy' });
    expect(upstreamError('MSS.00000004', 'x', 502, undefined)).toMatchObject({ code: 'MSS.00000004', httpStatus: 502, origin: 'UPSTREAM', kind: 'upstream-failed' });
  });
});
