/**
 * `npm run bench [-- uploads peers subscriptions cluster callbacks startup soak hostile budget reads failover] [--runs=N]`:
 * each figure is a ratio against a baseline measured in the same run, or a measured size; results go to
 * stdout and to bench/results/latest.json. `--runs=N` repeats the interleaved upload latency
 * sweep N times (default 5). The soak (5 minutes, `--seconds=N`), the hostile uploads, the budget
 * (about 90 s; `--runs=N`, default 2), the reads and the failover benches run only when named.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchBudget, reportBudget } from './budget.js';
import { benchCallbacks, reportCallbacks } from './callbacks.js';
import { benchCluster, reportCluster } from './cluster.js';
import { benchHostile, reportHostile } from './hostile.js';
import { benchReads, reportReads } from './reads.js';
import { benchFailover, reportFailover } from './failover.js';
import { benchSoak, reportSoak } from './soak.js';
import { benchStartup, reportStartup } from './startup.js';
import { benchSubscriptions, reportSubscriptions } from './subscriptions.js';
import { benchUploads, reportUploads } from './uploads.js';

interface Part<R> {
  name: string;
  /** Runs when no part is named. */
  byDefault: boolean;
  run(): Promise<R>;
  report(result: R): string[];
}
const part = <R>(name: string, byDefault: boolean, run: () => Promise<R>, report: (result: R) => string[]): Part<unknown> =>
  ({ name, byDefault, run, report }) as Part<unknown>;

const PARTS = [
  part('uploads', true, () => benchUploads({ runs: runsArg() }), reportUploads),
  // Memory beside the peers only: the peak RSS growth part of `uploads`.
  part('peers', false, () => benchUploads({ runs: runsArg(), memoryOnly: true }), reportUploads),
  part('subscriptions', true, benchSubscriptions, reportSubscriptions),
  part('cluster', true, benchCluster, reportCluster),
  part('callbacks', true, () => benchCallbacks(), reportCallbacks),
  part('startup', true, () => benchStartup(), reportStartup),
  part('soak', false, () => benchSoak(), reportSoak),
  part('hostile', false, () => benchHostile(), reportHostile),
  part('budget', false, () => benchBudget({ runs: runsArg() }), reportBudget),
  part('reads', false, () => benchReads(), reportReads),
  part('failover', false, () => benchFailover({ runs: runsArg() }), reportFailover),
];

function runsArg(): number | undefined {
  const arg = process.argv.find((a) => a.startsWith('--runs='));
  return arg ? Number(arg.slice('--runs='.length)) : undefined;
}

const wanted = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
const lines: string[] = [];
for (const { name, byDefault, run, report } of PARTS) {
  if (wanted.size === 0 ? !byDefault : !wanted.has(name)) continue;
  const result = await run();
  results[name] = result;
  const reported = report(result);
  lines.push(...reported);
  console.log(reported.join('\n'));
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({ ...results, summary: lines }, null, 2));
process.exit(0);
