// ESLint (flat config): typescript-eslint's recommended rules, promises that must be awaited
// or voided, no import cycles, process.env read in src/config only, and the layers' arrows
// (the store imports nothing above it; the job's path, src/lifecycle, never the operations
// around it, src/ops, nor the web or the CLI). Run by the test command (scripts/test.sh)
// with Prettier.
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'jobs/', '.cache/', 'dist/', 'dist.new/', 'dist.old/'] },
  ...tseslint.configs.recommended,
  importX.flatConfigs.typescript,
  {
    files: ['**/*.ts', '**/*.cts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      // node:test's describe/test return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: [
                'describe',
                'test',
                'it',
                'suite',
                'before',
                'after',
                'beforeEach',
                'afterEach',
              ],
            },
          ],
        },
      ],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // `_name` marks what is left out on purpose (a destructured key dropped, an argument not used).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Config is read once (DESIGN: src/config/ is the only reader of process.env).
    files: ['src/**/*.ts', 'src/**/*.cts', 'src/**/*.tsx'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'read the environment through src/config (env.ts), its one reader',
        },
      ],
    },
  },
  {
    // DESIGN: the store imports nothing above it (config, errors and the states only).
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../lifecycle/*',
                '../ops/*',
                '../scheduler/*',
                '../runners/*',
                '../service/*',
                '../services/*',
                '../mail/*',
                '../watcher/*',
                '../metrics/*',
                '../socket/*',
                '../web/*',
                '../cli/*',
                '../client/*',
                '../testing/*',
              ],
              message: 'src/store imports nothing above it (config, errors, states)',
            },
          ],
        },
      ],
    },
  },
  {
    // The job's path is below the operations around it (src/ops), the web and the CLI.
    files: ['src/lifecycle/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../ops/*', '../web/*', '../cli/*', '../socket/*'],
              message:
                "src/lifecycle is the job's path: src/ops, src/web, src/cli and src/socket use it, not the other way",
            },
          ],
        },
      ],
    },
  },
);
