/**
 * GraphQL multipart request spec clients: FormData through fetch (what browsers and
 * apollo-upload-client send), and raw bytes over a socket for malformed and aborted cases.
 */
import { connect } from 'node:net';
import { waitFor } from './harness.js';
import { makePng } from './images.js';

export const CREATE_MUTATION = `mutation Create($input: CreatePictureModelingJobInput!) {
  createPictureModelingJob(input: $input) {
    __typename
    ... on PictureModelingJobCreated { jobId modelAssetId requestId job { jobId state name styleId } }
    ... on MssError { errorCode errorMsg httpStatus requestId origin }
  }
}`;

export interface UploadOptions {
  file: Buffer | Blob;
  filename?: string;
  type?: string;
  input?: Record<string, unknown>;
  headers?: Record<string, string>;
  query?: string;
}

export async function uploadPhoto(baseUrl: string, options: UploadOptions): Promise<{ status: number; body: any; headers: Headers }> {
  const form = new FormData();
  const input = { styleId: 'system_female_001', name: `model-${Math.random().toString(36).slice(2)}`, ...options.input, file: null };
  form.append('operations', JSON.stringify({ query: options.query ?? CREATE_MUTATION, variables: { input } }));
  form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
  const blob = options.file instanceof Blob ? options.file : new Blob([new Uint8Array(options.file)], { type: options.type ?? 'image/png' });
  form.append('0', blob, options.filename ?? 'photo.png');
  const res = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    body: form,
    headers: { 'x-graphql-yoga-csrf': '1', ...options.headers },
  });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

/** Creates a job on the gateway at `gateway.url` with a small PNG: the createPictureModelingJob result. */
export async function createOn(gateway: { url: string }, headers: Record<string, string>, input: Record<string, unknown> = {}) {
  return (await uploadPhoto(gateway.url, { file: makePng(16, 16), headers, input })).body.data.createPictureModelingJob;
}

export interface RawPart {
  name: string;
  value: string | Buffer;
  filename?: string;
  type?: string;
}

export function encodeParts(parts: RawPart[], boundary = 'test-boundary-7d9f'): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}`;
    chunks.push(Buffer.from(`${head}\r\n\r\n`), Buffer.isBuffer(part.value) ? part.value : Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export async function postRaw(baseUrl: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}/graphql`, { method: 'POST', body: new Uint8Array(body), headers });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** Sends the head of a multipart upload and `sendBytes` of the file, then, once `until` holds, drops the connection. */
export async function uploadThenDisconnect(baseUrl: string, file: Buffer, sendBytes: number, name: string, until: () => boolean | Promise<boolean>): Promise<void> {
  const url = new URL(baseUrl);
  const { body, contentType } = encodeParts([
    {
      name: 'operations',
      value: JSON.stringify({ query: CREATE_MUTATION, variables: { input: { file: null, styleId: 'system_male_001', name } } }),
    },
    { name: 'map', value: JSON.stringify({ 0: ['variables.input.file'] }) },
    { name: '0', value: file, filename: 'big.jpg', type: 'image/jpeg' },
  ]);
  const fileStart = body.indexOf(file.subarray(0, 16));
  const head =
    `POST /graphql HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\n` +
    `Content-Length: ${body.length}\r\nx-graphql-yoga-csrf: 1\r\n\r\n`;
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(head);
      socket.write(body.subarray(0, fileStart + sendBytes), () => {
        waitFor(until).then(() => {
          socket.destroy();
          resolve();
        }, reject);
      });
    });
    socket.on('error', reject);
  });
}
