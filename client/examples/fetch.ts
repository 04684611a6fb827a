// GraphQL over plain fetch: JSON for queries, the GraphQL multipart request spec for uploads.
export async function graphqlFetch(url: string, token: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

export async function uploadPhoto(url: string, token: string, photo: Blob, styleId: string, name: string) {
  const form = new FormData();
  const query = 'mutation($f: Upload!, $s: String!, $n: String!) { createPictureModelingJob(input: {file: $f, styleId: $s, name: $n}) { __typename ... on PictureModelingJobCreated { jobId } ... on MssError { errorCode errorMsg } } }';
  form.append('operations', JSON.stringify({ query, variables: { f: null, s: styleId, n: name } }));
  form.append('map', JSON.stringify({ 0: ['variables.f'] }));
  form.append('0', photo, 'photo.jpg');
  // x-graphql-yoga-csrf is the CSRF header the gateway requires on multipart requests.
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' }, body: form });
  return res.json();
}
