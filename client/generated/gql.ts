/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment MssErrorFields on MssError {\n    errorCode\n    errorMsg\n    httpStatus\n    requestId\n    origin\n  }\n": typeof types.MssErrorFieldsFragmentDoc,
    "\n  fragment PictureModelingJobCreatedFields on PictureModelingJobCreated {\n    jobId\n    modelAssetId\n    requestId\n    job {\n      id\n      jobId\n      state\n    }\n  }\n": typeof types.PictureModelingJobCreatedFieldsFragmentDoc,
    "\n  mutation CreatePictureModelingJob($input: CreatePictureModelingJobInput!) {\n    createPictureModelingJob(input: $input) {\n      __typename\n      ...PictureModelingJobCreatedFields\n      ...MssErrorFields\n    }\n  }\n": typeof types.CreatePictureModelingJobDocument,
    "\n  mutation CreatePictureModelingJobFromUrl($input: CreatePictureModelingJobFromUrlInput!) {\n    createPictureModelingJobFromUrl(input: $input) {\n      __typename\n      ...PictureModelingJobCreatedFields\n      ...MssErrorFields\n    }\n  }\n": typeof types.CreatePictureModelingJobFromUrlDocument,
    "\n  query PictureModelingStyles {\n    pictureModelingStyles {\n      __typename\n      ... on StyleList {\n        styles {\n          styleId\n          name\n          description\n          sex\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n": typeof types.PictureModelingStylesDocument,
    "\n  query PictureModelingJob($jobId: ID!) {\n    pictureModelingJob(jobId: $jobId) {\n      __typename\n      ... on PictureModelingJob {\n        id\n        jobId\n        state\n        name\n        styleId\n        modelCoverUrl\n        startTime\n        endTime\n        errorInfo {\n          errorCode\n          errorMsg\n        }\n        modelAsset {\n          assetId\n          assetState\n          coverUrl\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n": typeof types.PictureModelingJobDocument,
    "\n  query PictureModelingJobs($offset: Int, $limit: Int, $states: [PictureModelingJobState!]) {\n    pictureModelingJobs(offset: $offset, limit: $limit, states: $states) {\n      __typename\n      ... on PictureModelingJobList {\n        totalCount\n        jobs {\n          id\n          jobId\n          state\n          name\n          modelAsset {\n            assetId\n            assetState\n          }\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n": typeof types.PictureModelingJobsDocument,
    "\n  subscription PictureModelingJobCompleted($jobId: ID) {\n    pictureModelingJobCompleted(jobId: $jobId) {\n      id\n      jobId\n      state\n      modelAssetId\n      modelCoverUrl\n      endTime\n      errorInfo {\n        errorCode\n        errorMsg\n      }\n    }\n  }\n": typeof types.PictureModelingJobCompletedDocument,
    "\n  subscription PictureModelingJobUpdated($jobId: ID, $after: String) {\n    pictureModelingJobUpdated(jobId: $jobId, after: $after) {\n      cursor\n      job {\n        id\n        jobId\n        state\n        modelAssetId\n        modelCoverUrl\n        endTime\n        errorInfo {\n          errorCode\n          errorMsg\n        }\n      }\n    }\n  }\n": typeof types.PictureModelingJobUpdatedDocument,
};
const documents: Documents = {
    "\n  fragment MssErrorFields on MssError {\n    errorCode\n    errorMsg\n    httpStatus\n    requestId\n    origin\n  }\n": types.MssErrorFieldsFragmentDoc,
    "\n  fragment PictureModelingJobCreatedFields on PictureModelingJobCreated {\n    jobId\n    modelAssetId\n    requestId\n    job {\n      id\n      jobId\n      state\n    }\n  }\n": types.PictureModelingJobCreatedFieldsFragmentDoc,
    "\n  mutation CreatePictureModelingJob($input: CreatePictureModelingJobInput!) {\n    createPictureModelingJob(input: $input) {\n      __typename\n      ...PictureModelingJobCreatedFields\n      ...MssErrorFields\n    }\n  }\n": types.CreatePictureModelingJobDocument,
    "\n  mutation CreatePictureModelingJobFromUrl($input: CreatePictureModelingJobFromUrlInput!) {\n    createPictureModelingJobFromUrl(input: $input) {\n      __typename\n      ...PictureModelingJobCreatedFields\n      ...MssErrorFields\n    }\n  }\n": types.CreatePictureModelingJobFromUrlDocument,
    "\n  query PictureModelingStyles {\n    pictureModelingStyles {\n      __typename\n      ... on StyleList {\n        styles {\n          styleId\n          name\n          description\n          sex\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n": types.PictureModelingStylesDocument,
    "\n  query PictureModelingJob($jobId: ID!) {\n    pictureModelingJob(jobId: $jobId) {\n      __typename\n      ... on PictureModelingJob {\n        id\n        jobId\n        state\n        name\n        styleId\n        modelCoverUrl\n        startTime\n        endTime\n        errorInfo {\n          errorCode\n          errorMsg\n        }\n        modelAsset {\n          assetId\n          assetState\n          coverUrl\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n": types.PictureModelingJobDocument,
    "\n  query PictureModelingJobs($offset: Int, $limit: Int, $states: [PictureModelingJobState!]) {\n    pictureModelingJobs(offset: $offset, limit: $limit, states: $states) {\n      __typename\n      ... on PictureModelingJobList {\n        totalCount\n        jobs {\n          id\n          jobId\n          state\n          name\n          modelAsset {\n            assetId\n            assetState\n          }\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n": types.PictureModelingJobsDocument,
    "\n  subscription PictureModelingJobCompleted($jobId: ID) {\n    pictureModelingJobCompleted(jobId: $jobId) {\n      id\n      jobId\n      state\n      modelAssetId\n      modelCoverUrl\n      endTime\n      errorInfo {\n        errorCode\n        errorMsg\n      }\n    }\n  }\n": types.PictureModelingJobCompletedDocument,
    "\n  subscription PictureModelingJobUpdated($jobId: ID, $after: String) {\n    pictureModelingJobUpdated(jobId: $jobId, after: $after) {\n      cursor\n      job {\n        id\n        jobId\n        state\n        modelAssetId\n        modelCoverUrl\n        endTime\n        errorInfo {\n          errorCode\n          errorMsg\n        }\n      }\n    }\n  }\n": types.PictureModelingJobUpdatedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MssErrorFields on MssError {\n    errorCode\n    errorMsg\n    httpStatus\n    requestId\n    origin\n  }\n"): (typeof documents)["\n  fragment MssErrorFields on MssError {\n    errorCode\n    errorMsg\n    httpStatus\n    requestId\n    origin\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PictureModelingJobCreatedFields on PictureModelingJobCreated {\n    jobId\n    modelAssetId\n    requestId\n    job {\n      id\n      jobId\n      state\n    }\n  }\n"): (typeof documents)["\n  fragment PictureModelingJobCreatedFields on PictureModelingJobCreated {\n    jobId\n    modelAssetId\n    requestId\n    job {\n      id\n      jobId\n      state\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePictureModelingJob($input: CreatePictureModelingJobInput!) {\n    createPictureModelingJob(input: $input) {\n      __typename\n      ...PictureModelingJobCreatedFields\n      ...MssErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreatePictureModelingJob($input: CreatePictureModelingJobInput!) {\n    createPictureModelingJob(input: $input) {\n      __typename\n      ...PictureModelingJobCreatedFields\n      ...MssErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePictureModelingJobFromUrl($input: CreatePictureModelingJobFromUrlInput!) {\n    createPictureModelingJobFromUrl(input: $input) {\n      __typename\n      ...PictureModelingJobCreatedFields\n      ...MssErrorFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreatePictureModelingJobFromUrl($input: CreatePictureModelingJobFromUrlInput!) {\n    createPictureModelingJobFromUrl(input: $input) {\n      __typename\n      ...PictureModelingJobCreatedFields\n      ...MssErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PictureModelingStyles {\n    pictureModelingStyles {\n      __typename\n      ... on StyleList {\n        styles {\n          styleId\n          name\n          description\n          sex\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n"): (typeof documents)["\n  query PictureModelingStyles {\n    pictureModelingStyles {\n      __typename\n      ... on StyleList {\n        styles {\n          styleId\n          name\n          description\n          sex\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PictureModelingJob($jobId: ID!) {\n    pictureModelingJob(jobId: $jobId) {\n      __typename\n      ... on PictureModelingJob {\n        id\n        jobId\n        state\n        name\n        styleId\n        modelCoverUrl\n        startTime\n        endTime\n        errorInfo {\n          errorCode\n          errorMsg\n        }\n        modelAsset {\n          assetId\n          assetState\n          coverUrl\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n"): (typeof documents)["\n  query PictureModelingJob($jobId: ID!) {\n    pictureModelingJob(jobId: $jobId) {\n      __typename\n      ... on PictureModelingJob {\n        id\n        jobId\n        state\n        name\n        styleId\n        modelCoverUrl\n        startTime\n        endTime\n        errorInfo {\n          errorCode\n          errorMsg\n        }\n        modelAsset {\n          assetId\n          assetState\n          coverUrl\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PictureModelingJobs($offset: Int, $limit: Int, $states: [PictureModelingJobState!]) {\n    pictureModelingJobs(offset: $offset, limit: $limit, states: $states) {\n      __typename\n      ... on PictureModelingJobList {\n        totalCount\n        jobs {\n          id\n          jobId\n          state\n          name\n          modelAsset {\n            assetId\n            assetState\n          }\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n"): (typeof documents)["\n  query PictureModelingJobs($offset: Int, $limit: Int, $states: [PictureModelingJobState!]) {\n    pictureModelingJobs(offset: $offset, limit: $limit, states: $states) {\n      __typename\n      ... on PictureModelingJobList {\n        totalCount\n        jobs {\n          id\n          jobId\n          state\n          name\n          modelAsset {\n            assetId\n            assetState\n          }\n        }\n      }\n      ...MssErrorFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PictureModelingJobCompleted($jobId: ID) {\n    pictureModelingJobCompleted(jobId: $jobId) {\n      id\n      jobId\n      state\n      modelAssetId\n      modelCoverUrl\n      endTime\n      errorInfo {\n        errorCode\n        errorMsg\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription PictureModelingJobCompleted($jobId: ID) {\n    pictureModelingJobCompleted(jobId: $jobId) {\n      id\n      jobId\n      state\n      modelAssetId\n      modelCoverUrl\n      endTime\n      errorInfo {\n        errorCode\n        errorMsg\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PictureModelingJobUpdated($jobId: ID, $after: String) {\n    pictureModelingJobUpdated(jobId: $jobId, after: $after) {\n      cursor\n      job {\n        id\n        jobId\n        state\n        modelAssetId\n        modelCoverUrl\n        endTime\n        errorInfo {\n          errorCode\n          errorMsg\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription PictureModelingJobUpdated($jobId: ID, $after: String) {\n    pictureModelingJobUpdated(jobId: $jobId, after: $after) {\n      cursor\n      job {\n        id\n        jobId\n        state\n        modelAssetId\n        modelCoverUrl\n        endTime\n        errorInfo {\n          errorCode\n          errorMsg\n        }\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;