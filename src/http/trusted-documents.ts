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
function documentIdOf(params: { documentId?: unknown; extensions?: unknown }): string | null {
  if (typeof params.documentId === 'string' && params.documentId) return params.documentId;
  const hash = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  return typeof hash === 'string' && hash ? hash : null;
}

const ONLY_TRUSTED_MESSAGE = 'This gateway runs trusted documents only: send the documentId (sha256) of an operation from client/generated/persisted-documents.json';

/** Why an operation is refused under the trusted-documents rule, as every transport words it. */
export const TRUSTED_DOCUMENT_REFUSALS = {
  notFound: { message: 'Unknown documentId: not a trusted document of this gateway', code: 'PERSISTED_QUERY_NOT_FOUND' },
  persistedQueryOnly: { message: ONLY_TRUSTED_MESSAGE, code: 'PERSISTED_QUERY_ONLY' },
} as const;

export type TrustedDocumentResolution =
  | { ok: true; query: string | undefined }
  | { ok: false; refusal: keyof typeof TRUSTED_DOCUMENT_REFUSALS };

/**
 * The one rule both transports apply: an id names the operation (any text sent along is
 * ignored); with TRUSTED_DOCUMENTS_ONLY an id is required. The HTTP plugin hands the
 * persisted-operations plugin these same answers; graphql-ws calls it directly.
 */
export function resolveTrustedDocument(
  documents: TrustedDocuments,
  params: { query?: string; documentId?: unknown; extensions?: unknown },
): TrustedDocumentResolution {
  const id = documentIdOf(params);
  if (id) {
    const trusted = documents.get(id);
    return trusted ? { ok: true, query: trusted } : { ok: false, refusal: 'notFound' };
  }
  return documents.only ? { ok: false, refusal: 'persistedQueryOnly' } : { ok: true, query: params.query };
}

const refusedOverHttp = (refusal: keyof typeof TRUSTED_DOCUMENT_REFUSALS) =>
  createGraphQLError(TRUSTED_DOCUMENT_REFUSALS[refusal].message, { extensions: { code: TRUSTED_DOCUMENT_REFUSALS[refusal].code, http: { status: 400 } } });

export function useTrustedDocuments(documents: TrustedDocuments): Plugin {
  return usePersistedOperations({
    // The plugin asks in two steps (which id, which document): both answered by resolveTrustedDocument.
    extractPersistedOperationId: (params) => documentIdOf(params as { documentId?: unknown; extensions?: unknown }),
    getPersistedOperation: (id) => {
      const resolved = resolveTrustedDocument(documents, { documentId: id });
      return resolved.ok ? (resolved.query ?? null) : null;
    },
    allowArbitraryOperations: !documents.only,
    customErrors: {
      persistedQueryOnly: () => refusedOverHttp('persistedQueryOnly'),
      // Neither a query nor an id: a malformed request, as GraphQL over HTTP says (400).
      keyNotFound: () => createGraphQLError('No operation: send "query" (a string) or a "documentId"', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } }),
      notFound: () => refusedOverHttp('notFound'),
    },
  }) as Plugin;
}
