/**
 * The peer: Apollo Server 4 with graphql-upload (which spools uploads to temporary files),
 * answering the same mutation as the gateway with the same upstream create.
 */
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@apollo/server/express4';
import express from 'express';
import GraphQLUpload from 'graphql-upload/GraphQLUpload.mjs';
import graphqlUploadExpress from 'graphql-upload/graphqlUploadExpress.mjs';
import { upstreamFromEnv } from './upstream.js';

const upstream = upstreamFromEnv();
const typeDefs = `#graphql
  scalar Upload
  input CreatePictureModelingJobInput { file: Upload!, styleId: String!, name: String! }
  type PictureModelingJobCreated { jobId: ID!, modelAssetId: ID!, requestId: String }
  type MssError { errorCode: String!, errorMsg: String! }
  union CreatePictureModelingJobResult = PictureModelingJobCreated | MssError
  type Query { ok: Boolean }
  type Mutation { createPictureModelingJob(input: CreatePictureModelingJobInput!): CreatePictureModelingJobResult! }
`;
interface FileUpload {
  createReadStream(): AsyncIterable<Uint8Array>;
}
const resolvers = {
  Upload: GraphQLUpload,
  CreatePictureModelingJobResult: { __resolveType: (value: object) => ('jobId' in value ? 'PictureModelingJobCreated' : 'MssError') },
  Mutation: {
    async createPictureModelingJob(_root: unknown, { input }: { input: { file: Promise<FileUpload>; name: string } }) {
      const file = await input.file;
      return upstream.create(input.name, file.createReadStream());
    },
  },
};

const apollo = new ApolloServer({ typeDefs, resolvers, csrfPrevention: true });
await apollo.start();
const app = express();
app.use('/graphql', graphqlUploadExpress({ maxFileSize: 200 * 1024 * 1024, maxFiles: 1 }), express.json(), expressMiddleware(apollo));
const server = app.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => process.stdout.write(`apollo listening on ${(server.address() as AddressInfo).port}\n`));
