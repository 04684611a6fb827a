/** The Pothos builder: errors plugin for union results, the Upload scalar for streamed files. */
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import type { FileUpload } from 'graphql-upload-minimal';
import { MetaStudioError } from '../errors.js';
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
  // Every field with an error union reports MetaStudioError as MssError.
  errors: { directResult: true, defaultTypes: [MetaStudioError] },
});
