/**
 * The demo page at `/` (served when GraphiQL is on): demo/index.html and demo/main.ts,
 * bundled once with esbuild on first request and kept in memory. Nothing comes from a CDN.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

const DEMO_DIR = fileURLToPath(new URL('../../demo/', import.meta.url));

interface DemoAssets {
  html: string;
  js: string;
}

let assets: Promise<DemoAssets> | undefined;

async function build(): Promise<DemoAssets> {
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
      assets ??= build();
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
