// ESLint (flat config) with typescript-eslint's recommended rules; `npm run lint` and CI run it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['client/generated/**', 'node_modules/**', 'dist/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Tests read JSON bodies whose shape the assertions check.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
      // A closure may read a binding that is assigned once, later (the server's URL).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
);
