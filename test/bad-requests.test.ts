/**
 * Malformed GraphQL-over-HTTP requests, as data: every one is the client's error (4xx) with
 * a GraphQL `errors` array saying why, over every transport, and none leaves a stack trace
 * in the response or the log (issue 24, point 3).
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const JSON_TYPE = { 'content-type': 'application/json' };
const SSE = { 'content-type': 'application/json', accept: 'text/event-stream' };
const GRAPHQL_RESPONSE = { accept: 'application/graphql-response+json' };
const CSRF = { 'x-graphql-yoga-csrf': '1' };

/** A multipart request per the GraphQL multipart request spec, with these two fields. */
function multipart(operations: string, map = '{}'): { headers: Record<string, string>; body: string } {
  const part = (name: string, value: string) => `--b\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  return { headers: { 'content-type': 'multipart/form-data; boundary=b', ...CSRF }, body: `${part('operations', operations)}${part('map', map)}--b--\r\n` };
}

interface BadRequest {
  name: string;
  method?: string;
  /** Path and query string after /graphql. */
  search?: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  /** A phrase the first error's message contains. */
  says: RegExp;
}

const post = (name: string, body: string, status: number, says: RegExp, headers: Record<string, string> = JSON_TYPE): BadRequest => ({ name, method: 'POST', headers, body, status, says });
const get = (name: string, search: string, status: number, says: RegExp, headers: Record<string, string> = {}): BadRequest => ({ name, method: 'GET', search, headers, status, says });

const CORPUS: BadRequest[] = [
  post('query is a number', '{"query":1}', 400, /"query" must be a string, not number/),
  post('query is an object', '{"query":{}}', 400, /"query" must be a string, not object/),
  post('query is a boolean', '{"query":true}', 400, /"query" must be a string, not boolean/),
  post('query is an array', '{"query":["{ __typename }"]}', 400, /"query" must be a string, not array/),
  post('query naming the cached styles is an object', '{"query":{"pictureModelingStyles":1}}', 400, /"query" must be a string/),
  post('query is null', '{"query":null}', 400, /No operation/),
  post('no query at all', '{"variables":{}}', 400, /No operation/),
  post('variables is a string', '{"query":"{ __typename }","variables":"x"}', 400, /"variables" must be an object, not string/),
  post('variables is an array', '{"query":"{ __typename }","variables":[1]}', 400, /"variables" must be an object, not array/),
  post('extensions is a number', '{"query":"{ __typename }","extensions":1}', 400, /"extensions" must be an object, not number/),
  post('operationName is a number', '{"query":"{ __typename }","operationName":1}', 400, /"operationName" must be a string, not number/),
  post('operationName is an object', '{"query":"{ __typename }","operationName":{}}', 400, /"operationName" must be a string, not object/),
  post('a batch of junk', '[1,"a",null]', 400, /batch item 0: an operation must be a JSON object, not number/),
  post('a batch with one junk item', '[{"query":"{ __typename }"},{"query":7}]', 400, /batch item 1: "query" must be a string/),
  post('an empty batch', '[]', 400, /empty batch/),
  post('a body that is a number', '1', 400, /expected to be object/),
  post('a body that is not JSON', '{"query":', 400, /invalid JSON/),
  post('huge variables', JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(3 * 1024 * 1024) } }), 413, /too large/),
  post('text/plain', '{"query":"{ __typename }"}', 415, /Unsupported Content-Type/, { 'content-type': 'text/plain' }),
  post('application/xml', '<query/>', 415, /Unsupported Content-Type/, { 'content-type': 'application/xml' }),
  post('no content type', '{"query":"{ __typename }"}', 415, /Unsupported Content-Type/, {}),
  // A form needs the CSRF header like multipart (issue 20): with it, the bad variables are what is refused.
  post('a form with variables that are not JSON', 'query=%7B__typename%7D&variables=%7Bx', 400, /must be JSON objects/, { 'content-type': 'application/x-www-form-urlencoded', ...CSRF }),
  get('GET: variables is a number', '?query={__typename}&variables=1', 400, /"variables" must be an object, not number/),
  get('GET: variables is an array', '?query={__typename}&variables=[]', 400, /"variables" must be an object, not array/),
  get('GET: variables is not JSON', '?query={__typename}&variables={x', 400, /must be JSON objects/),
  get('GET: extensions is not JSON', '?query={__typename}&extensions=x', 400, /must be JSON objects/),
  get('GET: no query', '?variables={}', 400, /No operation/),
  get('GET: a query that does not parse', '?query=1', 400, /Syntax Error/, GRAPHQL_RESPONSE),
  { name: 'GET with a JSON body and no query', method: 'GET', headers: JSON_TYPE, body: '{"query":"{ __typename }"}', status: 400, says: /No operation/ },
  { name: 'GET with a body and a bad query string', method: 'GET', search: '?query={__typename}&variables=[1]', headers: JSON_TYPE, body: '{"query":1}', status: 400, says: /"variables" must be an object/ },
  { name: 'multipart: query is a number', method: 'POST', ...multipart('{"query":1}'), status: 400, says: /"query" must be a string, not number/ },
  { name: 'multipart: operations is a batch of junk', method: 'POST', ...multipart('[1]'), status: 400, says: /batch item 0/ },
  { name: 'multipart: variables is a string', method: 'POST', ...multipart('{"query":"{ __typename }","variables":"x"}'), status: 400, says: /"variables" must be an object/ },
  { name: 'multipart: map is not an object', method: 'POST', ...multipart('{"query":"{ __typename }"}', '[1]'), status: 400, says: /map/ },
  post('SSE: query is a number', '{"query":1}', 400, /"query" must be a string, not number/, SSE),
  post('SSE: query is an object', '{"query":{}}', 400, /"query" must be a string, not object/, SSE),
  post('SSE: variables is an array', '{"query":"{ __typename }","variables":[]}', 400, /"variables" must be an object/, SSE),
  get('SSE over GET: variables is not JSON', '?query={__typename}&variables=x', 400, /must be JSON objects/, { accept: 'text/event-stream' }),
];

/** node:http, since fetch refuses a GET with a body. */
function send(r: BadRequest): Promise<{ status: number; contentType: string; text: string }> {
  const url = new URL(`${h.url}/graphql${r.search ?? ''}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: r.method ?? 'POST', headers: { ...r.headers, ...(r.body === undefined ? {} : { 'content-length': Buffer.byteLength(r.body) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'] ?? '', text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** The GraphQL errors of a JSON answer, or of the first event of an SSE one. */
function errorsOf(contentType: string, text: string): Array<{ message: string }> {
  const json = contentType.startsWith('text/event-stream') ? text.split('\n').find((l) => l.startsWith('data: {'))!.slice('data: '.length) : text;
  return (JSON.parse(json) as { errors: Array<{ message: string }> }).errors;
}

describe('a malformed GraphQL-over-HTTP request is a 4xx with a GraphQL error', () => {
  it.each(CORPUS.map((r) => [r.name, r] as const))('%s', async (_name, r) => {
    const { status, contentType, text } = await send(r);
    expect(status).toBe(r.status);
    const errors = errorsOf(contentType, text);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.message).toMatch(r.says);
    expect(text).not.toMatch(/\n\s+at |"stack"/);
  });

  it('leaves no stack trace and no error in the log', async () => {
    for (const r of CORPUS.slice(0, 5)) await send(r);
    const logged = h.logs.join('');
    expect(logged).not.toMatch(/\\n\s+at |"stack"/);
    expect(logged).not.toMatch(/"level":50/);
  });

  it('a well-formed request still runs, over GET and POST', async () => {
    const viaGet = await send({ name: 'ok', method: 'GET', search: '?query={__typename}', status: 200, says: /./ });
    expect(JSON.parse(viaGet.text)).toEqual({ data: { __typename: 'Query' } });
    const viaPost = await send(post('ok', '[{"query":"{ __typename }"}]', 200, /./));
    expect(JSON.parse(viaPost.text)).toEqual([{ data: { __typename: 'Query' } }]);
  });
});
