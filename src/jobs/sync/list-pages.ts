/**
 * Reading many jobs with ListPictureModelingJobs pages (100 jobs a call) instead of one
 * ShowPictureModelingJob each. There is no job_id filter upstream, so the jobs wanted are
 * picked out of pages narrowed by state and sorted so they come first. The list API's
 * details are partly [inferred] (docs/upstream.md): every page is checked, not trusted.
 */
import type { ListJobsInput, MetaStudioClient } from '../../metastudio/client.js';
import { isJobState, TERMINAL_STATES, type JobState, type PictureModelingInfo } from '../../metastudio/types.js';

/** The documented maximum of `limit`. */
export const PAGE_SIZE = 100;
export const ACTIVE_STATES: readonly JobState[] = ['WAITING', 'PROCESSING'];
export const ENDED_STATES: readonly JobState[] = [...TERMINAL_STATES];

export type PageQuery = Pick<ListJobsInput, 'states' | 'sortKey' | 'sortDir' | 'createSince'>;

export interface PageWalk {
  /** Called before each page is asked for: the poller waits here while callbacks' reads are due. */
  beforePage?: () => Promise<void>;
  /** Asked after each page: false stops the walk. */
  more: (pagesRead: number) => boolean;
}

/**
 * Yields the well-formed jobs of each page, in order, until a page is short, `more` says
 * stop, or a page brings no job not seen before (an upstream that ignores `offset` would
 * otherwise be paged forever).
 */
export async function* listPages(client: Pick<MetaStudioClient, 'listPictureModelingJobs'>, query: PageQuery, walk: PageWalk): AsyncGenerator<PictureModelingInfo[]> {
  const seen = new Set<string>();
  for (let page = 0; ; page++) {
    await walk.beforePage?.();
    const { data } = await client.listPictureModelingJobs({ ...query, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
    const raw: unknown[] = Array.isArray(data?.picture_modeling_jobs) ? data.picture_modeling_jobs : [];
    const jobs = raw.filter(isListedJob);
    const fresh = jobs.filter((job) => !seen.has(job.job_id));
    for (const job of fresh) seen.add(job.job_id);
    yield fresh;
    if (raw.length < PAGE_SIZE || fresh.length === 0 || !walk.more(page + 1)) return;
  }
}

function isListedJob(value: unknown): value is PictureModelingInfo {
  const job = value as Partial<PictureModelingInfo> | null;
  return typeof job === 'object' && job !== null && typeof job.job_id === 'string' && job.job_id !== '' && isJobState(job.state);
}

/**
 * The earliest `end_time` on a page, in ms; undefined when a job on it has none or it cannot
 * be parsed (then no cut-off is drawn from this page).
 */
export function earliestEnd(jobs: readonly PictureModelingInfo[]): number | undefined {
  let earliest = Infinity;
  for (const job of jobs) {
    const at = job.end_time ? Date.parse(job.end_time) : NaN;
    if (Number.isNaN(at)) return undefined;
    earliest = Math.min(earliest, at);
  }
  return Number.isFinite(earliest) ? earliest : undefined;
}

/** Upstream's clock and ours differ: a cut-off on end_time is drawn this much earlier. */
export const CLOCK_SLACK_MS = 5 * 60_000;

/**
 * Finds ended jobs among `wanted` in the pages of ended jobs, most recently updated first.
 * `visitPage` gets every ended job of each page, wanted or not (the caller folds in those it
 * holds as unfinished: a page read for some jobs completes every other one of ours on it,
 * before its callback even arrives). Paging stops once all wanted are found (or one is
 * left: a Show costs the same), once a page ends before `endedSince` (when given), or after
 * `maxPages` (up to twice that while pages still find wanted jobs). Returns the wanted ids
 * not found: the caller reads those with a Show.
 */
export async function findEnded(
  client: Pick<MetaStudioClient, 'listPictureModelingJobs'>,
  wanted: ReadonlySet<string>,
  options: { endedSince?: number | undefined; maxPages: number; beforePage?: () => Promise<void> },
  visitPage: (ended: PictureModelingInfo[]) => Promise<unknown>,
): Promise<Set<string>> {
  const missing = new Set(wanted);
  let passedCutoff = false;
  let foundOnLastPage = false;
  const walk: PageWalk = {
    // Jobs ending while the pages are read push the rest down (later pages repeat some):
    // past maxPages, paging goes on while a page still finds wanted jobs, up to twice as far.
    more: (pages) => missing.size > 1 && !passedCutoff && (pages < options.maxPages || (foundOnLastPage && pages < options.maxPages * 2)),
    ...(options.beforePage ? { beforePage: options.beforePage } : {}),
  };
  for await (const jobs of listPages(client, { states: ENDED_STATES, sortKey: 'update_time', sortDir: 'desc' }, walk)) {
    // A page filtered by state is checked anyway: the filter's spelling is [inferred].
    const ended = jobs.filter((job) => TERMINAL_STATES.has(job.state));
    foundOnLastPage = false;
    for (const job of ended) if (missing.delete(job.job_id)) foundOnLastPage = true;
    await visitPage(ended);
    const end = earliestEnd(jobs);
    if (options.endedSince !== undefined && end !== undefined && end < options.endedSince - CLOCK_SLACK_MS) passedCutoff = true;
  }
  return missing;
}

/**
 * Finds jobs still running among `wanted` in the pages of WAITING and PROCESSING jobs,
 * newest first; `visit` is called for each one found. Paging stops once all are found or
 * after `maxPages`. Returns the ids not found (ended since, or not listed).
 */
export async function findActive(
  client: Pick<MetaStudioClient, 'listPictureModelingJobs'>,
  wanted: ReadonlySet<string>,
  options: { maxPages: number; beforePage?: () => Promise<void> },
  visit: (info: PictureModelingInfo) => Promise<unknown>,
): Promise<Set<string>> {
  const missing = new Set(wanted);
  const walk: PageWalk = {
    more: (pages) => missing.size > 0 && pages < options.maxPages,
    ...(options.beforePage ? { beforePage: options.beforePage } : {}),
  };
  for await (const jobs of listPages(client, { states: ACTIVE_STATES, sortKey: 'create_time', sortDir: 'desc' }, walk)) {
    for (const job of jobs) {
      if (!missing.has(job.job_id) || TERMINAL_STATES.has(job.state)) continue;
      missing.delete(job.job_id);
      await visit(job);
    }
  }
  return missing;
}
