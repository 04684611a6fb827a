/**
 * The two result processors on a bare Yoga (in process, yoga.fetch): how a subscription
 * that fails after an event ends on multipart HTTP and on SSE, and which SSE events get
 * `id:` lines.
 */
import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { useMultipartSubscriptions } from '../src/http/use-multipart-subscriptions.js';
import { useSseEventIds } from '../src/http/use-sse-event-ids.js';
import { MULTIPART_ACCEPT } from './support/multipart-subscription.js';

const yoga = createYoga({
  schema: createSchema({
    typeDefs: `
      type Event { cursor: String!, n: Int! }
      type Query { ok: Boolean }
      type Subscription { failing: Event!, plain: Int!, crashing: Int! }`,
    resolvers: {
      Subscription: {
        failing: {
          subscribe: async function* () {
            yield { failing: { cursor: '7-0', n: 1 } };
            throw new GraphQLError('the job is gone', { extensions: { code: 'GATEWAY.JOB_NOT_FOUND', http: { status: 404 } } });
          },
        },
        plain: {
          subscribe: async function* () {
            yield { plain: 1 };
          },
        },
        crashing: {
          subscribe: async function* () {
            yield { crashing: 1 };
            throw new Error('secret internals');
          },
        },
      },
    },
  }),
  plugins: [useMultipartSubscriptions({ heartbeatMs: 60_000 }), useSseEventIds()],
  logging: false,
});

const post = (query: string, accept: string) => yoga.fetch('http://yoga/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ query }) });

describe('multipart HTTP', () => {
  const partsOf = (text: string) => text.split('\r\n--graphql').slice(1, -1).map((p) => JSON.parse(p.slice(p.indexOf('\r\n\r\n') + 4)));

  it('a stream that fails after an event sends the error as its last part, without transport-only extensions, then the closing boundary', async () => {
    const text = await (await post('subscription { failing { cursor n } }', MULTIPART_ACCEPT)).text();
    const parts = partsOf(text);
    expect(parts[0]).toEqual({ payload: { data: { failing: { cursor: '7-0', n: 1 } } } });
    expect(parts).toHaveLength(2);
    const error = (parts[1].payload?.errors ?? parts[1].errors)[0];
    expect(error).toMatchObject({ message: 'the job is gone', extensions: { code: 'GATEWAY.JOB_NOT_FOUND' } });
    expect(error.extensions.http).toBeUndefined();
    expect(text.endsWith('\r\n--graphql--\r\n')).toBe(true);
  });

  it('an unexpected error is masked', async () => {
    const text = await (await post('subscription { crashing }', MULTIPART_ACCEPT)).text();
    expect(text).not.toContain('secret internals');
    expect(partsOf(text)[1].payload.errors[0].message).toBe('Unexpected error.');
    expect(text.endsWith('\r\n--graphql--\r\n')).toBe(true);
  });

  it("multipart/mixed without subscriptionSpec is not Apollo's protocol: Yoga's 406 stands", async () => {
    const res = await post('subscription { plain }', 'multipart/mixed');
    expect(res.status).toBe(406);
  });
});

describe('SSE', () => {
  it('events with a cursor carry it as their id: line; others have none', async () => {
    const withCursor = await (await post('subscription { failing { cursor n } }', 'text/event-stream')).text().catch((e: Error) => e.message);
    expect(withCursor).toContain('id: 7-0\nevent: next\ndata: {"data":{"failing":{"cursor":"7-0","n":1}}}\n\n');
    const plain = await (await post('subscription { plain }', 'text/event-stream')).text();
    expect(plain).toContain('event: next\ndata: {"data":{"plain":1}}\n\n');
    expect(plain).not.toContain('id:');
    expect(plain).toContain('event: complete\n');
  });
});
