/** The Pothos builder: errors plugin for union results, relay plugin for Node and connections, the Upload scalar for streamed files. */
import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
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
  plugins: [ErrorsPlugin, RelayPlugin],
  defaultFieldNullability: false,
  relay: {
    // The contract fixes PictureModelingJob.id = jobId (normalized caches key on it), and jobs
    // are the only nodes: a global id is the job id itself, with no type prefix or base64.
    encodeGlobalID: (_typename, id) => String(id),
    decodeGlobalID: (globalID) => ({ typename: 'PictureModelingJob', id: globalID }),
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: { description: "One of the caller's jobs by id; another principal's job and an unknown id are both null" },
    nodesQueryOptions: { description: "The caller's jobs by id, in order; another principal's job and an unknown id are both null" },
  },
  // Every field with an error union reports MetaStudioError as MssError.
  errors: { directResult: true, defaultTypes: [MetaStudioError] },
});
