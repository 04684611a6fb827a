// `npm run build`: compiles src/ to dist/ (tsc), then bundles the demo page into dist/demo/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import process from 'node:process';

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
const { bundleDemo } = await import('../dist/http/use-demo-page.js');
const { html, js } = await bundleDemo();
mkdirSync('dist/demo', { recursive: true });
writeFileSync('dist/demo/index.html', html);
writeFileSync('dist/demo/demo.js', js);
