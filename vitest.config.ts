import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node (and so Pothos, Yoga and the app under tsx) loads graphql's CommonJS entry; Vite
    // would pick its .mjs build for our own files, and two graphql instances cannot mix.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Suites start real servers and child processes; two cores, so keep the fan-out modest.
    maxWorkers: 2,
  },
});
