/**
 * Typed operations a frontend can import. `graphql()` returns a TypedDocumentNode whose
 * result and variables types come from schema.graphql (regenerate with `npm run codegen`).
 */
import { graphql } from './generated/gql.js';

/** What every result union's error member carries. */
export const MssErrorFields = graphql(`
  fragment MssErrorFields on MssError {
    errorCode
    errorMsg
    httpStatus
    requestId
    origin
  }
`);

/** What both create mutations answer when the job exists. */
export const PictureModelingJobCreatedFields = graphql(`
  fragment PictureModelingJobCreatedFields on PictureModelingJobCreated {
    jobId
    modelAssetId
    requestId
    job {
      id
      jobId
      state
    }
  }
`);

export const CreatePictureModelingJob = graphql(`
  mutation CreatePictureModelingJob($input: CreatePictureModelingJobInput!) {
    createPictureModelingJob(input: $input) {
      __typename
      ...PictureModelingJobCreatedFields
      ...MssErrorFields
    }
  }
`);

/** MetaStudio downloads the photo itself; the same result as an upload. */
export const CreatePictureModelingJobFromUrl = graphql(`
  mutation CreatePictureModelingJobFromUrl($input: CreatePictureModelingJobFromUrlInput!) {
    createPictureModelingJobFromUrl(input: $input) {
      __typename
      ...PictureModelingJobCreatedFields
      ...MssErrorFields
    }
  }
`);

export const PictureModelingStyles = graphql(`
  query PictureModelingStyles {
    pictureModelingStyles {
      __typename
      ... on StyleList {
        styles {
          styleId
          name
          description
          sex
        }
      }
      ...MssErrorFields
    }
  }
`);

export const PictureModelingJob = graphql(`
  query PictureModelingJob($jobId: ID!) {
    pictureModelingJob(jobId: $jobId) {
      __typename
      ... on PictureModelingJob {
        id
        jobId
        state
        name
        styleId
        modelCoverUrl
        startTime
        endTime
        errorInfo {
          errorCode
          errorMsg
        }
        modelAsset {
          assetId
          assetState
          coverUrl
        }
      }
      ...MssErrorFields
    }
  }
`);

export const PictureModelingJobs = graphql(`
  query PictureModelingJobs($offset: Int, $limit: Int, $states: [PictureModelingJobState!]) {
    pictureModelingJobs(offset: $offset, limit: $limit, states: $states) {
      __typename
      ... on PictureModelingJobList {
        totalCount
        jobs {
          id
          jobId
          state
          name
          modelAsset {
            assetId
            assetState
          }
        }
      }
      ...MssErrorFields
    }
  }
`);

export const PictureModelingJobCompleted = graphql(`
  subscription PictureModelingJobCompleted($jobId: ID) {
    pictureModelingJobCompleted(jobId: $jobId) {
      id
      jobId
      state
      modelAssetId
      modelCoverUrl
      endTime
      errorInfo {
        errorCode
        errorMsg
      }
    }
  }
`);

/**
 * Each state change of the caller's jobs (of one job with jobId). Keep the last `cursor`
 * and pass it as `after` when reconnecting: what was missed comes first, then live events.
 */
export const PictureModelingJobUpdated = graphql(`
  subscription PictureModelingJobUpdated($jobId: ID, $after: String) {
    pictureModelingJobUpdated(jobId: $jobId, after: $after) {
      cursor
      job {
        id
        jobId
        state
        modelAssetId
        modelCoverUrl
        endTime
        errorInfo {
          errorCode
          errorMsg
        }
      }
    }
  }
`);
