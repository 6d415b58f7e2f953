// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** Node built-ins and I/O libraries cannot run in the deterministic workflow sandbox. */
const forbiddenInWorkflows = [
  ...builtinModules.filter((m) => !['assert', 'url', 'util'].includes(m)),
  ...builtinModules.map((m) => `node:${m}`),
  'mongodb',
  'koa',
  '@koa/router',
  'csv-parse',
  'csv-parse/*',
  'iconv-lite',
  'fast-xml-parser',
  'busboy',
  'pino',
  'prom-client',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**', 'src/web/assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      // Type-only imports vanish at bundling, so workflows may name activity types (samples do).
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: forbiddenInWorkflows.map((name) => ({ name, allowTypeImports: true })),
          patterns: [
            {
              group: ['csv-parse/*', 'mongodb/*', '../activities/*', '../api/*', '../storage/*', '../platforms/*', '../sync/*', '../catalog/*'],
              message: 'workflow code must stay deterministic: no I/O modules',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // node:test's test()/describe() return promises the runner tracks itself.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly', AbortSignal: 'readonly' } },
  },
);
