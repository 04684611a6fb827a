import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { broadcastKey } from '../src/schema/subscription.js';

const key = (query: string, variables?: Record<string, unknown>, principal = 'anonymous') => broadcastKey(parse(query), undefined, variables, query, { id: principal, name: principal, admin: false });

describe('which subscriptions may share one execution', () => {
  it('the all-jobs form, with no jobId or a null one', () => {
    expect(key('subscription { pictureModelingJobCompleted { jobId } }')).toBeDefined();
    expect(key('subscription { pictureModelingJobCompleted(jobId: null) { jobId } }')).toBeDefined();
    expect(key('subscription($id: ID) { pictureModelingJobCompleted(jobId: $id) { jobId } }', {})).toBeDefined();
    expect(key('subscription($id: ID) { pictureModelingJobCompleted(jobId: $id) { jobId } }', { id: null })).toBeDefined();
  });
  it('never a jobId subscription, a query or a mutation', () => {
    expect(key('subscription { pictureModelingJobCompleted(jobId: "j1") { jobId } }')).toBeUndefined();
    expect(key('subscription($id: ID) { pictureModelingJobCompleted(jobId: $id) { jobId } }', { id: 'j1' })).toBeUndefined();
    expect(key('{ __typename }')).toBeUndefined();
    expect(key('subscription { a: pictureModelingJobCompleted { jobId } b: pictureModelingJobCompleted { state } }')).toBeUndefined();
  });
  it('keys differ by query, variables and caller', () => {
    const q = 'subscription { pictureModelingJobCompleted { jobId } }';
    expect(key(q)).toBe(key(q));
    expect(key(q)).not.toBe(key('subscription { pictureModelingJobCompleted { jobId state } }'));
    expect(key(q, undefined, 'alice')).not.toBe(key(q, undefined, 'bob'));
  });
});
