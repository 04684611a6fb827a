/**
 * The reference frontend: load the styles, upload a photo per the GraphQL multipart
 * request spec (with the CSRF header) showing the bytes sent, then follow the job's states
 * over graphql-ws (pictureModelingJobUpdated) until it ends, with its cover and asset id.
 * Every operation is a typed document from client/operations.ts, sent by its documentId
 * (it works when the gateway runs trusted documents only).
 */
import type { ResultOf, TypedDocumentNode, VariablesOf } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { CreatePictureModelingJob, PictureModelingJobUpdated, PictureModelingStyles } from '../client/operations.js';

const endpoint = new URL('/graphql', location.href);
const socket = createClient({ url: endpoint.href.replace(/^http/, 'ws') });
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLDivElement>('status');
const submit = $<HTMLButtonElement>('submit');
const progress = $<HTMLProgressElement>('progress');

function show(text: string, kind: 'info' | 'error' | 'done' = 'info') {
  status.textContent = text;
  status.dataset['kind'] = kind;
}

const kB = (bytes: number) => `${(bytes / 1024).toFixed(1)} kB`;

/** Codegen puts each operation's sha256 in the document: the gateway knows it as a trusted document. */
const documentIdOf = (document: object) => (document as { __meta__?: { hash?: string } }).__meta__?.hash;

type GraphQLBody<R> = { data?: R; errors?: Array<{ message: string; extensions?: { code?: string } }> | undefined };

/** A GraphQL error as a person reads it: the message, and the code for a support request. */
const readable = (body: GraphQLBody<unknown>, status: number) => {
  const error = body.errors?.[0];
  if (!error) return `the gateway answered HTTP ${status}`;
  return error.extensions?.code ? `${error.message} (${error.extensions.code})` : error.message;
};

async function query<R, V>(document: TypedDocumentNode<R, V>, variables?: V): Promise<R> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documentId: documentIdOf(document), variables }),
  });
  const body = (await response.json()) as GraphQLBody<R>;
  if (!body.data) throw new Error(readable(body, response.status));
  return body.data;
}

/** GraphQL multipart request: operations, map, then the file. XMLHttpRequest, because fetch reports no upload progress. */
function upload(file: File, styleId: string, name: string): Promise<ResultOf<typeof CreatePictureModelingJob>> {
  const form = new FormData();
  const variables: VariablesOf<typeof CreatePictureModelingJob> = { input: { file: null as unknown as File, styleId, name, idempotencyKey: crypto.randomUUID() } };
  form.append('operations', JSON.stringify({ documentId: documentIdOf(CreatePictureModelingJob), variables }));
  form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.append('0', file);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', endpoint);
    xhr.setRequestHeader('x-graphql-yoga-csrf', '1');
    xhr.responseType = 'text';
    xhr.upload.onprogress = (event) => {
      progress.hidden = false;
      progress.max = event.total || file.size;
      progress.value = event.loaded;
      show(`Uploading… ${kB(event.loaded)} of ${kB(event.total || file.size)} sent`);
    };
    xhr.upload.onload = () => show(`Uploaded ${kB(file.size)}; MetaStudio is checking the photo…`);
    xhr.onload = () => {
      let body: GraphQLBody<ResultOf<typeof CreatePictureModelingJob>>;
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        return reject(new Error(`the gateway answered HTTP ${xhr.status}`));
      }
      if (!body.data) return reject(new Error(readable(body, xhr.status)));
      resolve(body.data);
    };
    xhr.onerror = () => reject(new Error('the connection to the gateway was lost'));
    xhr.send(form);
  });
}

function follow(jobId: string) {
  const cover = $<HTMLImageElement>('cover');
  const asset = $<HTMLParagraphElement>('asset');
  const states = $<HTMLOListElement>('states');
  socket.subscribe<ResultOf<typeof PictureModelingJobUpdated>>(
    // The text rides along for servers without trusted documents; the id is what the gateway runs.
    { query: print(PictureModelingJobUpdated), variables: { jobId }, extensions: { persistedQuery: { version: 1, sha256Hash: documentIdOf(PictureModelingJobUpdated) } } },
    {
      next: ({ data, errors }) => {
        const job = data?.pictureModelingJobUpdated.job;
        if (!job) return show(`The job could not be followed: ${readable({ errors: errors as GraphQLBody<unknown>['errors'] }, 200)}`, 'error');
        if (states.lastElementChild?.textContent !== job.state) states.append(Object.assign(document.createElement('li'), { textContent: job.state }));
        if (job.state === 'WAITING') return show(`Job ${job.jobId} is waiting for MetaStudio…`);
        if (job.state === 'PROCESSING') return show(`MetaStudio is modelling job ${job.jobId}…`);
        if (job.errorInfo) return show(`The job ended ${job.state}: ${job.errorInfo.errorMsg ?? ''} (${job.errorInfo.errorCode ?? 'no code'})`, 'error');
        show(`${job.state}: job ${job.jobId} has ended`, job.state === 'SUCCEED' ? 'done' : 'error');
        if (job.modelAssetId) {
          asset.textContent = `Model asset id: ${job.modelAssetId}`;
          asset.hidden = false;
        }
        if (job.modelCoverUrl) {
          cover.src = job.modelCoverUrl;
          cover.hidden = false;
        }
      },
      error: () => show('The live connection to the gateway was lost; reload to see the job again', 'error'),
      complete: () => {},
    },
  );
}

async function loadStyles() {
  const select = $<HTMLSelectElement>('style');
  const { pictureModelingStyles: result } = await query(PictureModelingStyles);
  if (result.__typename === 'MssError') return show(`Styles unavailable: ${result.errorMsg} (${result.errorCode})`, 'error');
  select.replaceChildren(...result.styles.map((s) => new Option(`${s.name ?? s.styleId}${s.sex ? ` (${s.sex})` : ''}`, s.styleId)));
}

$<HTMLFormElement>('create').addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = $<HTMLInputElement>('photo').files?.[0];
  if (!file || submit.disabled) return;
  $<HTMLImageElement>('cover').hidden = true;
  $<HTMLParagraphElement>('asset').hidden = true;
  $<HTMLOListElement>('states').replaceChildren();
  progress.value = 0;
  // One create at a time: the button comes back once this one has its answer.
  submit.disabled = true;
  show('Uploading…');
  try {
    const { createPictureModelingJob: result } = await upload(file, $<HTMLSelectElement>('style').value, $<HTMLInputElement>('name').value);
    if (result.__typename === 'MssError') return show(`The photo was refused: ${result.errorMsg} (${result.errorCode})`, 'error');
    follow(result.jobId);
  } catch (error) {
    show(`The upload failed: ${(error as Error).message}`, 'error');
  } finally {
    submit.disabled = false;
    progress.hidden = true;
  }
});

loadStyles().catch((error: unknown) => show(`Styles unavailable: ${(error as Error).message}`, 'error'));
