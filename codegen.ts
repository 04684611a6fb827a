/**
 * GraphQL Code Generator: typed documents for the operations in client/operations.ts,
 * from the checked-in schema.graphql. `npm run codegen` writes them; CI runs --check.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: './schema.graphql',
  documents: ['client/operations.ts'],
  ignoreNoDocuments: false,
  // ESM output: relative imports carry their .js extension.
  emitLegacyCommonJSImports: false,
  generates: {
    // Apollo Client's InMemoryCache needs the union members to match fragments on them.
    'client/generated/possible-types.ts': { plugins: ['fragment-matcher'], config: { useExplicitTyping: true } },
    'client/generated/': {
      preset: 'client',
      // persisted-documents.json maps each operation's sha256 hash to its text: the trusted
      // documents the gateway serves by id (and, with TRUSTED_DOCUMENTS_ONLY, the only ones).
      presetConfig: { fragmentMasking: false, persistedDocuments: { mode: 'embedHashInDocument', hashPropertyName: 'hash', hashAlgorithm: 'sha256' } },
      config: {
        // Uploads are browser File or Blob objects; every scalar must be mapped explicitly.
        strictScalars: true,
        scalars: { Upload: 'File | Blob', ID: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
