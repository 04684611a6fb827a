/**
 * The upstream operations the emulator serves, as handlers that return the answer's body
 * (and what to record of the call) or throw a Reply; they know nothing of faults, signing
 * or the server.
 */
import type { IncomingMessage } from 'node:http';
import { isJobState, type JobState } from '../metastudio/types.js';
import { headerOf, intParam, invalid, optionalString, parseJson, Reply, safeDecode, stringField, timeParam } from './http.js';
import type { JobWorld } from './job-world.js';
import { SYSTEM_STYLES } from './job-world.js';
import { readPictureForm } from './picture-form.js';

export interface Route {
  operation: string;
  method: string;
  pattern: RegExp;
}

export const ROUTES: Route[] = [
  { operation: 'CreatePictureModelingJob', method: 'POST', pattern: /^\/v1\/([^/]+)\/digital-human\/stylized\/picture-modelings\/?$/ },
  { operation: 'CreatePictureModelingByUrlJob', method: 'POST', pattern: /^\/v1\/([^/]+)\/digital-human\/stylized\/picture-modelings-by-url\/?$/ },
  { operation: 'ListPictureModelingJobs', method: 'GET', pattern: /^\/v1\/([^/]+)\/digital-human\/stylized\/picture-modelings\/?$/ },
  { operation: 'ShowPictureModelingJob', method: 'GET', pattern: /^\/v1\/([^/]+)\/digital-human\/stylized\/picture-modelings\/([^/]+)\/?$/ },
  { operation: 'ListAssetSummary', method: 'POST', pattern: /^\/v1\/([^/]+)\/digital-assets\/summarys\/?$/ },
  { operation: 'ShowAsset', method: 'GET', pattern: /^\/v1\/([^/]+)\/digital-assets\/([^/]+)\/?$/ },
  { operation: 'ListStyles', method: 'GET', pattern: /^\/v1\/([^/]+)\/styles\/?$/ },
];

/** Model names: at most 64 UTF-16 code units, as MetaStudio counts them (docs/upstream.md). */
const MAX_NAME_LENGTH = 64;

export interface OperationResult {
  body: unknown;
  record?: unknown;
}

export function createOperations(world: JobWorld, config: { projectId: string; maxPhotoBytes: number }) {
  function createJob(form: { styleId: string; name: string; notifyUrl?: string | undefined }, appUserId: string | undefined) {
    if (!SYSTEM_STYLES.some((s) => s.style_id === form.styleId)) throw invalid(`Invalid parameter: unknown style_id ${form.styleId}`);
    if (form.name.length > MAX_NAME_LENGTH) throw invalid(`Invalid parameter: name must be at most ${MAX_NAME_LENGTH} characters`);
    if (world.hasName(form.name)) throw invalid('Asset name already exists', 'MSS.10001005');
    return world.create({ name: form.name, styleId: form.styleId, notifyUrl: form.notifyUrl, appUserId });
  }

  function listJobs(params: URLSearchParams) {
    const offset = intParam(params, 'offset', 0, 0, 2147483647);
    const limit = intParam(params, 'limit', 10, 1, 100);
    const stateParam = params.get('state');
    const states = stateParam ? stateParam.split(',').map((s) => s.trim()) : undefined;
    if (states && !states.every(isJobState)) throw invalid('Invalid parameter: state');
    const sortKey = params.get('sort_key') ?? 'create_time';
    // asset_order appears in the generic parameter text; jobs have no such order, so it is create_time.
    if (sortKey !== 'create_time' && sortKey !== 'update_time' && sortKey !== 'asset_order') throw invalid('Invalid parameter: sort_key');
    const sortDir = params.get('sort_dir') ?? 'asc';
    if (sortDir !== 'asc' && sortDir !== 'desc') throw invalid('Invalid parameter: sort_dir');
    const since = timeParam(params, 'create_since');
    const until = timeParam(params, 'create_until');
    const all = world.list({ states: states as JobState[] | undefined, since, until, sortKey: sortKey === 'update_time' ? 'update_time' : 'create_time', desc: sortDir === 'desc' });
    return { count: all.length, picture_modeling_jobs: all.slice(offset, offset + limit) };
  }

  return async function run(route: Route, match: RegExpExecArray, req: IncomingMessage, url: URL, raw: Buffer | undefined): Promise<OperationResult> {
    const appUserId = headerOf(req, 'x-app-userid');
    switch (route.operation) {
      case 'CreatePictureModelingJob': {
        const form = await readPictureForm(req, raw, config.maxPhotoBytes);
        const job = createJob(form, appUserId);
        if (world.completeBeforeReply) {
          world.complete(job.jobId);
          await world.settle();
        }
        return { body: { job_id: job.jobId, model_asset_id: job.assetId }, record: form };
      }
      case 'CreatePictureModelingByUrlJob': {
        const body = parseJson(raw!);
        const pictureUrl = stringField(body, 'picture_url');
        if (!/^https?:\/\//.test(pictureUrl)) throw invalid('Invalid parameter: picture_url must be an http(s) URL');
        const job = createJob({ styleId: stringField(body, 'style_id'), name: stringField(body, 'name'), notifyUrl: optionalString(body, 'notify_url') }, appUserId);
        return { body: { job_id: job.jobId, model_asset_id: job.assetId }, record: { name: job.name, notifyUrl: job.notifyUrl, pictureUrl } };
      }
      case 'ShowPictureModelingJob': {
        const info = world.info(safeDecode(match[2]!));
        if (!info) throw new Reply({ status: 404, body: { error_code: 'MSS.00000003', error_msg: 'Invalid parameter: job not found' } });
        return { body: info };
      }
      case 'ListPictureModelingJobs':
        return { body: listJobs(url.searchParams) };
      case 'ListAssetSummary': {
        const body = parseJson(raw!);
        const ids = (body as { asset_ids?: unknown }).asset_ids;
        if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
          throw invalid('Invalid parameter: asset_ids must be a non-empty array of strings');
        }
        return { body: { asset_list: ids.map((id) => world.assetSummary(id)).filter((a) => a !== undefined) }, record: { ids } };
      }
      case 'ShowAsset': {
        const asset = world.asset(safeDecode(match[2]!), config.projectId);
        if (!asset) throw invalid('Asset not found', 'MSS.10001001');
        return { body: asset };
      }
      case 'ListStyles':
        return { body: { count: SYSTEM_STYLES.length, styles: SYSTEM_STYLES.map((s) => ({ ...s, project_id: config.projectId })) } };
      default:
        throw invalid('Unknown operation');
    }
  };
}
