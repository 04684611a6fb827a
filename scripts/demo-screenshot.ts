/**
 * Redraws docs/demo.png: the demo page after a job went WAITING -> PROCESSING -> SUCCEED,
 * against an in-process gateway and emulator, in Debian's Chromium.
 * Run: npx tsx scripts/demo-screenshot.ts
 */
import { launchChromium } from '../test/support/browser.js';
import { startHarness } from '../test/support/harness.js';
import { makePng } from '../test/support/images.js';

const h = await startHarness({ emulator: { jobDurationMs: 3_600_000 } });
const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: { width: 760, height: 860 }, deviceScaleFactor: 1 })).newPage();
  await page.goto(`${h.url}/`);
  await page.waitForFunction(() => (document.querySelector('#style') as HTMLSelectElement).options.length === 4);
  await page.setInputFiles('#photo', { name: 'face.png', mimeType: 'image/png', buffer: makePng(640, 480) });
  await page.selectOption('#style', 'system_female_001');
  await page.fill('#name', 'my-first-model');
  await page.click('#submit');
  await page.waitForFunction(() => document.querySelector('#states')!.textContent === 'WAITING');
  const job = h.emulator.world.list({}).find((j) => j.name === 'my-first-model')!;
  for (const state of ['PROCESSING', 'SUCCEED'] as const) {
    h.emulator.world.force(job.job_id, state);
    await h.gateway.services.jobs.refresh(job.job_id);
  }
  await page.waitForFunction(() => (document.querySelector('#cover') as HTMLImageElement).naturalWidth > 0);
  await page.screenshot({ path: 'docs/demo.png', fullPage: true });
} finally {
  await browser.close();
  await h.close();
}
