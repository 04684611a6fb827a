import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import generated from '../generated/possible-types.js'; // codegen's fragment-matcher: the members of each result union

// Subscriptions too go over HTTP (multipart/mixed, Apollo's protocol): no WebSocket link needed.
export function createApolloHttpClient(httpUrl: string, token: string) {
  return new ApolloClient({
    link: new HttpLink({ uri: httpUrl, headers: { authorization: `Bearer ${token}` } }),
    cache: new InMemoryCache({ possibleTypes: generated.possibleTypes }),
  });
}
