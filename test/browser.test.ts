/**
 * What browsers do, in Debian's Chromium driven by playwright-core: the demo page end to
 * end, refused uploads readable every time, CORS for allowed and other origins, GraphiQL
 * with every non-gateway request blocked, and a forged WebSocket Origin.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.js';
import { startHarness, waitFor, type Harness } from './support/harness.js';
import { makeJpeg, makePng } from './support/images.js';
import { CREATE_MUTATION } from './support/multipart.js';

let browser: Browser;
let h: Harness;
let allowed: { server: Server; origin: string };
let foreign: { server: Server; origin: string };

/** A plain page on another origin, for cross-origin calls. */
async function originServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>other origin</title><p>other origin</p>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  browser = await launchChromium();
  allowed = await originServer();
  foreign = await originServer();
  h = await startHarness({ emulator: { jobDurationMs: 3_600_000 }, env: { CORS_ORIGINS: allowed.origin } });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await h?.close();
  for (const o of [allowed, foreign]) await new Promise<void>((r) => (o ? o.server.close(() => r()) : r()));
});

async function withPage<T>(work: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext();
  try {
    return await work(await context.newPage());
  } finally {
    await context.close();
  }
}

describe('the demo page', () => {
  /** Opens the demo page, with a recorder of every status text and of the button's disabled state. */
  async function openDemo(page: Page) {
    await page.goto(`${h.url}/`);
    await page.waitForFunction(() => (document.querySelector('#style') as HTMLSelectElement).options.length === 4);
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const status = document.querySelector('#status')!;
      const button = document.querySelector('#submit') as HTMLButtonElement;
      new MutationObserver(() => seen.push(`status:${status.textContent}`)).observe(status, { childList: true, characterData: true, subtree: true });
      new MutationObserver(() => seen.push(`button:${button.disabled ? 'disabled' : 'enabled'}`)).observe(button, { attributes: true, attributeFilter: ['disabled'] });
    });
  }
  async function submit(page: Page, photo: Buffer, mime: string, name: string) {
    await page.setInputFiles('#photo', { name: mime === 'image/png' ? 'face.png' : 'face.jpg', mimeType: mime, buffer: photo });
    await page.selectOption('#style', 'system_female_001');
    await page.fill('#name', name);
    await page.click('#submit');
  }
  const seen = (page: Page) => page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  const text = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s)!.textContent ?? '', selector);
  async function move(jobId: string, state: 'PROCESSING' | 'SUCCEED' | 'FAILED') {
    h.emulator.world.force(jobId, state);
    await h.gateway.services.jobs.refresh(jobId);
  }

  it('has a favicon of its own (no request for /favicon.ico)', async () => {
    await withPage(async (page) => {
      await page.goto(`${h.url}/`);
      expect(await page.getAttribute('link[rel=icon]', 'href')).toMatch(/^data:image\/svg\+xml,/);
    });
  });

  it('shows the bytes sent, disables the button while creating, then each state, the asset id and the cover', async () => {
    await withPage(async (page) => {
      await openDemo(page);
      const name = `demo-${Date.now()}`;
      await submit(page, makePng(1200, 900, 3_000_000), 'image/png', name);
      await page.waitForFunction(() => document.querySelector('#states')!.textContent === 'WAITING');
      const log = await seen(page);
      expect(log.some((l) => /^status:Uploading… [\d.]+ kB of 29\d\d\.\d kB sent$/.test(l))).toBe(true);
      expect(log.indexOf('button:disabled')).toBeGreaterThanOrEqual(0);
      expect(log.indexOf('button:enabled')).toBeGreaterThan(log.indexOf('button:disabled'));
      const job = h.emulator.world.list({}).find((j) => j.name === name)!;
      await move(job.job_id, 'PROCESSING');
      await page.waitForFunction(() => [...document.querySelectorAll('#states li')].map((li) => li.textContent).join() === 'WAITING,PROCESSING');
      expect(await text(page, '#status')).toBe(`MetaStudio is modelling job ${job.job_id}…`);
      await move(job.job_id, 'SUCCEED');
      await page.waitForFunction(() => (document.querySelector('#cover') as HTMLImageElement).naturalWidth === 256);
      expect(await page.getAttribute('#cover', 'src')).toBe(`${h.emulator.url}/covers/${job.model_asset_id}.png`);
      expect(await text(page, '#asset')).toBe(`Model asset id: ${job.model_asset_id}`);
      expect(await text(page, '#status')).toBe(`SUCCEED: job ${job.job_id} has ended`);
      expect(await page.getAttribute('#status', 'data-kind')).toBe('done');
      expect(await text(page, '#states')).toBe('WAITINGPROCESSINGSUCCEED');
    });
  });

  it('a refused photo reads as a sentence with its code, and the button comes back', async () => {
    await withPage(async (page) => {
      await openDemo(page);
      await submit(page, makeJpeg(4032, 3024, { totalBytes: 200_000 }), 'image/jpeg', `refused-${Date.now()}`);
      await page.waitForFunction(() => document.querySelector('#status')!.getAttribute('data-kind') === 'error');
      expect(await text(page, '#status')).toMatch(/^The photo was refused: .+ \(MSS\.00000003\)$/);
      expect(await page.isEnabled('#submit')).toBe(true);
    });
  });

  it('a job that fails shows why', async () => {
    await withPage(async (page) => {
      await openDemo(page);
      const name = `failing-${Date.now()}`;
      await submit(page, makePng(320, 240), 'image/png', name);
      await page.waitForFunction(() => document.querySelector('#states')!.textContent === 'WAITING');
      await move(h.emulator.world.list({}).find((j) => j.name === name)!.job_id, 'FAILED');
      await page.waitForFunction(() => document.querySelector('#status')!.getAttribute('data-kind') === 'error');
      expect(await text(page, '#status')).toBe('The job ended FAILED: Asset create job failed (MSS.10001006)');
    });
  });
});

describe('refused uploads are readable in the browser, every time', () => {
  /** Runs `tries` multipart uploads of `bytes` from the page; returns what each one read. */
  async function tryUploads(page: Page, bytes: Buffer, mime: string, csrf: boolean, tries: number) {
    return page.evaluate(
      async ({ b64, mime, csrf, tries, query }) => {
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const results: Array<{ status?: number; code?: string | null; error?: string }> = [];
        for (let i = 0; i < tries; i++) {
          const form = new FormData();
          form.append('operations', JSON.stringify({ query, variables: { input: { file: null, styleId: 'system_male_001', name: `browser-${i}` } } }));
          form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
          form.append('0', new Blob([bytes], { type: mime }), mime === 'image/png' ? 'photo.png' : 'photo.jpg');
          try {
            const res = await fetch('/graphql', { method: 'POST', body: form, headers: csrf ? { 'x-graphql-yoga-csrf': '1' } : {} });
            const body = await res.json();
            results.push({ status: res.status, code: body.data?.createPictureModelingJob?.errorCode ?? body.errors?.[0]?.extensions?.code ?? null });
          } catch (error) {
            results.push({ error: String(error) });
          }
        }
        return results;
      },
      { b64: bytes.toString('base64'), mime, csrf, tries, query: CREATE_MUTATION },
    );
  }

  const cases: Array<[string, () => Buffer, string, boolean, { status: number; code: string }]> = [
    ['a phone-sized 4032x3024 JPEG (6.1 MB)', () => makeJpeg(4032, 3024, { totalBytes: 6_100_000 }), 'image/jpeg', true, { status: 200, code: 'MSS.00000003' }],
    ['a PNG over MAX_UPLOAD_BYTES (10.5 MiB)', () => makePng(1200, 900, 11_000_000), 'image/png', true, { status: 200, code: 'MSS.00000003' }],
    ['a 6 MB upload without the CSRF header', () => makeJpeg(2000, 1000, { totalBytes: 6_000_000 }), 'image/jpeg', false, { status: 403, code: 'CSRF_PREVENTION' }],
  ];
  for (const [name, bytes, mime, csrf, expected] of cases) {
    it(`${name}: 20 of 20 read the answer`, async () => {
      const creates = h.emulator.countReceived('CreatePictureModelingJob');
      await withPage(async (page) => {
        await page.goto(`${h.url}/`);
        const results = await tryUploads(page, bytes(), mime, csrf, 20);
        expect(results.filter((r) => r.status === expected.status && r.code === expected.code)).toHaveLength(20);
      });
      expect(h.emulator.countReceived('CreatePictureModelingJob')).toBe(creates);
    }, 120_000);
  }
});

describe('CORS and the WebSocket Origin check, as a browser enforces them', () => {
  const crossOriginQuery = (page: Page, gateway: string) =>
    page.evaluate(async (url) => {
      try {
        const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
        return { data: (await res.json()).data };
      } catch (error) {
        return { error: String(error) };
      }
    }, gateway);

  it('a page on a CORS_ORIGINS origin reads answers; a page on another origin reads nothing', async () => {
    await withPage(async (page) => {
      await page.goto(`${allowed.origin}/`);
      expect(await crossOriginQuery(page, h.url)).toEqual({ data: { __typename: 'Query' } });
    });
    await withPage(async (page) => {
      await page.goto(`${foreign.origin}/`);
      expect((await crossOriginQuery(page, h.url)).error).toMatch(/TypeError/);
    });
  });

  it('a WebSocket from a foreign page is refused at the upgrade; from the gateway\'s own page it opens', async () => {
    const openFrom = (page: Page) =>
      page.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const socket = new WebSocket(url, 'graphql-transport-ws');
            socket.onopen = () => {
              socket.close();
              resolve('open');
            };
            socket.onerror = () => resolve('refused');
          }),
        h.wsUrl,
      );
    await withPage(async (page) => {
      await page.goto(`${foreign.origin}/`);
      expect(await openFrom(page)).toBe('refused');
    });
    await withPage(async (page) => {
      await page.goto(`${h.url}/`);
      expect(await openFrom(page)).toBe('open');
    });
  });
});

describe('GraphiQL offline', () => {
  it('renders and runs a query with every non-gateway request blocked', async () => {
    await withPage(async (page) => {
      const blocked: string[] = [];
      await page.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(h.url) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        blocked.push(url);
        return route.abort();
      });
      await page.goto(`${h.url}/graphql?query=${encodeURIComponent('{ pictureModelingStyles { __typename ... on StyleList { styles { styleId } } } }')}`);
      await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });
      await page.click('.graphiql-execute-button');
      await waitFor(async () => (await page.textContent('.graphiql-response'))?.includes('system_female_002'), 30_000, 100);
      expect(blocked).toEqual([]);
    });
  }, 60_000);

  it('opens on a working example: its Styles operation runs as it is', async () => {
    await withPage(async (page) => {
      const html = await (await fetch(`${h.url}/graphql`, { headers: { accept: 'text/html' } })).text();
      expect(html).toContain('subscription JobUpdates');
      await page.goto(`${h.url}/graphql`);
      await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });
      await waitFor(async () => (await page.textContent('.graphiql-query-editor'))?.includes('picture-modeling'), 30_000, 100);
      await page.click('.graphiql-execute-button');
      // Several operations: GraphiQL asks which one.
      await page.getByRole('menuitem', { name: 'Styles' }).click();
      await waitFor(async () => (await page.textContent('.graphiql-response'))?.includes('system_female_002'), 30_000, 100);
      expect(await page.textContent('.graphiql-response')).not.toContain('"errors"');
    });
  }, 60_000);
});
