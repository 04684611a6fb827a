/**
 * Trusted documents: the operations in client/generated/persisted-documents.json (written
 * by codegen, keyed by `sha256:<hex>` of each document's text) are served by id, in the
 * `documentId` form or Apollo's `extensions.persistedQuery.sha256Hash` form, over HTTP,
 * multipart (the `operations` field carries the id) and graphql-ws. With
 * TRUSTED_DOCUMENTS_ONLY, nothing else runs.
 */
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

export interface TrustedDocuments {
  readonly only: boolean;
  /** The document for an id (`sha256:<hex>` or bare hex), if trusted. */
  get(id: string): string | undefined;
}

/** @throws Error naming the file when it cannot be read or is not a manifest. */
export function loadTrustedDocuments(file: string, only: boolean): TrustedDocuments {
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) throw new Error('not a JSON object of id -> document');
  const byHash = new Map<string, string>();
  for (const [id, text] of Object.entries(manifest as Record<string, unknown>)) {
    if (typeof text !== 'string') throw new Error(`the document for ${id} is not a string`);
    byHash.set(id.replace(/^sha256:/, '').toLowerCase(), text);
  }
  return {
    only,
    get: (id) => byHash.get(id.replace(/^sha256:/, '').toLowerCase()),
  };
}

/** The id a request names, in either form. */
export function documentIdOf(params: { documentId?: unknown; extensions?: unknown }): string | null {
  if (typeof params.documentId === 'string' && params.documentId) return params.documentId;
  const hash = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' && hash ? hash : null;
}

export const ONLY_TRUSTED_MESSAGE = 'This gateway runs trusted documents only: send the documentId (sha256) of an operation from client/generated/persisted-documents.json';

export function useTrustedDocuments(documents: TrustedDocuments): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (id) => documents.get(id) ?? null,
    extractPersistedOperationId: (params) => documentIdOf(params as { documentId?: unknown; extensions?: unknown }),
    allowArbitraryOperations: !documents.only,
    customErrors: {
      persistedQueryOnly: () => createGraphQLError(ONLY_TRUSTED_MESSAGE, { extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } } }),
      // Neither a query nor an id: a malformed request, as GraphQL over HTTP says (400).
      keyNotFound: () => createGraphQLError('No operation: send "query" (a string) or a "documentId"', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } }),
      notFound: () => createGraphQLError('Unknown documentId: not a trusted document of this gateway', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400 } } }),
    },
  }) as Plugin;
}
