import { describe, expect, it } from 'vitest';
import { mergeUpstream, recordFromUpstream } from '../src/jobs/model/job-record.js';
import type { PictureModelingInfo } from '../src/metastudio/types.js';

const base = recordFromUpstream({ job_id: 'j', state: 'WAITING' }, {}, 1000);
const reading = (state: string, extra: Partial<PictureModelingInfo> = {}) => ({ job_id: 'j', state, ...extra }) as PictureModelingInfo;

describe('job state only moves forward', () => {
  it('WAITING -> PROCESSING -> SUCCEED, reporting the terminal step once', () => {
    const processing = mergeUpstream(base, reading('PROCESSING'), 2000);
    expect(processing).toMatchObject({ changed: true, becameTerminal: false, record: { state: 'PROCESSING', updatedAt: 2000 } });
    const done = mergeUpstream(processing.record, reading('SUCCEED', { end_time: '2026-01-01T00:00:00Z', model_cover_url: 'c' }));
    expect(done).toMatchObject({ changed: true, becameTerminal: true, record: { state: 'SUCCEED', endTime: '2026-01-01T00:00:00Z', modelCoverUrl: 'c' } });
    const again = mergeUpstream(done.record, reading('SUCCEED'));
    expect(again).toMatchObject({ changed: false, becameTerminal: false });
    expect(again.record).toBe(done.record);
  });

  it('ignores readings that go backwards, and never leaves a terminal state', () => {
    const processing = mergeUpstream(base, reading('PROCESSING')).record;
    expect(mergeUpstream(processing, reading('WAITING')).record.state).toBe('PROCESSING');
    const failed = mergeUpstream(processing, reading('FAILED', { error_info: { error_code: 'E', error_msg: 'm' } })).record;
    expect(failed).toMatchObject({ state: 'FAILED', errorCode: 'E', errorMsg: 'm' });
    for (const later of ['SUCCEED', 'PROCESSING', 'CANCELED']) expect(mergeUpstream(failed, reading(later)).record.state).toBe('FAILED');
  });

  it('reads states case-insensitively and ignores unknown ones', () => {
    expect(mergeUpstream(base, reading('succeed')).record.state).toBe('SUCCEED');
    expect(mergeUpstream(base, reading('EXPLODED'))).toMatchObject({ changed: false, record: base });
    expect(recordFromUpstream(reading(' processing ')).state).toBe('PROCESSING');
  });
});
