/**
 * What every peer does with a photo: one signed multipart create straight to the upstream,
 * with the same signer, framing and undici as the gateway (so the peers differ only in
 * how they handle the GraphQL request around it).
 */
import { Pool } from 'undici';
import { encodeMultipart } from '../../src/metastudio/multipart-body.js';
import { prepareRequest } from '../../src/metastudio/requests.js';

export interface Upstream {
  create(name: string, file: AsyncIterable<Uint8Array>): Promise<{ jobId: string; modelAssetId: string; requestId: string | undefined }>;
}

export function upstreamFromEnv(env: NodeJS.ProcessEnv = process.env): Upstream {
  const endpoint = new URL(env['EMULATOR_URL']!);
  const pool = new Pool(endpoint.origin, { connections: 128 });
  const signing = { endpoint, projectId: env['METASTUDIO_PROJECT_ID']!, credentials: { ak: env['CLOUD_SDK_AK']!, sk: env['CLOUD_SDK_SK']! } };
  return {
    async create(name, file) {
      const multipart = encodeMultipart([['style_id', 'system_male_001'], ['name', name]], 'file', { name: 'photo.jpg', type: 'image/jpeg', stream: file });
      const prepared = prepareRequest(signing, { method: 'POST', path: '/digital-human/stylized/picture-modelings', body: { kind: 'multipart', contentType: multipart.contentType } });
      const res = await pool.request({ method: 'POST', path: prepared.path, headers: prepared.headers, body: multipart.body as never });
      const body = (await res.body.json()) as { job_id: string; model_asset_id: string };
      if (res.statusCode !== 200) throw new Error(`upstream answered ${res.statusCode}`);
      return { jobId: body.job_id, modelAssetId: body.model_asset_id, requestId: res.headers['x-request-id'] as string | undefined };
    },
  };
}
