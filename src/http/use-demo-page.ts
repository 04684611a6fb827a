/**
 * The demo page at `/` (served when GraphiQL is on): demo/index.html and demo/main.ts
 * bundled with esbuild. `npm run build` writes the bundle to dist/demo/; running from the
 * sources, it is bundled on first request. Kept in memory; nothing comes from a CDN.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

const DEMO_DIR = fileURLToPath(new URL('../../demo/', import.meta.url));
/** Where `npm run build` puts the bundle (dist/demo/, beside dist/http/). */
const BUILT_DIR = fileURLToPath(new URL('../demo/', import.meta.url));

export interface DemoAssets {
  html: string;
  js: string;
}

let assets: Promise<DemoAssets> | undefined;

async function load(): Promise<DemoAssets> {
  if (existsSync(`${BUILT_DIR}demo.js`)) {
    const [html, js] = await Promise.all([readFile(`${BUILT_DIR}index.html`, 'utf8'), readFile(`${BUILT_DIR}demo.js`, 'utf8')]);
    return { html, js };
  }
  return bundleDemo();
}

/** Bundles demo/main.ts for the browser (esbuild), with demo/index.html. */
export async function bundleDemo(): Promise<DemoAssets> {
  const { build: bundle } = await import('esbuild');
  const [html, result] = await Promise.all([
    readFile(`${DEMO_DIR}index.html`, 'utf8'),
    bundle({
      entryPoints: [`${DEMO_DIR}main.ts`],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      define: { 'process.env.NODE_ENV': '"production"', globalThis: 'globalThis' },
    }),
  ]);
  return { html, js: result.outputFiles[0]!.text };
}

export function useDemoPage(): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (request.method !== 'GET' || (url.pathname !== '/' && url.pathname !== '/demo.js')) return;
      assets ??= load();
      const pending = assets.catch((error: unknown) => {
        assets = undefined;
        throw error;
      });
      return pending.then(({ html, js }) =>
        endResponse(
          url.pathname === '/'
            ? new fetchAPI.Response(html, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } })
            : new fetchAPI.Response(js, { headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' } }),
        ),
      );
    },
  };
}
