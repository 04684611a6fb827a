import { ApolloClient, ApolloLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';
import generated from '../generated/possible-types.js'; // codegen's fragment-matcher: the members of each result union

export function createApolloClient(httpUrl: string, wsUrl: string, token: string) {
  const http = new UploadHttpLink({
    uri: httpUrl,
    // apollo-require-preflight is the CSRF header the gateway requires on uploads (multipart requests).
    headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` },
  });
  const ws = new GraphQLWsLink(createClient({ url: wsUrl, connectionParams: { authorization: `Bearer ${token}` } }));
  return new ApolloClient({
    link: ApolloLink.split(({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION, ws, http),
    cache: new InMemoryCache({ possibleTypes: generated.possibleTypes }), // PictureModelingJob.id: completions update watched queries by themselves
  });
}
