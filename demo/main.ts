/**
 * The reference frontend: load the styles, upload a photo per the GraphQL multipart
 * request spec (with the CSRF header), then follow the job over graphql-ws until it ends.
 * Every operation is a typed document from client/operations.ts, sent by its documentId
 * over HTTP (it works when the gateway runs trusted documents only).
 */
import type { ResultOf, TypedDocumentNode, VariablesOf } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import { CreatePictureModelingJob, PictureModelingJobCompleted, PictureModelingStyles } from '../client/operations.js';

const endpoint = new URL('/graphql', location.href);
const socket = createClient({ url: endpoint.href.replace(/^http/, 'ws') });
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLDivElement>('status');

function show(text: string, kind: 'info' | 'error' | 'done' = 'info') {
  status.textContent = text;
  status.dataset['kind'] = kind;
}

/** Codegen puts each operation's sha256 in the document: the gateway knows it as a trusted document. */
const documentIdOf = (document: object) => (document as { __meta__?: { hash?: string } }).__meta__?.hash;

async function query<R, V>(document: TypedDocumentNode<R, V>, variables?: V): Promise<R> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ documentId: documentIdOf(document), variables }),
  });
  const body = (await response.json()) as { data?: R; errors?: Array<{ message: string }> };
  if (!body.data) throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return body.data;
}

/** GraphQL multipart request: operations, map, then the file. */
async function upload(file: File, styleId: string, name: string): Promise<ResultOf<typeof CreatePictureModelingJob>> {
  const form = new FormData();
  const variables: VariablesOf<typeof CreatePictureModelingJob> = { input: { file: null as unknown as File, styleId, name, idempotencyKey: crypto.randomUUID() } };
  form.append('operations', JSON.stringify({ documentId: documentIdOf(CreatePictureModelingJob), variables }));
  form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.append('0', file);
  const response = await fetch(endpoint, { method: 'POST', body: form, headers: { 'x-graphql-yoga-csrf': '1' } });
  const body = (await response.json()) as { data?: ResultOf<typeof CreatePictureModelingJob>; errors?: Array<{ message: string }> };
  if (!body.data) throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  return body.data;
}

function follow(jobId: string) {
  const cover = $<HTMLImageElement>('cover');
  socket.subscribe<ResultOf<typeof PictureModelingJobCompleted>>(
    // The text rides along for servers without trusted documents; the id is what the gateway runs.
    { query: print(PictureModelingJobCompleted), variables: { jobId }, extensions: { persistedQuery: { version: 1, sha256Hash: documentIdOf(PictureModelingJobCompleted) } } },
    {
      next: ({ data, errors }) => {
        const job = data?.pictureModelingJobCompleted;
        if (!job) return show(errors?.[0]?.message ?? 'The job could not be followed', 'error');
        if (job.errorInfo) return show(`${job.state}: ${job.errorInfo.errorCode ?? ''} ${job.errorInfo.errorMsg ?? ''}`, 'error');
        show(`${job.state}: job ${job.jobId} has ended`, 'done');
        if (job.modelCoverUrl) {
          cover.src = job.modelCoverUrl;
          cover.hidden = false;
        }
      },
      error: () => show('The live connection was lost', 'error'),
      complete: () => {},
    },
  );
}

async function loadStyles() {
  const select = $<HTMLSelectElement>('style');
  const { pictureModelingStyles: result } = await query(PictureModelingStyles);
  if (result.__typename === 'MssError') return show(`Styles unavailable: ${result.errorMsg}`, 'error');
  select.replaceChildren(...result.styles.map((s) => new Option(`${s.name ?? s.styleId}${s.sex ? ` (${s.sex})` : ''}`, s.styleId)));
}

$<HTMLFormElement>('create').addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = $<HTMLInputElement>('photo').files?.[0];
  if (!file) return;
  $<HTMLImageElement>('cover').hidden = true;
  show('Uploading…');
  try {
    const { createPictureModelingJob: result } = await upload(file, $<HTMLSelectElement>('style').value, $<HTMLInputElement>('name').value);
    if (result.__typename === 'MssError') return show(`Refused: ${result.errorCode}: ${result.errorMsg}`, 'error');
    show(`${result.job?.state ?? 'WAITING'}: job ${result.jobId} is being modelled…`);
    follow(result.jobId);
  } catch (error) {
    show(`Upload failed: ${(error as Error).message}`, 'error');
  }
});

loadStyles().catch((error: unknown) => show(`Styles unavailable: ${(error as Error).message}`, 'error'));
