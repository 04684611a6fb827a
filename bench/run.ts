/**
 * `npm run bench [-- uploads subscriptions cluster callbacks startup soak]`: each figure is a ratio
 * against a baseline measured in the same run, or a measured size; results go to stdout
 * and to bench/results/latest.json. The soak (5 minutes, `--seconds=N`) runs only when named.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchUploads, reportUploads } from './uploads.js';
import { benchSubscriptions, reportSubscriptions } from './subscriptions.js';
import { benchCluster, reportCluster } from './cluster.js';
import { benchSoak, reportSoak } from './soak.js';
import { benchCallbacks, reportCallbacks } from './callbacks.js';
import { benchStartup, reportStartup } from './startup.js';

const wanted = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
const all = wanted.size === 0;
const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version };
const lines: string[] = [];

if (all || wanted.has('uploads')) {
  const r = await benchUploads();
  results['uploads'] = r;
  lines.push(...reportUploads(r));
  console.log(reportUploads(r).join('\n'));
}
if (all || wanted.has('subscriptions')) {
  const r = await benchSubscriptions();
  results['subscriptions'] = r;
  lines.push(...reportSubscriptions(r));
  console.log(reportSubscriptions(r).join('\n'));
}
if (all || wanted.has('cluster')) {
  const r = await benchCluster();
  results['cluster'] = r;
  lines.push(...reportCluster(r));
  console.log(reportCluster(r).join('\n'));
}

if (all || wanted.has('callbacks')) {
  const r = await benchCallbacks();
  results['callbacks'] = r;
  lines.push(...reportCallbacks(r));
  console.log(reportCallbacks(r).join('\n'));
}
if (all || wanted.has('startup')) {
  const r = await benchStartup();
  results['startup'] = r;
  lines.push(...reportStartup(r));
  console.log(reportStartup(r).join('\n'));
}
if (wanted.has('soak')) {
  const r = await benchSoak();
  results['soak'] = r;
  lines.push(...reportSoak(r));
  console.log(reportSoak(r).join('\n'));
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), JSON.stringify({ ...results, summary: lines }, null, 2));
process.exit(0);
