/** What GraphiQL opens on: operations that run as they are, and how to create a job. */
export const GRAPHIQL_DEFAULT_QUERY = `# MetaStudio picture-modeling gateway
#
# Press Run (or Ctrl-Enter) and pick an operation.
#
# Styles: the styles a job can use.
# MyJobs: your latest jobs.
# JobUpdates: each state change of your jobs, live (WAITING, PROCESSING, the end);
#   create a job meanwhile and watch it move. Keep the last cursor: passing it as
#   $after replays what you missed.
#
# Creating a job uploads a photo (GraphQL multipart request spec), which GraphiQL
# cannot send; from a shell:
#
#   curl http://HOST:PORT/graphql -H 'x-graphql-yoga-csrf: 1' \\
#     -F operations='{"query":"mutation($f: Upload!) { createPictureModelingJob(input: {file: $f, styleId: \\"system_female_001\\", name: \\"my-model\\"}) { __typename ... on PictureModelingJobCreated { jobId } ... on MssError { errorCode errorMsg } } }","variables":{"f":null}}' \\
#     -F map='{"0":["variables.f"]}' -F 0=@face.jpg
#
# or use the demo page at / . createPictureModelingJobFromUrl needs no upload.

query Styles {
  pictureModelingStyles {
    ... on StyleList { styles { styleId name sex } }
    ... on MssError { errorCode errorMsg }
  }
}

query MyJobs {
  pictureModelingJobsConnection(first: 10) {
    edges { node { id state name modelCoverUrl } }
    pageInfo { hasNextPage endCursor }
  }
}

subscription JobUpdates($after: String) {
  pictureModelingJobUpdated(after: $after) {
    cursor
    job { id state modelAssetId modelCoverUrl errorInfo { errorCode errorMsg } }
  }
}
`;
