/**
 * A malformed GraphQL-over-HTTP request is the client's error (400), never ours (500).
 * Yoga checks the parameters of a single operation, but only once every plugin's `onParams`
 * has run, so a plugin that reads `query` first (the styles cache) met `{"query":1}`; it
 * hands batch items to execution whatever they are, and a GET's `variables` or `extensions`
 * that is not JSON throws from its parser as an unexpected error. This plugin checks the
 * shape as soon as the request is parsed, by every parser (JSON, GET, form, multipart).
 */
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';

const badRequest = (message: string) => createGraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });

const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
const isObject = (value: unknown): value is Record<string, unknown> => kindOf(value) === 'object';

/** Why one operation's parameters are malformed, or undefined when they are not. */
export function malformation(params: unknown): string | undefined {
  if (!isObject(params)) return `an operation must be a JSON object, not ${kindOf(params)}`;
  const { query, variables, extensions, operationName } = params;
  if (query != null && typeof query !== 'string') return `"query" must be a string, not ${kindOf(query)}`;
  if (variables != null && !isObject(variables)) return `"variables" must be an object, not ${kindOf(variables)}`;
  if (extensions != null && !isObject(extensions)) return `"extensions" must be an object, not ${kindOf(extensions)}`;
  if (operationName != null && typeof operationName !== 'string') return `"operationName" must be a string, not ${kindOf(operationName)}`;
  return undefined;
}

/** GET and form bodies carry `variables` and `extensions` as JSON text, which may not be JSON. */
const carriesJsonInText = (request: Request) =>
  request.method === 'GET' || (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';

export function useWellFormedRequests(): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (!requestParser) {
        // Yoga would answer 415 with no body; clients expect the reason as a GraphQL error.
        setRequestParser(() => {
          throw createGraphQLError('Unsupported Content-Type: send application/json, multipart/form-data (uploads) or a GET', {
            extensions: { code: 'BAD_REQUEST', http: { status: 415 } },
          });
        });
      } else if (carriesJsonInText(request)) {
        setRequestParser(async (req) => {
          try {
            return await requestParser(req);
          } catch (error) {
            if (error instanceof SyntaxError) throw badRequest('"variables" and "extensions" must be JSON objects');
            throw error;
          }
        });
      }
      return {
        onRequestParseDone({ requestParserResult }) {
          const batch: unknown[] = Array.isArray(requestParserResult) ? requestParserResult : [requestParserResult];
          if (batch.length === 0) throw badRequest('an empty batch: send at least one operation');
          batch.forEach((params: unknown, i) => {
            const why = malformation(params as GraphQLParams);
            if (why) throw badRequest(Array.isArray(requestParserResult) ? `batch item ${i}: ${why}` : why);
          });
        },
      };
    },
  };
}
