/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type CreatePictureModelingJobFromUrlInput = {
  /** Sent upstream as X-App-UserId; ASCII only */
  appUserId?: string | null | undefined;
  /** 1-128 printable ASCII. The same key from the same caller within 24 hours returns the first attempt's job, with no second create */
  idempotencyKey?: string | null | undefined;
  /** Model name, unique within the account; at most 64 characters */
  name: string;
  /** Optional: the gateway relays the completion to this URL, signed */
  notifyUrl?: string | null | undefined;
  /** http(s) URL of a jpg/png that MetaStudio downloads */
  pictureUrl: string;
  /** e.g. system_female_001 */
  styleId: string;
};

export type CreatePictureModelingJobInput = {
  /** Sent upstream as X-App-UserId; ASCII only */
  appUserId?: string | null | undefined;
  /** jpg/jpeg/png, at most 3840x2160 (either orientation) */
  file: File | Blob;
  /** 1-128 printable ASCII. The same key from the same caller within 24 hours returns the first attempt's job, with no second create */
  idempotencyKey?: string | null | undefined;
  /** Model name, unique within the account; at most 64 characters */
  name: string;
  /** Optional: the gateway relays the completion to this URL, signed */
  notifyUrl?: string | null | undefined;
  /** e.g. system_female_001 */
  styleId: string;
};

export type MssErrorOrigin =
  /** The gateway refused the input or could not get an answer from MetaStudio */
  | 'GATEWAY'
  /** MetaStudio (or its API Gateway) answered with this error */
  | 'UPSTREAM';

/** SUCCEED, PARTIAL_SUCCEED (model made, screenshot failed), FAILED and CANCELED are terminal */
export type PictureModelingJobState =
  | 'CANCELED'
  | 'FAILED'
  | 'PARTIAL_SUCCEED'
  | 'PROCESSING'
  | 'SUCCEED'
  | 'WAITING';

export type MssErrorFieldsFragment = { errorCode: string, errorMsg: string, httpStatus: number, requestId: string | null, origin: MssErrorOrigin };

export type PictureModelingJobCreatedFieldsFragment = { jobId: string, modelAssetId: string, requestId: string | null, job: { id: string, jobId: string, state: PictureModelingJobState } | null };

export type CreatePictureModelingJobMutationVariables = Exact<{
  input: CreatePictureModelingJobInput;
}>;


export type CreatePictureModelingJobMutation = { createPictureModelingJob:
    | { __typename: 'MssError', errorCode: string, errorMsg: string, httpStatus: number, requestId: string | null, origin: MssErrorOrigin }
    | { __typename: 'PictureModelingJobCreated', jobId: string, modelAssetId: string, requestId: string | null, job: { id: string, jobId: string, state: PictureModelingJobState } | null }
   };

export type CreatePictureModelingJobFromUrlMutationVariables = Exact<{
  input: CreatePictureModelingJobFromUrlInput;
}>;


export type CreatePictureModelingJobFromUrlMutation = { createPictureModelingJobFromUrl:
    | { __typename: 'MssError', errorCode: string, errorMsg: string, httpStatus: number, requestId: string | null, origin: MssErrorOrigin }
    | { __typename: 'PictureModelingJobCreated', jobId: string, modelAssetId: string, requestId: string | null, job: { id: string, jobId: string, state: PictureModelingJobState } | null }
   };

export type PictureModelingStylesQueryVariables = Exact<{ [key: string]: never; }>;


export type PictureModelingStylesQuery = { pictureModelingStyles:
    | { __typename: 'MssError', errorCode: string, errorMsg: string, httpStatus: number, requestId: string | null, origin: MssErrorOrigin }
    | { __typename: 'StyleList', styles: Array<{ styleId: string, name: string | null, description: string | null, sex: string | null }> }
   };

export type PictureModelingJobQueryVariables = Exact<{
  jobId: string;
}>;


export type PictureModelingJobQuery = { pictureModelingJob:
    | { __typename: 'MssError', errorCode: string, errorMsg: string, httpStatus: number, requestId: string | null, origin: MssErrorOrigin }
    | { __typename: 'PictureModelingJob', id: string, jobId: string, state: PictureModelingJobState, name: string | null, styleId: string | null, modelCoverUrl: string | null, startTime: string | null, endTime: string | null, errorInfo: { errorCode: string | null, errorMsg: string | null } | null, modelAsset: { assetId: string, assetState: string | null, coverUrl: string | null } | null }
   };

export type PictureModelingJobsQueryVariables = Exact<{
  offset?: number | null | undefined;
  limit?: number | null | undefined;
  states?: Array<PictureModelingJobState> | PictureModelingJobState | null | undefined;
}>;


export type PictureModelingJobsQuery = { pictureModelingJobs:
    | { __typename: 'MssError', errorCode: string, errorMsg: string, httpStatus: number, requestId: string | null, origin: MssErrorOrigin }
    | { __typename: 'PictureModelingJobList', totalCount: number, jobs: Array<{ id: string, jobId: string, state: PictureModelingJobState, name: string | null, modelAsset: { assetId: string, assetState: string | null } | null }> }
   };

export type PictureModelingJobCompletedSubscriptionVariables = Exact<{
  jobId?: string | null | undefined;
}>;


export type PictureModelingJobCompletedSubscription = { pictureModelingJobCompleted: { id: string, jobId: string, state: PictureModelingJobState, modelAssetId: string | null, modelCoverUrl: string | null, endTime: string | null, errorInfo: { errorCode: string | null, errorMsg: string | null } | null } };

export type PictureModelingJobUpdatedSubscriptionVariables = Exact<{
  jobId?: string | null | undefined;
  after?: string | null | undefined;
}>;


export type PictureModelingJobUpdatedSubscription = { pictureModelingJobUpdated: { cursor: string, job: { id: string, jobId: string, state: PictureModelingJobState, modelAssetId: string | null, modelCoverUrl: string | null, endTime: string | null, errorInfo: { errorCode: string | null, errorMsg: string | null } | null } } };

export const MssErrorFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MssErrorFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MssError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMsg"}},{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"origin"}}]}}]} as unknown as DocumentNode<MssErrorFieldsFragment, unknown>;
export const PictureModelingJobCreatedFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PictureModelingJobCreatedFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PictureModelingJobCreated"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"modelAssetId"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"job"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"state"}}]}}]}}]} as unknown as DocumentNode<PictureModelingJobCreatedFieldsFragment, unknown>;
export const CreatePictureModelingJobDocument = {"__meta__":{"hash":"sha256:5606f6469180e4e55c093a43d58c8d36fd752ee622b3fb6171084cb96f2fce1a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreatePictureModelingJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreatePictureModelingJobInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createPictureModelingJob"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"PictureModelingJobCreatedFields"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"MssErrorFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PictureModelingJobCreatedFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PictureModelingJobCreated"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"modelAssetId"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"job"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"state"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MssErrorFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MssError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMsg"}},{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"origin"}}]}}]} as unknown as DocumentNode<CreatePictureModelingJobMutation, CreatePictureModelingJobMutationVariables>;
export const CreatePictureModelingJobFromUrlDocument = {"__meta__":{"hash":"sha256:01e88647406b9e1d1f96a0f00f773aa7f58ea6c61678905d914b89c9dad91055"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreatePictureModelingJobFromUrl"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreatePictureModelingJobFromUrlInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createPictureModelingJobFromUrl"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"PictureModelingJobCreatedFields"}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"MssErrorFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"PictureModelingJobCreatedFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PictureModelingJobCreated"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"modelAssetId"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"job"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"state"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MssErrorFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MssError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMsg"}},{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"origin"}}]}}]} as unknown as DocumentNode<CreatePictureModelingJobFromUrlMutation, CreatePictureModelingJobFromUrlMutationVariables>;
export const PictureModelingStylesDocument = {"__meta__":{"hash":"sha256:9c681e2f1f7e252f7655f5e992b1fc86a60933f298b7dcc6ab29adcf695543a4"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PictureModelingStyles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pictureModelingStyles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"StyleList"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"styles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"styleId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"sex"}}]}}]}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"MssErrorFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MssErrorFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MssError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMsg"}},{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"origin"}}]}}]} as unknown as DocumentNode<PictureModelingStylesQuery, PictureModelingStylesQueryVariables>;
export const PictureModelingJobDocument = {"__meta__":{"hash":"sha256:f18c8e73be90871b2103384a952329a31aaa7809cc793e22cbdaf5bccb38504e"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PictureModelingJob"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"jobId"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pictureModelingJob"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"jobId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"jobId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PictureModelingJob"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"styleId"}},{"kind":"Field","name":{"kind":"Name","value":"modelCoverUrl"}},{"kind":"Field","name":{"kind":"Name","value":"startTime"}},{"kind":"Field","name":{"kind":"Name","value":"endTime"}},{"kind":"Field","name":{"kind":"Name","value":"errorInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMsg"}}]}},{"kind":"Field","name":{"kind":"Name","value":"modelAsset"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"assetId"}},{"kind":"Field","name":{"kind":"Name","value":"assetState"}},{"kind":"Field","name":{"kind":"Name","value":"coverUrl"}}]}}]}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"MssErrorFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MssErrorFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MssError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMsg"}},{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"origin"}}]}}]} as unknown as DocumentNode<PictureModelingJobQuery, PictureModelingJobQueryVariables>;
export const PictureModelingJobsDocument = {"__meta__":{"hash":"sha256:85d10b8880e06c37da62d217e28f3ce0ec1a72530311fcb2f4326964f751e8d7"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"PictureModelingJobs"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"offset"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"limit"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"states"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"PictureModelingJobState"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pictureModelingJobs"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"offset"},"value":{"kind":"Variable","name":{"kind":"Name","value":"offset"}}},{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"Variable","name":{"kind":"Name","value":"limit"}}},{"kind":"Argument","name":{"kind":"Name","value":"states"},"value":{"kind":"Variable","name":{"kind":"Name","value":"states"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PictureModelingJobList"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"jobs"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"modelAsset"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"assetId"}},{"kind":"Field","name":{"kind":"Name","value":"assetState"}}]}}]}}]}},{"kind":"FragmentSpread","name":{"kind":"Name","value":"MssErrorFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"MssErrorFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"MssError"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMsg"}},{"kind":"Field","name":{"kind":"Name","value":"httpStatus"}},{"kind":"Field","name":{"kind":"Name","value":"requestId"}},{"kind":"Field","name":{"kind":"Name","value":"origin"}}]}}]} as unknown as DocumentNode<PictureModelingJobsQuery, PictureModelingJobsQueryVariables>;
export const PictureModelingJobCompletedDocument = {"__meta__":{"hash":"sha256:f3fa08108adb38a6a27819bdbfb84b24253f4a108854303be1a533b890ce3e05"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"PictureModelingJobCompleted"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"jobId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pictureModelingJobCompleted"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"jobId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"jobId"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"modelAssetId"}},{"kind":"Field","name":{"kind":"Name","value":"modelCoverUrl"}},{"kind":"Field","name":{"kind":"Name","value":"endTime"}},{"kind":"Field","name":{"kind":"Name","value":"errorInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMsg"}}]}}]}}]}}]} as unknown as DocumentNode<PictureModelingJobCompletedSubscription, PictureModelingJobCompletedSubscriptionVariables>;
export const PictureModelingJobUpdatedDocument = {"__meta__":{"hash":"sha256:6cae504cc8f0d9f6a1cb89887b644670191eb0bf5c8cc9ef208904fb510a2c15"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"PictureModelingJobUpdated"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"jobId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"pictureModelingJobUpdated"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"jobId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"jobId"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"job"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"jobId"}},{"kind":"Field","name":{"kind":"Name","value":"state"}},{"kind":"Field","name":{"kind":"Name","value":"modelAssetId"}},{"kind":"Field","name":{"kind":"Name","value":"modelCoverUrl"}},{"kind":"Field","name":{"kind":"Name","value":"endTime"}},{"kind":"Field","name":{"kind":"Name","value":"errorInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"errorCode"}},{"kind":"Field","name":{"kind":"Name","value":"errorMsg"}}]}}]}}]}}]}}]} as unknown as DocumentNode<PictureModelingJobUpdatedSubscription, PictureModelingJobUpdatedSubscriptionVariables>;