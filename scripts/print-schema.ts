/** `npm run schema`: writes schema.graphql (printed, lexicographically sorted). */
import { writeFileSync } from 'node:fs';
import { printSortedSchema } from '../src/schema/index.js';

const sdl = printSortedSchema();
if (process.argv.includes('--stdout')) process.stdout.write(sdl);
else writeFileSync(new URL('../schema.graphql', import.meta.url), sdl);
