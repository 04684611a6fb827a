/** The Pothos builder: errors plugin for union results, the Upload scalar for streamed files. */
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import type { FileUpload } from 'graphql-upload-minimal';
import type { GraphQLContext } from './context.js';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  DefaultFieldNullability: false;
  Scalars: {
    Upload: { Input: Promise<FileUpload>; Output: never };
    ID: { Input: string; Output: string };
  };
}>({
  plugins: [ErrorsPlugin],
  defaultFieldNullability: false,
  errors: { directResult: true },
});
